"""What creating a citizen must know of identity resolution, without importing matching.

Matching builds on citizens, never the reverse (DESIGN.md §2). Yet ``POST /api/v1/citizens``
must ask the matcher first, so the same person is not recorded twice. So citizens declares the
look-up it needs (``MatchLookup``) and the composition root, ``create_app``, installs the
matching package's engine and review filing as that look-up. An application built without
one (a bare test app) creates without matching.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from flask import Flask, current_app

ON_MATCH = ("reject", "create", "link")


class MatchCandidate(Protocol):
    """The part of a match candidate a create reads."""

    @property
    def citizen_id(self) -> uuid.UUID | None: ...

    @property
    def score(self) -> float: ...

    @property
    def band(self) -> str: ...

    @property
    def explanation(self) -> dict[str, Any]: ...


class MatchLookup(Protocol):
    def find(self, body: Mapping[str, Any], limit: int) -> Sequence[MatchCandidate]:
        """Stored citizens that may be the person ``body`` describes, best first, inside the
        caller's transaction."""

    def file(self, citizen_id: uuid.UUID, candidate: MatchCandidate) -> None:
        """File a review item for a new citizen and a candidate, inside the transaction."""


_EXTENSION = "cgcrm.match_lookup"


class ExistingRecord(Exception):
    """A create asked to link (``on_match=link``) found the person already recorded."""

    def __init__(self, citizen_id: uuid.UUID) -> None:
        super().__init__(str(citizen_id))
        self.citizen_id = citizen_id


def install_match_lookup(app: Flask, lookup: MatchLookup) -> None:
    """Make ``lookup`` the way ``app``'s creates find the people already recorded."""
    app.extensions[_EXTENSION] = lookup


def match_lookup() -> MatchLookup | None:
    lookup: MatchLookup | None = current_app.extensions.get(_EXTENSION)
    return lookup
