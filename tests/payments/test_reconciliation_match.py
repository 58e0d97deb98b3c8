"""The matching of a settlement report against the ledger, as pure functions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest

from cgcrm.payments.reconciliation_match import (
    AMOUNT_MISMATCH,
    DUPLICATE,
    MISSING_IN_LEDGER,
    MISSING_IN_REPORT,
    STATE_MISMATCH,
    UNRESOLVED,
    Known,
    LedgerLine,
    match_settlement,
    signed_amount,
)

DAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    """Overrides the suite's database clean-up: these functions touch no database."""
    yield


@pytest.fixture(autouse=True)
def _fee_service() -> None:
    """Overrides the payments' catalog fixture, for the same reason."""


@dataclass(frozen=True)
class Line:
    provider_reference: str
    kind: str
    amount_minor: int
    currency: str = "GBP"
    state: str = "success"
    occurred_on: date = DAY


def entry(n: int, reference: str, amount: int, kind: str = "payment") -> LedgerLine:
    return LedgerLine(
        entry_id=n,
        kind=kind,
        provider_reference=reference,
        amount_minor=amount,
        currency="GBP",
        payment_id=uuid.UUID(int=n),
        refund_id=uuid.UUID(int=1000 + n) if kind == "refund" else None,
        payment_reference=f"PAY-{n}",
        department_code="RATES",
        service_code="RATES-PAY",
    )


def known(n: int, reference: str, state: str, **extra: object) -> Known:
    return Known(
        kind="payment",
        provider_reference=reference,
        payment_id=uuid.UUID(int=n),
        state=state,
        payment_reference=f"PAY-{n}",
        **extra,  # type: ignore[arg-type]
    )


def test_a_report_that_agrees_line_for_line_leaves_no_difference() -> None:
    ledger = [entry(1, "ch-1", 1500), entry(2, "ch-2", 900), entry(3, "rf-1", -500, "refund")]
    report = [Line("ch-1", "payment", 1500), Line("ch-2", "payment", 900)]
    report.append(Line("rf-1", "refund", 500))  # the report's sign of a refund does not matter

    result = match_settlement(ledger, report, {})

    assert result.differences == []
    assert result.matched == 3
    assert (result.ledger_count, result.ledger_totals) == (3, {"GBP": 1900})
    assert (result.report_count, result.report_totals) == (3, {"GBP": 1900})


def test_each_kind_of_difference_is_named() -> None:
    ledger = [
        entry(1, "ch-1", 1500),  # amount differs
        entry(2, "ch-2", 900),  # absent from the report
        entry(3, "ch-3", 700),  # the provider says it failed
        entry(4, "ch-4", 300),  # settled twice by the provider
    ]
    report = [
        Line("ch-1", "payment", 1400),
        Line("ch-3", "payment", 700, state="declined"),
        Line("ch-4", "payment", 300),
        Line("ch-4", "payment", 300),
        Line("ch-9", "payment", 2500),  # unknown to us
        Line("ch-5", "payment", 1200),  # timed out with us: still submitted
    ]
    result = match_settlement(ledger, report, {("payment", "ch-5"): known(5, "ch-5", "submitted")})

    got = {(d.kind, d.provider_reference) for d in result.differences}
    assert got == {
        (AMOUNT_MISMATCH, "ch-1"),
        (MISSING_IN_REPORT, "ch-2"),
        (STATE_MISMATCH, "ch-3"),
        (DUPLICATE, "ch-4"),
        (MISSING_IN_LEDGER, "ch-9"),
        (STATE_MISMATCH, "ch-5"),
    }
    timed_out = next(d for d in result.differences if d.provider_reference == "ch-5")
    assert timed_out.payment_reference == "PAY-5"
    assert (timed_out.our_state, timed_out.report_state) == ("submitted", "success")
    assert "PAY-5" in timed_out.detail
    mismatch = next(d for d in result.differences if d.kind == AMOUNT_MISMATCH)
    assert (mismatch.ledger_amount_minor, mismatch.report_amount_minor) == (1500, 1400)
    assert result.matched == 0
    # Differences come out in a stable order: by kind, then reference.
    assert [d.kind for d in result.differences] == [
        MISSING_IN_REPORT,
        MISSING_IN_LEDGER,
        AMOUNT_MISMATCH,
        STATE_MISMATCH,
        STATE_MISMATCH,
        DUPLICATE,
    ]


def test_a_refused_payment_we_also_hold_as_failed_is_agreement() -> None:
    report = [Line("ch-1", "payment", 1500, state="failed")]
    result = match_settlement([], report, {("payment", "ch-1"): known(1, "ch-1", "failed")})
    assert result.differences == []
    assert result.report_count == 0


def test_a_success_of_ours_refused_by_the_provider_is_a_state_mismatch() -> None:
    report = [Line("ch-1", "payment", 1500, state="error")]
    result = match_settlement([], report, {("payment", "ch-1"): known(1, "ch-1", "success")})
    assert [(d.kind, d.our_state, d.report_state) for d in result.differences] == [
        (STATE_MISMATCH, "success", "error")
    ]


def test_a_success_posted_on_another_day_says_which() -> None:
    other = known(1, "ch-1", "success", posted_on=date(2026, 3, 1))
    result = match_settlement([], [Line("ch-1", "payment", 1500)], {("payment", "ch-1"): other})
    (difference,) = result.differences
    assert difference.kind == MISSING_IN_LEDGER
    assert "posted on 2026-03-01" in difference.detail


def test_a_payment_posted_twice_in_the_journal_is_a_duplicate() -> None:
    ledger = [entry(1, "ch-1", 1500), entry(2, "ch-1", 1500)]
    result = match_settlement(ledger, [Line("ch-1", "payment", 1500)], {})
    assert [(d.kind, d.ledger_amount_minor) for d in result.differences] == [(DUPLICATE, 3000)]


def test_open_payments_are_unresolved_unless_the_report_names_them() -> None:
    waiting = known(7, "ch-7", "submitted")
    named = known(8, "ch-8", "started")
    report = [Line("ch-8", "payment", 100)]
    result = match_settlement([], report, {("payment", "ch-8"): named}, [waiting, named])
    assert [(d.kind, d.payment_reference) for d in result.differences] == [
        (STATE_MISMATCH, "PAY-8"),
        (UNRESOLVED, "PAY-7"),
    ]
    unresolved = result.differences[1]
    assert "PAY-7" in unresolved.detail and unresolved.our_state == "submitted"


def test_a_payment_without_a_provider_reference_is_still_unresolved() -> None:
    waiting = Known("payment", None, uuid.UUID(int=3), "created", payment_reference="PAY-3")
    (difference,) = match_settlement([], [], {}, [waiting]).differences
    assert difference.kind == UNRESOLVED and difference.provider_reference is None


def test_currency_differences_are_amount_mismatches() -> None:
    result = match_settlement(
        [entry(1, "ch-1", 1500)], [Line("ch-1", "payment", 1500, currency="EUR")], {}
    )
    assert [d.kind for d in result.differences] == [AMOUNT_MISMATCH]


def test_refunds_are_negative_whatever_the_report_writes() -> None:
    assert signed_amount("refund", 500) == -500
    assert signed_amount("refund", -500) == -500
    assert signed_amount("payment", 500) == 500
