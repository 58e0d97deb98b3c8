"""Each KPI in two periods, the difference, and for proportions whether it is significant."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from cgcrm.metrics import rates
from cgcrm.metrics.kpis import Filters, collect
from cgcrm.metrics.periods import check_range, time_zone
from cgcrm.metrics.tally import Tally

# Proportions: (successes, trials) of a tally, for the two-proportion z-test.
PROPORTIONS: dict[str, Callable[[Tally], tuple[int, int]]] = {
    "completion_rate": lambda t: (t["transactions_completed"], t["transactions_started"]),
    "digital_take_up": lambda t: (t["digital_completed"], t["transactions_completed"]),
    "user_satisfaction": lambda t: (
        t["csat_4"] + t["csat_5"],
        sum(t[f"csat_{s}"] for s in range(1, 6)),
    ),
    "first_contact_resolution": lambda t: (
        t["fcr_eligible"] - t["fcr_repeated"],
        t["fcr_eligible"],
    ),
    "avoidable_contact_rate": lambda t: (t["avoidable"], t["inbound_identified"]),
    "sla_attainment": lambda t: (t["cases_within_sla"], t["cases_resolved"]),
    "survey_response_rate": lambda t: (t["invited_responses"], t["invitations_sent"]),
}
# The KPIs compared; those not in PROPORTIONS (counts, means, scores whose variance the
# rollups do not keep) are compared without a test.
KPIS = (
    "contacts",
    "transactions_started",
    "transactions_completed",
    "completion_rate",
    "digital_take_up",
    "user_satisfaction",
    "total_cost_minor",
    "cost_per_transaction_minor",
    "first_contact_resolution",
    "avoidable_contact_rate",
    "average_handling_seconds",
    "sla_attainment",
    "nps",
    "customer_effort",
    "survey_response_rate",
)


def _value(entry: dict[str, Any], kpi: str) -> Any:
    value = entry[kpi]
    return value["value"] if kpi == "user_satisfaction" else value


def _comparison(
    kpi: str, tallies: tuple[Tally, Tally], entries: tuple[dict[str, Any], ...], with_sla: bool
) -> dict[str, Any]:
    value_a, value_b = (_value(entry, kpi) for entry in entries)
    out: dict[str, Any] = {
        "a": value_a,
        "b": value_b,
        "difference": value_b - value_a if value_a is not None and value_b is not None else None,
        "n_a": None,
        "n_b": None,
        "z": None,
        "p_value": None,
        "significant": None,
    }
    counts = PROPORTIONS.get(kpi)
    if counts is None:
        return out
    out["significant"] = False
    # Under a channel filter cases cannot be counted: there is no sample to test.
    if kpi == "sla_attainment" and not with_sla:
        return out
    (x_a, n_a), (x_b, n_b) = (counts(tally) for tally in tallies)
    test = rates.two_proportion_z_test(x_a, n_a, x_b, n_b)
    out.update(n_a=n_a, n_b=n_b, z=test.z, p_value=test.p_value, significant=test.significant)
    return out


def compare_periods(
    from_a: date,
    to_a: date,
    from_b: date,
    to_b: date,
    *,
    service: str | None = None,
    channel: str | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """Every KPI in period A and period B (inclusive days in TIME_ZONE, same filters), B - A,
    and for proportions a two-sided two-proportion z-test (pooled) with its p-value;
    ``significant`` is p < 0.05. Test fields are null for the other KPIs, and z and p are null
    (not significant) where the test is undefined.

    :raises ValidationError: a period is reversed or too long, or a code is unknown.
    """
    check_range(from_a, to_a, to_field="to_a")
    check_range(from_b, to_b, to_field="to_b")
    filters = Filters(service=service, channel=channel, department=department)
    a = collect(from_a, to_a, filters, interval="month")
    b = collect(from_b, to_b, filters, interval="month")
    entries = (a.totals.entry(with_sla=a.with_sla), b.totals.entry(with_sla=b.with_sla))
    tallies = (a.totals, b.totals)
    return {
        "from_a": from_a,
        "to_a": to_a,
        "from_b": from_b,
        "to_b": to_b,
        "service": service,
        "channel": channel,
        "department": department,
        "time_zone": time_zone(),
        "kpis": {kpi: _comparison(kpi, tallies, entries, a.with_sla) for kpi in KPIS},
    }
