"""Runs the event handlers over the demo's own events, in-process, and marks them published.

The worker would apply them too (the handlers are idempotent), but a new user's first KPI
request, made seconds after ``make run`` starts, must already see every figure; and marking
them published keeps the relay from handing thousands of old events to the queues again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from cgcrm.core.clock import clock_set_to, utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.worker.handlers import process_events


def last_event_seq() -> int:
    """The newest outbox event's number (0 when there is none)."""
    seq = db.session.scalar(select(func.max(OutboxEvent.seq))) or 0
    db.session.commit()
    return int(seq)


def process_written_events(after_seq: int, at: datetime) -> tuple[int, int]:
    """Apply every handler to the unpublished events numbered above ``after_seq`` as if it
    were ``at`` (the end of the simulated day they were written on), then mark them published
    (now, really: housekeeping ages them from then). Events the handlers write in turn (a
    survey invitation sent) are handled the same way, until none is left.

    :returns: the last event number handled, and how many (event, handler) effects applied.
    """
    applied = 0
    while True:
        rows = db.session.execute(
            select(OutboxEvent.seq, OutboxEvent.event_id)
            .where(OutboxEvent.seq > after_seq, OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.seq)
        ).all()
        db.session.commit()
        if not rows:
            return after_seq, applied
        with clock_set_to(at):
            applied += process_events([str(event_id) for _, event_id in rows])
        seqs = [seq for seq, _ in rows]
        _mark_published(seqs)
        after_seq = seqs[-1]


def _mark_published(seqs: list[int]) -> None:
    try:
        db.session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.seq.in_(seqs), OutboxEvent.published_at.is_(None))
            .values(published_at=utcnow())
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
