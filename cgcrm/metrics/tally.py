"""Sums of rollup counters for one KPI entry, and the entry's figures computed from them.

The definitions are those of the issue and SPEC10 (DESIGN §6); ``rates`` does the arithmetic.
"""

from __future__ import annotations

from typing import Any

from cgcrm.core.channels import CHANNEL_CODES
from cgcrm.metrics import rates

# interaction_daily_rollups columns summed as they are.
ROLLUP_COUNTERS = (
    "interactions",
    "transactions_started",
    "transactions_completed",
    "handling_seconds",
    "handled",
    "inbound_identified",
    "avoidable",
    "fcr_eligible",
    "fcr_repeated",
    "csat_1",
    "csat_2",
    "csat_3",
    "csat_4",
    "csat_5",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "effort_responses",
    "effort_total",
    "invitations_sent",
    "invited_responses",
)
# Computed with the catalog at query time: completions on digital channels, and cost.
DERIVED_COUNTERS = ("digital_completed", "cost_minor")
CASE_COUNTERS = ("cases_resolved", "cases_within_sla")
COUNTERS = ROLLUP_COUNTERS + DERIVED_COUNTERS + CASE_COUNTERS
_INDEX = {name: i for i, name in enumerate(COUNTERS)}
SCORES = ("1", "2", "3", "4", "5")


class Tally:
    """Counters of one entry (the totals, a period, a group), summed from rollup rows."""

    __slots__ = ("by_channel", "counts", "currencies", "has_data")

    def __init__(self) -> None:
        self.counts = [0] * len(COUNTERS)
        self.by_channel: dict[str, int] = {}
        self.currencies: set[str] = set()
        self.has_data = False

    def __getitem__(self, name: str) -> int:
        return self.counts[_INDEX[name]]

    def add(self, offset: int, values: list[int]) -> None:
        """Add ``values`` to the counters from position ``offset`` of COUNTERS on."""
        counts = self.counts
        for i, value in enumerate(values, offset):
            counts[i] += value
        self.has_data = True

    def add_contacts(self, channel: str, contacts: int) -> None:
        self.by_channel[channel] = self.by_channel.get(channel, 0) + contacts

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
            "contacts_by_channel": {code: self.by_channel.get(code, 0) for code in CHANNEL_CODES},
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
