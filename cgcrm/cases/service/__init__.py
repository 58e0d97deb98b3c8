"""Rules of cases. Each public function is one transaction with its outbox events and, for a
citizen's case, its audit events; none touches Flask's request.

``get_case`` is for other services that validate a case id inside their own transaction;
``may_see_case`` and ``visible_cases_clause`` for read models that show or count cases.
"""

from cgcrm.cases.service.access import get_case, may_see_case, visible_cases_clause
from cgcrm.cases.service.activity import (
    add_note,
    link_interaction,
    list_case_interactions,
    list_notes,
)
from cgcrm.cases.service.cases import list_cases, open_case, read_case, update_case
from cgcrm.cases.service.transitions import (
    flag_breached_cases,
    list_transitions,
    transition_case,
)

__all__ = [
    "add_note",
    "flag_breached_cases",
    "get_case",
    "link_interaction",
    "list_case_interactions",
    "list_cases",
    "list_notes",
    "list_transitions",
    "may_see_case",
    "open_case",
    "read_case",
    "transition_case",
    "update_case",
    "visible_cases_clause",
]
