"""What a set of counted contacts adds to the rollups: the pure rules applied to sets."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from zoneinfo import ZoneInfo

from cgcrm.metrics.rollups.buckets import (
    Contact,
    Deltas,
    add_to,
    bucket_of,
    new_deltas,
    own_counts,
)
from cgcrm.metrics.rollups.followups import followup_counts, partition_key
from cgcrm.metrics.rollups.transactions import group_key, transaction_counts


def grouped(
    contacts: Iterable[Contact], key: Callable[[Contact], Hashable | None]
) -> dict[Hashable, list[Contact]]:
    """Contacts by ``key``, leaving out those whose key is None."""
    groups: dict[Hashable, list[Contact]] = defaultdict(list)
    for contact in contacts:
        value = key(contact)
        if value is not None:
            groups[value].append(contact)
    return groups


def relational_counts(
    groups: Iterable[list[Contact]],
    partitions: Iterable[list[Contact]],
    tz: ZoneInfo,
    keep: Callable[[Contact], bool] | None = None,
) -> Deltas:
    """The counters that depend on other contacts (transactions, follow-ups), by bucket.

    :param groups: complete transaction groups of counted contacts.
    :param partitions: follow-up partitions of counted contacts, complete within 7 days of
        every contact whose counters matter.
    :param keep: which contacts' counters to add (default all).
    """
    deltas = new_deltas()
    for group in groups:
        by_id: dict[uuid.UUID, Contact] = {contact.id: contact for contact in group}
        for contact_id, (started, completed) in transaction_counts(group).items():
            contact = by_id[contact_id]
            if keep is None or keep(contact):
                counts = {"transactions_started": started, "transactions_completed": completed}
                add_to(deltas, bucket_of(contact, tz), counts)
    for partition in partitions:
        by_id = {contact.id: contact for contact in partition}
        for contact_id, (avoidable, repeated) in followup_counts(partition).items():
            contact = by_id[contact_id]
            if keep is None or keep(contact):
                counts = {"avoidable": avoidable, "fcr_repeated": repeated}
                add_to(deltas, bucket_of(contact, tz), counts)
    return deltas


def all_counts(
    contacts: Iterable[Contact], tz: ZoneInfo, keep: Callable[[Contact], bool]
) -> Deltas:
    """Every interaction counter of the contacts ``keep`` selects, given all the counted
    contacts their transactions and follow-ups depend on (the Python rebuild)."""
    contacts = list(contacts)
    deltas = relational_counts(
        grouped(contacts, group_key).values(),
        grouped(contacts, partition_key).values(),
        tz,
        keep,
    )
    for contact in contacts:
        if keep(contact):
            add_to(deltas, bucket_of(contact, tz), own_counts(contact))
    return deltas
