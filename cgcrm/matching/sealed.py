"""Identifiers as written, for telling one mistyped from another person's.

Stored identifiers are encrypted, and equal values are found by their keyed hash alone. Two
values one keying error apart hash apart, so a comparison that finds a system's hashes
different opens the stored values (``compare.compare_identifiers``); nothing else does, and
no opened value outlives the comparison (nothing is cached: opening one costs about 17 µs).
"""

from __future__ import annotations

from flask import has_app_context

from cgcrm.citizens import normalize
from cgcrm.core.crypto import cipher


def opened(token: str) -> str | None:
    """The canonical text of an encrypted identifier value; None outside an application or
    when no configured key opens it (it then counts as a different value, as before)."""
    if not has_app_context():
        return None
    try:
        return normalize.identifier_canonical(cipher().decrypt(token))
    except ValueError:
        return None
