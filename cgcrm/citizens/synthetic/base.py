"""Shared building blocks: the reference date, weighted sampling tables and text parsers."""

from __future__ import annotations

import unicodedata
from bisect import bisect
from collections.abc import Sequence
from datetime import date
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")

# Dates of birth, address and name histories are computed relative to this fixed date.
REFERENCE_DATE = date(2025, 7, 1)

DAYS_PER_YEAR = 365.2425
REF_ORDINAL = REFERENCE_DATE.toordinal()
REF_YEAR = REFERENCE_DATE.year


class Weighted(Generic[T]):
    """Items with cumulative weights; ``pick(u)`` maps a uniform ``u`` in [0, 1) to an item."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        if not pairs:
            raise ValueError("empty weighted table")
        self.items: tuple[T, ...] = tuple(item for item, _ in pairs)
        cum = list(accumulate(weight for _, weight in pairs))
        self.total: float = cum[-1]
        cum[-1] = float("inf")  # guards against u * total rounding up to total
        self.cum: list[float] = cum

    def pick(self, u: float) -> T:
        return self.items[bisect(self.cum, u * self.total)]


def parse_tiers(text: str) -> list[tuple[str, float]]:
    """Parse ``<weight> Name Name ...`` lines; ``_`` stands for a space. Duplicates merge."""
    weights: dict[str, float] = {}
    for line in text.strip().splitlines():
        parts = line.split()
        if not parts:
            continue
        weight = float(parts[0])
        for raw in parts[1:]:
            name = raw.replace("_", " ")
            weights[name] = weights.get(name, 0.0) + weight
    return list(weights.items())


def parse_colon_pairs(text: str) -> list[tuple[str, float]]:
    pairs: list[tuple[str, float]] = []
    for token in text.split():
        key, _, weight = token.rpartition(":")
        pairs.append((key, float(weight)))
    return pairs


def slug(name: str) -> str:
    """ASCII lower-case form of a name for use in an email local part."""
    decomposed = unicodedata.normalize("NFKD", name.lower())
    kept = "".join(ch for ch in decomposed if ("a" <= ch <= "z") or ("0" <= ch <= "9") or ch == "-")
    return kept.strip("-") or "user"
