"""The external OpenID providers staff may sign in through, read from FEDERATION_PROVIDERS.

Each entry of the JSON list::

    {
      "name": "nsw",                        # [a-z0-9-], in our URLs
      "title": "NSW Government sign-in",    # the button says "Sign in with <title>"
      "issuer": "https://id.nsw.gov.au",    # must equal the discovery document's and iss
      "discovery_url": "…",                 # default: <issuer>/.well-known/openid-configuration
      "client_id": "…", "client_secret": "…",
      "scope": "openid profile email",      # default
      "acr_values": "urn:…:2",              # asked for; optional
      "acr_order": ["urn:…:1", "urn:…:2"],  # the provider's acr values, weakest first
      "minimum_acr": "urn:…:2",             # below it (or not in acr_order) is refused
      "claims": {"email": "email", "name": "name", "department": "department"},
      "department_map": {"Revenue NSW": "RATES"},   # claim value -> our department code
      "default_department": "CUSTOMER",     # when no rule nor claim gives one
      "role_rules": [{"claim": "groups", "value": "rates-clerks",
                      "roles": ["front_office"], "department": "RATES"}],
      "unknown_users": "refuse",            # or "provision": create the staff user
      "link_by_email": false                # link a first sign-in to a user with that email
    }

A rule matches when the claim equals its value or, for a list claim, contains it. The user's
roles are the union of the matching rules' roles; the department is the first matching rule's,
else the department claim (through ``department_map``, else taken as a code), else the default.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cgcrm.core.scopes import ROLE_SCOPES
from cgcrm.settings import ConfigError

_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
UNKNOWN_USER_POLICIES = ("refuse", "provision")


@dataclass(frozen=True)
class RoleRule:
    claim: str
    value: str
    roles: tuple[str, ...]
    department: str | None = None

    def matches(self, claims: dict[str, Any]) -> bool:
        found = claims.get(self.claim)
        if isinstance(found, list):
            return self.value in [str(item) for item in found]
        return found is not None and str(found) == self.value


@dataclass(frozen=True)
class Provider:
    name: str
    title: str
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str
    scope: str = "openid profile email"
    acr_values: str | None = None
    acr_order: tuple[str, ...] = ()
    minimum_acr: str | None = None
    email_claim: str = "email"
    name_claim: str = "name"
    department_claim: str | None = None
    department_map: dict[str, str] = field(default_factory=dict)
    default_department: str | None = None
    role_rules: tuple[RoleRule, ...] = ()
    unknown_users: str = "refuse"
    link_by_email: bool = False

    def acr_acceptable(self, acr: str | None) -> bool:
        """Whether the provider's asserted ``acr`` reaches our minimum (none set: any)."""
        if self.minimum_acr is None:
            return True
        if acr not in self.acr_order:
            return False
        return self.acr_order.index(acr) >= self.acr_order.index(self.minimum_acr)


def _text(entry: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"FEDERATION_PROVIDERS {where}: {key} must be a non-empty string")
    return value


def _provider(entry: Any, index: int) -> Provider:
    where = f"entry {index}"
    if not isinstance(entry, dict):
        raise ConfigError(f"FEDERATION_PROVIDERS {where} must be an object")
    name = _text(entry, "name", where)
    if not _NAME.fullmatch(name):
        raise ConfigError(f"FEDERATION_PROVIDERS {where}: name must match {_NAME.pattern}")
    where = f"{name!r}"
    issuer = _text(entry, "issuer", where).rstrip("/")
    claims = entry.get("claims") or {}
    rules = []
    for rule in entry.get("role_rules") or []:
        roles = tuple(rule.get("roles") or ())
        unknown = [r for r in roles if r not in ROLE_SCOPES]
        if unknown or not isinstance(rule.get("claim"), str) or "value" not in rule:
            raise ConfigError(
                f"FEDERATION_PROVIDERS {where}: a role rule needs claim, value and known roles"
                + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            )
        rules.append(RoleRule(rule["claim"], str(rule["value"]), roles, rule.get("department")))
    acr_order = tuple(entry.get("acr_order") or ())
    minimum_acr = entry.get("minimum_acr")
    if minimum_acr is not None and minimum_acr not in acr_order:
        raise ConfigError(f"FEDERATION_PROVIDERS {where}: minimum_acr must be in acr_order")
    unknown_users = entry.get("unknown_users", "refuse")
    if unknown_users not in UNKNOWN_USER_POLICIES:
        raise ConfigError(
            f"FEDERATION_PROVIDERS {where}: unknown_users is one of "
            f"{', '.join(UNKNOWN_USER_POLICIES)}"
        )
    scope = entry.get("scope", "openid profile email")
    if "openid" not in str(scope).split():
        raise ConfigError(f"FEDERATION_PROVIDERS {where}: scope must include openid")
    return Provider(
        name=name,
        title=_text(entry, "title", where, name),
        issuer=issuer,
        discovery_url=entry.get("discovery_url") or f"{issuer}/.well-known/openid-configuration",
        client_id=_text(entry, "client_id", where),
        client_secret=_text(entry, "client_secret", where),
        scope=str(scope),
        acr_values=entry.get("acr_values"),
        acr_order=acr_order,
        minimum_acr=minimum_acr,
        email_claim=claims.get("email", "email"),
        name_claim=claims.get("name", "name"),
        department_claim=claims.get("department"),
        department_map=dict(entry.get("department_map") or {}),
        default_department=entry.get("default_department"),
        role_rules=tuple(rules),
        unknown_users=unknown_users,
        link_by_email=bool(entry.get("link_by_email", False)),
    )


@lru_cache(maxsize=8)
def _parse(raw: str) -> dict[str, Provider]:
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"FEDERATION_PROVIDERS is not JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise ConfigError("FEDERATION_PROVIDERS must be a JSON list")
    providers = [_provider(entry, index) for index, entry in enumerate(entries)]
    by_name = {provider.name: provider for provider in providers}
    if len(by_name) != len(providers):
        raise ConfigError("FEDERATION_PROVIDERS: two providers share a name")
    return by_name


def parse_providers(configured: str | list[Any]) -> dict[str, Provider]:
    """The configured providers by name (a JSON string, or the list from a config file).

    :raises ConfigError: a malformed entry.
    """
    return _parse(configured if isinstance(configured, str) else json.dumps(configured))
