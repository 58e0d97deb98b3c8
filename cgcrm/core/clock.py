"""The one place that reads the time, so tests and jobs agree on it.

``clock_set_to`` makes the block run as if it were another moment: the demo
(``cgcrm.demo``) writes a quarter of past activity through the service layer, whose rules
(a case's opening time and due date, a consent's evidence window) read the time here. Nothing
else uses it; every other caller sees the real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_OVERRIDE: ContextVar[datetime | None] = ContextVar("cgcrm_clock_override", default=None)


def utcnow() -> datetime:
    """Timezone-aware current UTC time (or the moment ``clock_set_to`` set)."""
    moment = _OVERRIDE.get()
    return moment if moment is not None else datetime.now(UTC)


@contextmanager
def clock_set_to(moment: datetime) -> Iterator[None]:
    """Run the block as if the time were ``moment`` (aware); the clock stands still in it.

    :raises ValueError: ``moment`` is naive.
    """
    if moment.tzinfo is None:
        raise ValueError("clock_set_to needs an aware datetime")
    token = _OVERRIDE.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _OVERRIDE.reset(token)
