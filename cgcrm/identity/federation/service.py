"""A staff sign-in through an external OpenID provider, from the button to a staff user.

1. ``start_federated_sign_in``: a fresh ``state``, ``nonce`` and PKCE verifier are kept (hashed
   state as the key) with the client's own authorization request; the browser goes to the
   provider with them (and ``acr_values`` when configured).
2. ``finish_federated_sign_in``: the answer's ``state`` must be the one this browser holds (its
   cookie) and unused; the code is exchanged (client authenticated, verifier sent), the ID
   token checked (signature, iss, aud, nonce, exp, acr), and its claims mapped to a staff user.
   The caller then resumes the client's request as if the user had signed in here.

Every refusal is a ``federation.refused`` security event with its reason; every success a
``user.signed_in`` event naming the provider and the acr it asserted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app, g
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.core.ratelimit import caller_address
from cgcrm.core.security_events import record_security_event
from cgcrm.extensions import db
from cgcrm.identity.federation.client import FederationRefused, ProviderClient
from cgcrm.identity.federation.directory import directory
from cgcrm.identity.federation.mapping import resolve_staff_user
from cgcrm.identity.federation.models import FederatedSignIn
from cgcrm.identity.models import StaffUser
from cgcrm.identity.oidc import Authentication
from cgcrm.identity.refresh import from_timestamp, token_hash
from cgcrm.identity.signin import USER_SIGNED_IN

FEDERATION_REFUSED = "federation.refused"


@dataclass(frozen=True)
class FederatedUser:
    user: StaffUser
    authentication: Authentication
    authorize_query: str  # the client's authorization request, to resume


def callback_uri(provider_name: str) -> str:
    """Our redirect URI at the provider (register it there exactly)."""
    return f"{current_app.config['JWT_ISSUER']}/oauth/federation/{provider_name}/callback"


def _client(provider_name: str) -> ProviderClient:
    client = directory().client(provider_name)
    if client is None:
        raise FederationRefused("provider", f"no provider named {provider_name!r}")
    return client


def start_federated_sign_in(provider_name: str, authorize_query: str, client_id: str) -> Any:
    """Begin a sign-in through the provider for the client's authorization request.

    :param authorize_query: the client's request to ``/oauth/authorize`` (already validated).
    :returns: ``(provider_url, state)``: send the browser to the URL; bind it to the state.
    :raises FederationRefused: unknown provider, or its discovery document is unavailable.
    """
    client = _client(provider_name)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    url = client.authorization_url(callback_uri(provider_name), state, nonce, verifier)
    db.session.add(
        FederatedSignIn(
            state_hash=token_hash(state),
            provider=provider_name,
            nonce=nonce,
            code_verifier=verifier,
            authorize_query=authorize_query,
            client_id=client_id,
            expires_at=utcnow() + timedelta(seconds=current_app.config["FEDERATION_SIGN_IN_TTL"]),
        )
    )
    db.session.commit()
    return url, state


def _claim_sign_in(provider_name: str, state: str, browser_state: str) -> FederatedSignIn:
    """The sign-in this answer belongs to, spent now (an answer is accepted once)."""
    if not state or len(state) > 200 or not secrets.compare_digest(state, browser_state):
        raise FederationRefused("state", "the answer's state is not this browser's")
    row = db.session.scalar(
        select(FederatedSignIn)
        .where(FederatedSignIn.state_hash == token_hash(state))
        .with_for_update()
    )
    if row is None or row.provider != provider_name:
        raise FederationRefused("state", "no sign-in under way with this state")
    if row.used_at is not None:
        raise FederationRefused("state", "this answer was already used")
    if row.expires_at <= utcnow():
        raise FederationRefused("state", "the sign-in took too long")
    row.used_at = utcnow()
    db.session.commit()
    return row


def finish_federated_sign_in(
    provider_name: str, params: dict[str, str], browser_state: str
) -> FederatedUser:
    """Complete a sign-in from the provider's answer (the callback's query parameters).

    :param browser_state: the state the browser's cookie holds.
    :raises FederationRefused: see the module docstring; recorded as a security event.
    """
    address = caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"])
    client_id = None
    try:
        client = _client(provider_name)
        sign_in = _claim_sign_in(provider_name, params.get("state", ""), browser_state)
        client_id = sign_in.client_id
        if params.get("error"):
            raise FederationRefused(
                "provider_error", params["error"][:100], authorize_query=sign_in.authorize_query
            )
        code = params.get("code", "")
        if not code or len(code) > 2000:
            raise FederationRefused("provider_error", "the answer has no code")
        token = client.exchange_code(code, callback_uri(provider_name), sign_in.code_verifier)
        claims = client.verify_id_token(token["id_token"], sign_in.nonce, token.get("access_token"))
        if len(str(claims["sub"])) > 255:
            raise FederationRefused("id_token", "sub longer than 255 characters")
        user = resolve_staff_user(client.provider, claims)
        db.session.commit()
    except FederationRefused as refused:
        db.session.rollback()
        record_security_event(
            FEDERATION_REFUSED,
            client_id=client_id,
            address=address,
            request_id=g.get("request_id"),
            provider=provider_name,
            reason=refused.reason,
            detail=refused.detail[:300],
        )
        raise
    amr = claims.get("amr")
    auth_time = claims.get("auth_time")
    authentication = Authentication(
        acr=claims.get("acr"),
        amr=tuple(str(m) for m in amr) if isinstance(amr, list) else (),
        auth_time=from_timestamp(auth_time) if isinstance(auth_time, int) else utcnow(),
        provider=provider_name,
    )
    record_security_event(
        USER_SIGNED_IN,
        client_id=client_id,
        address=address,
        request_id=g.get("request_id"),
        user_id=str(user.id),
        provider=provider_name,
        acr=authentication.acr,
        at=utcnow().isoformat(),
    )
    return FederatedUser(user, authentication, sign_in.authorize_query)
