"""What the citizen record must know of identity assurance, without importing it.

Assurance builds on citizens, never the reverse (DESIGN.md §2). Yet the record's JSON shows
the citizen's level, and a change of the record may need a level (replacing a verified contact
point). So citizens declares the two look-ups it needs and the composition root, ``create_app``,
installs the assurance package's. An application built without them shows no level and checks
nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app

SummaryLookup = Callable[[uuid.UUID], "dict[str, Any] | None"]
ChangeCheck = Callable[[Any, "dict[str, Any]"], None]
_SUMMARY = "cgcrm.assurance_summary"
_CHECK = "cgcrm.assurance_change_check"


def install_assurance(app: Flask, summary: SummaryLookup, check: ChangeCheck) -> None:
    """Make ``summary`` (a citizen id -> level and evidence, read in the caller's transaction)
    and ``check`` (raises when a change of a locked ``Citizen`` needs more assurance) the ways
    ``app``'s citizen record reads and enforces assurance."""
    app.extensions[_SUMMARY] = summary
    app.extensions[_CHECK] = check


def assurance_summary(citizen_id: uuid.UUID) -> dict[str, Any] | None:
    lookup: SummaryLookup | None = current_app.extensions.get(_SUMMARY)
    return lookup(citizen_id) if lookup else None


def check_change(citizen: Any, changes: dict[str, Any]) -> None:
    check: ChangeCheck | None = current_app.extensions.get(_CHECK)
    if check is not None:
        check(citizen, changes)
