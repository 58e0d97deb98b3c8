"""From an external provider's verified claims to one of our staff users, by the provider's
configured rules (``providers.Provider``).

The provider is authoritative for the people it signs in: each sign-in sets the user's name,
roles and department from its claims, so a change there (a move, a lost group) takes effect at
the next sign-in. Its subject is linked to the user at the first sign-in, which finds the user
by email only if the provider is trusted to (``link_by_email``) and otherwise creates one
(``unknown_users`` = provision) or refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cgcrm.catalog.models import Department
from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.identity.federation.client import FederationRefused
from cgcrm.identity.federation.models import FederatedIdentity
from cgcrm.identity.federation.providers import Provider
from cgcrm.identity.models import StaffUser


@dataclass(frozen=True)
class MappedProfile:
    email: str
    display_name: str
    roles: tuple[str, ...]
    department: Department


def map_claims(provider: Provider, claims: dict[str, Any]) -> MappedProfile:
    """What the provider's claims say about the person, in our terms.

    :raises FederationRefused: no usable email, no role, or no known department.
    """
    email = claims.get(provider.email_claim)
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise FederationRefused("user", f"no usable {provider.email_claim!r} claim")
    matching = [rule for rule in provider.role_rules if rule.matches(claims)]
    roles = tuple(sorted({role for rule in matching for role in rule.roles}))
    if not roles:
        raise FederationRefused("user", "no role rule matches this person's claims")
    code = next((rule.department for rule in matching if rule.department), None)
    if code is None and provider.department_claim:
        value = claims.get(provider.department_claim)
        if isinstance(value, str):
            code = provider.department_map.get(value, value)
    code = code or provider.default_department
    department = (
        db.session.scalar(select(Department).where(Department.code == code)) if code else None
    )
    if department is None:
        raise FederationRefused("user", f"no department of ours for {code!r}")
    name = claims.get(provider.name_claim)
    normalised = email.strip().lower()
    return MappedProfile(
        email=normalised,
        display_name=name[:200] if isinstance(name, str) and name else normalised.split("@")[0],
        roles=roles,
        department=department,
    )


def resolve_staff_user(provider: Provider, claims: dict[str, Any]) -> StaffUser:
    """The active staff user these claims sign in, created or linked if the provider allows,
    with name, roles and department set from the claims. The caller commits.

    :raises FederationRefused: the mapping fails, the person is unknown and the provider does
        not provision, the email belongs to an unlinked user, or the user is disabled.
    """
    profile = map_claims(provider, claims)
    subject = str(claims["sub"])
    link = db.session.scalar(
        select(FederatedIdentity).where(
            FederatedIdentity.provider == provider.name, FederatedIdentity.subject == subject
        )
    )
    user = db.session.get(StaffUser, link.user_id) if link is not None else None
    if link is None:
        existing = db.session.scalar(select(StaffUser).where(StaffUser.email == profile.email))
        if existing is not None and not provider.link_by_email:
            raise FederationRefused(
                "user", "a staff user has this email but is not linked to this provider"
            )
        if existing is None and provider.unknown_users != "provision":
            raise FederationRefused("user", "this person has no staff account here")
        user = existing or StaffUser(email=profile.email, display_name=profile.display_name)
        if existing is None:
            db.session.add(user)
            db.session.flush()
        link = FederatedIdentity(provider=provider.name, subject=subject, user_id=user.id)
        db.session.add(link)
    if user is None or not user.active:
        raise FederationRefused("user", "this staff account is disabled")
    user.display_name = profile.display_name
    user.roles = " ".join(profile.roles)
    user.department = profile.department
    link.last_signed_in_at = utcnow()
    link.last_acr = claims.get("acr")
    return user
