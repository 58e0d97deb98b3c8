"""Sums of rollup counters for one KPI entry, and the entry's figures computed from them.

The definitions are those of the issue and SPEC10 (DESIGN §6); ``rates`` does the arithmetic.
"""

from __future__ import annotations

from typing import Any

from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.metrics import rates
from cgcrm.metrics.rollups.buckets import COUNTERS as STORED_COUNTERS

# interaction_daily_rollups columns summed as they are: every stored counter but ``resolved``
# (first-contact resolution counts only inbound identified contacts, in ``fcr_eligible``).
ROLLUP_COUNTERS = tuple(name for name in STORED_COUNTERS if name != "resolved")
# Computed with the catalog at query time: completions on digital channels, and cost.
DERIVED_COUNTERS = ("digital_completed", "cost_minor")
# Contacts on each channel, pivoted in SQL so that rows need not be grouped by channel.
CHANNEL_COUNTERS = tuple(f"contacts_{code}" for code in CHANNEL_CODES)
CASE_COUNTERS = ("cases_resolved", "cases_within_sla")
SQL_COUNTERS = ROLLUP_COUNTERS + DERIVED_COUNTERS + CHANNEL_COUNTERS
COUNTERS = SQL_COUNTERS + CASE_COUNTERS
_INDEX = {name: i for i, name in enumerate(COUNTERS)}
_CASE_OFFSET = len(SQL_COUNTERS)
SCORES = ("1", "2", "3", "4", "5")


class Tally:
    """Counters of one entry (the totals, a period, a group), summed from rollup rows."""

    __slots__ = ("counts", "currencies")

    def __init__(self) -> None:
        self.counts = [0] * len(COUNTERS)
        self.currencies: set[str] = set()

    def __getitem__(self, name: str) -> int:
        return self.counts[_INDEX[name]]

    def add_rows(self, rows: list[tuple[int, ...]]) -> None:
        """Add rows of SQL_COUNTERS (column sums run in C: a few thousand rows cost little)."""
        if rows:
            counts = self.counts
            for i, total in enumerate(map(sum, zip(*rows, strict=True))):
                counts[i] += total

    def add_cases(self, resolved: int, within_sla: int) -> None:
        self.counts[_CASE_OFFSET] += resolved
        self.counts[_CASE_OFFSET + 1] += within_sla

    def satisfaction(self) -> dict[str, Any]:
        """CSAT: share of 4 and 5 scores with n, the Wilson 95 % interval, counts and mean."""
        counts = {score: self[f"csat_{score}"] for score in SCORES}
        n = sum(counts.values())
        interval = rates.wilson_interval(counts["4"] + counts["5"], n)
        return {
            "value": rates.ratio(counts["4"] + counts["5"], n),
            "n": n,
            "low": interval[0] if interval else None,
            "high": interval[1] if interval else None,
            "counts": counts,
            "mean": rates.ratio(sum(int(s) * c for s, c in counts.items()), n),
        }

    def first_contact_resolution(self) -> float | None:
        eligible = self["fcr_eligible"]
        return rates.ratio(eligible - self["fcr_repeated"], eligible)

    def entry(self, *, with_sla: bool) -> dict[str, Any]:
        """The KPI entry; ``with_sla`` False when cases cannot be attributed (by channel)."""
        completed = self["transactions_completed"]
        cost = self["cost_minor"]
        return {
            "contacts": self["interactions"],
            "contacts_by_channel": {code: self[f"contacts_{code}"] for code in CHANNEL_CODES},
            "transactions_started": self["transactions_started"],
            "transactions_completed": completed,
            "completion_rate": rates.ratio(completed, self["transactions_started"]),
            "digital_take_up": rates.ratio(self["digital_completed"], completed),
            "user_satisfaction": self.satisfaction(),
            "total_cost_minor": cost,
            "cost_per_transaction_minor": rates.ratio(cost, completed),
            "currency": next(iter(self.currencies)) if len(self.currencies) == 1 else None,
            "first_contact_resolution": self.first_contact_resolution(),
            "avoidable_contact_rate": rates.ratio(self["avoidable"], self["inbound_identified"]),
            "average_handling_seconds": rates.ratio(self["handling_seconds"], self["handled"]),
            "sla_attainment": (
                rates.ratio(self["cases_within_sla"], self["cases_resolved"]) if with_sla else None
            ),
            "nps": rates.net_promoter_score(
                self["nps_promoters"], self["nps_detractors"], self["nps_responses"]
            ),
            "customer_effort": rates.ratio(self["effort_total"], self["effort_responses"]),
            "survey_response_rate": rates.ratio(
                self["invited_responses"], self["invitations_sent"]
            ),
        }
