"""Follow-ups: avoidable contacts and repeats after a resolution, within one partition (pure).

A partition is the inbound contacts of one identified citizen about one service (or about no
service). A contact is *avoidable* when another of its partition started in [t - 7 days, t), and
a resolved one is *repeated* when another started in (t, t + 7 days]: contacts at the same
instant are neither earlier nor later than each other.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from cgcrm.metrics.models import NO_SERVICE
from cgcrm.metrics.rollups.buckets import RESOLVED_OUTCOMES, Contact, is_inbound_identified

WINDOW = timedelta(days=7)


def partition_key(contact: Contact) -> tuple[Any, ...] | None:
    """The follow-up partition of a contact, or None when it takes no part in follow-ups."""
    if not is_inbound_identified(contact):
        return None
    return (contact.citizen_id, contact.service_id or NO_SERVICE)


def followup_counts(partition: Iterable[Contact]) -> dict[uuid.UUID, tuple[int, int]]:
    """(avoidable, fcr_repeated) of each contact of one partition that counts either.

    :param partition: the counted contacts of one partition, in any order.
    """
    contacts = sorted(partition, key=lambda contact: contact.started_at)
    times = [contact.started_at for contact in contacts]
    counts: dict[uuid.UUID, tuple[int, int]] = {}
    for contact in contacts:
        t = contact.started_at
        before = bisect_left(times, t)  # contacts strictly earlier are times[:before]
        avoidable = before > 0 and t - times[before - 1] <= WINDOW
        after = bisect_right(times, t)  # contacts strictly later are times[after:]
        repeated = (
            contact.outcome in RESOLVED_OUTCOMES
            and after < len(times)
            and times[after] - t <= WINDOW
        )
        if avoidable or repeated:
            counts[contact.id] = (int(avoidable), int(repeated))
    return counts
