"""Which parts of a citizen's record a principal is shown: one mechanism for every response.

External identifiers are shown in full only to the department that owns their system (declared
in the catalog, ``identifier_systems``) or to holders of ``identifiers:read``. Everyone else sees
the system and a masked value built from the clear-text hint stored at write time, so nothing is
decrypted for them. ``CitizenSchema`` calls ``disclosed_identifiers`` for the principal of the
request, so every route that serialises a citizen (read, create, update, list, look-up, search,
the 360 view, an idempotent replay's stored body) discloses the same way; outside a request
nobody is known and everything is masked.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from cgcrm.catalog.codes import catalog_codes
from cgcrm.core.crypto import cipher
from cgcrm.core.principal import Principal
from cgcrm.core.scopes import IDENTIFIERS_READ

MASK = "****"
HINT_MAX = 3


def identifier_hint(value: str) -> str:
    """The last characters of an identifier a masked value keeps: 3 of 8 or more, 2 of 5 to 7,
    none of shorter ones (too much of a short value would be disclosed)."""
    compact = "".join(value.split())
    if len(compact) >= 8:
        return compact[-HINT_MAX:]
    if len(compact) >= 5:
        return compact[-2:]
    return ""


def masked_value(hint: str) -> str:
    """What a principal without access sees: a fixed-width mask, so the length stays hidden."""
    return MASK + (hint or "")


def may_read_identifier(principal: Principal | None, system: str) -> bool:
    """Whether ``principal`` is shown identifiers of ``system`` in full."""
    if principal is None:
        return False
    if principal.has_scope(IDENTIFIERS_READ):
        return True
    owner = catalog_codes.identifier_system_owner(system)
    return owner is not None and owner == principal.department_id


def disclosed_identifiers(principal: Principal | None, citizen: Any) -> list[dict[str, Any]]:
    """A citizen's identifiers as ``principal`` may see them: in full only where it may read
    the system, otherwise masked and never decrypted."""
    field_cipher = None
    shown: list[dict[str, Any]] = []
    for ident in citizen.identifiers:
        if may_read_identifier(principal, ident.system):
            field_cipher = field_cipher or cipher()
            value, masked = field_cipher.decrypt(ident.value_encrypted), False
        else:
            value, masked = masked_value(ident.value_hint), True
        shown.append({"system": ident.system, "value": value, "masked": masked})
    return shown


def request_principal() -> Principal | None:
    """The authenticated principal of the current request; None outside one."""
    if not has_request_context():
        return None
    principal: Principal | None = g.get("principal")
    return principal
