"""Pairwise precision, recall and F1 of clusters (``bench/matching_eval.py``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

# --- metrics --------------------------------------------------------------------------------


def pairs_of(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for group in groups:
        members = sorted(group)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                pairs.add((a, b))
    return pairs


def prf(predicted: set[tuple[str, str]], true: set[tuple[str, str]]) -> dict[str, Any]:
    tp = len(predicted & true)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(true) if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "true_pairs": len(true),
        "predicted_pairs": len(predicted),
        "true_positives": tp,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def clusters_pairs(assignment: dict[str, str]) -> set[tuple[str, str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record_id, cluster in assignment.items():
        groups[cluster].append(record_id)
    return pairs_of(groups.values())


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)
