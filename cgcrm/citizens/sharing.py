"""Department scoping (DESIGN.md §4): whose interactions, cases and notes a principal may see.

A citizen's core identity is visible to every authorised principal. What a department recorded
about them (contacts, cases, notes) is visible to another department only when the citizen's
latest ``whole_of_government_sharing`` consent is a grant, or the principal holds the
``cross_department`` scope. Services apply these rules; anything left out is counted, never shown,
and a record another department may not see is "not found" (404), not "forbidden".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from cgcrm.core.principal import Actor
from cgcrm.core.scopes import CROSS_DEPARTMENT

WHOLE_OF_GOVERNMENT_SHARING = "whole_of_government_sharing"
# Purposes whose grant opens one department's records to others. A grant of one of these
# needs ``consents:record`` and the contact it was given in (cgcrm.citizens.consents); a new
# purpose that widens access is added here and nowhere else.
WIDENING_PURPOSES = frozenset({WHOLE_OF_GOVERNMENT_SHARING})


def widens_access(purpose: str, granted: bool) -> bool:
    """Whether recording this decision lets more principals see the citizen's records."""
    return granted and purpose in WIDENING_PURPOSES


def sees_every_department(actor: Actor) -> bool:
    """Whether the principal's role spans departments (the scope, admin, or the system)."""
    return actor.principal.has_scope(CROSS_DEPARTMENT)


def may_see(actor: Actor, department_id: uuid.UUID, citizen_shares: bool) -> bool:
    """Whether ``actor`` may see one record a department holds about a citizen.

    :param citizen_shares: the citizen's ``shares_across_government``; False for anonymous
        records, which only their own department sees.
    """
    return (
        sees_every_department(actor)
        or department_id == actor.principal.department_id
        or citizen_shares
    )


def visible_clause(
    actor: Actor, department_column: Any, citizen_shares: Any
) -> ColumnElement[bool]:
    """The SQL condition ``may_see`` expresses, for filtering lists.

    :param citizen_shares: ``Citizen.shares_across_government`` of a joined citizen (an outer
        join leaves it NULL for anonymous records, which then count as not shared), or the
        flag itself when the query is about one known citizen.
    """
    if sees_every_department(actor) or citizen_shares is True:
        return true()
    own = actor.principal.department_id
    own_department = department_column == own if own is not None else false()
    if citizen_shares is False:
        return own_department
    return or_(own_department, citizen_shares.is_(True))


def latest_sharing_decision(decisions: Iterable[tuple[str, bool]]) -> bool | None:
    """The last whole-of-government decision among ``(purpose, granted)`` pairs in time order."""
    latest = None
    for purpose, granted in decisions:
        if purpose == WHOLE_OF_GOVERNMENT_SHARING:
            latest = granted
    return latest
