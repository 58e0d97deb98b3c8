"""Transactions: which contacts of one transaction count a start or a completion (pure).

A group is the contacts of one service sharing a ``transaction_ref``; a contact with a stage and
no ref is a group of its own. In a group ordered by (started_at, id), S is the first start and C
the first completion:

- no C: S (if any) counts a start;
- S no later than C: S counts the start, C the completion;
- otherwise (no S, or S after C): C counts both, a transaction of one contact; later starts
  are repeats.

Every other contact of the group counts nothing for transactions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from cgcrm.metrics.rollups.buckets import Contact

STARTED, COMPLETED = "started", "completed"


def group_key(contact: Contact) -> tuple[Any, ...] | None:
    """The transaction group of a contact, or None when it takes no part in transactions."""
    # A ref names a transaction of a service; without a service (which the API refuses) the
    # contact stands alone.
    if contact.transaction_ref is not None and contact.service_id is not None:
        return ("ref", contact.service_id, contact.transaction_ref)
    if contact.transaction_stage is not None:
        return ("own", contact.id)
    return None


def transaction_counts(group: Iterable[Contact]) -> dict[uuid.UUID, tuple[int, int]]:
    """(started, completed) counted by each contact of one group that counts anything.

    :param group: the counted contacts of one group, in any order.
    """
    first: dict[str, Contact] = {}
    for contact in group:
        stage = contact.transaction_stage
        if stage not in (STARTED, COMPLETED):
            continue
        current = first.get(stage)
        if current is None or (contact.started_at, contact.id) < (current.started_at, current.id):
            first[stage] = contact
    start, completion = first.get(STARTED), first.get(COMPLETED)
    if completion is None:
        return {start.id: (1, 0)} if start is not None else {}
    if start is not None and start.started_at <= completion.started_at:
        return {start.id: (1, 0), completion.id: (0, 1)}
    return {completion.id: (1, 1)}
