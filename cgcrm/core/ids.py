"""Identifiers: time-ordered UUIDs (version 7, RFC 9562) so keyset pages follow creation order."""

from __future__ import annotations

import os
import time
import uuid

# ``uuid.UUID(int=...)`` checks its arguments in Python on every call; a value built here is
# always in range, so the object is made directly (as that constructor makes it): an import
# makes several ids a row, and unpickles thousands a batch (``uuid_of``).
_UUID = uuid.UUID
_make = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


def new_id() -> uuid.UUID:
    """Return a UUIDv7: 48-bit Unix milliseconds, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version
    value |= ((rand >> 62) & 0xFFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)  # rand_b, 62 bits
    return uuid_of(value)


def uuid_of(value: int) -> uuid.UUID:
    """``uuid.UUID(int=value)`` for a ``value`` known to be in range (0 to 2**128 - 1)."""
    made: uuid.UUID = _make(_UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN)
    return made
