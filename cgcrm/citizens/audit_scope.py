"""Which of a citizen's audit entries the auditor of one department is shown.

An entry says who read or changed what, so an entry about a department's case or contact tells
that the citizen deals with that department: it is withheld from other departments' auditors
under the same rule as the records themselves (``sharing``: unless the citizen's latest
whole-of-government decision is a grant, or the auditor holds ``cross_department``). Entries
about the citizen's core record are shown to every auditor, as the record is.

An entry does not name the department whose record it is about; the department of the principal
that acted stands for it. That is exact for a department's own work on its own records; where
one department acted on another's record (through the citizen's consent or a cross-department
role) it is the acting department's auditor who is shown the entry.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, not_, or_, true

from cgcrm.citizens import sharing
from cgcrm.core.audit import AuditEvent
from cgcrm.core.principal import Actor

# Action prefixes of entries about a department's records (cases with their notes, contacts).
DEPARTMENT_RECORD_ACTIONS = ("case.", "interaction.")


def about_department_records() -> ColumnElement[bool]:
    """SQL: the entry is about a department's case or contact, not the core record."""
    return or_(*(AuditEvent.action.startswith(prefix) for prefix in DEPARTMENT_RECORD_ACTIONS))


def visible_entries(actor: Actor, citizen_shares: bool) -> ColumnElement[bool]:
    """SQL condition on ``AuditEvent``: the entries ``actor`` may be shown of one citizen.

    :param citizen_shares: the citizen's ``shares_across_government``.
    """
    if sharing.sees_every_department(actor) or citizen_shares:
        return true()
    own: Any = actor.principal.department_code
    own_department = AuditEvent.department_code == own if own is not None else false()
    return or_(not_(about_department_records()), own_department)
