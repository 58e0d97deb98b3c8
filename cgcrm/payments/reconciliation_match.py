"""Matching one provider's settlement report for one day against the ledger: pure functions.

Nothing here reads the database or the clock: ``cgcrm.payments.reconciliation`` gathers the
three inputs (the day's journal entries of the provider, the report's lines, and what we know
of every other provider reference involved) and stores what ``match_settlement`` returns.

A line is keyed by (kind, provider reference): a payment and its refunds have references of
their own at the provider. Money moved only for report lines in a settled state
(``SETTLED_STATES``); a line in any other state (declined, failed, error) says the provider took
nothing, which agrees with a payment of ours that did not succeed and with no journal entry.

Differences, each naming the provider reference and, where we know it, our payment:

- ``missing_in_report``: a journal entry the provider's report does not have;
- ``missing_in_ledger``: money the provider settled that the day's journal lacks (unknown to
  us, posted on another day, or a success of ours never posted);
- ``amount_mismatch``: both have it, for different amounts or currencies;
- ``state_mismatch``: the provider and we disagree on whether it succeeded (the provider
  settled a payment we hold as failed or still in progress — a provider time-out — or the
  journal has an entry the provider reports as failed);
- ``duplicate``: the same reference settled twice in the report (a double charge) or posted
  twice in the journal;
- ``unresolved``: a payment of the day still waiting for its provider's word, with no line in
  the report to settle it either way.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

SETTLED_STATES = frozenset({"success", "settled", "captured"})

MISSING_IN_REPORT = "missing_in_report"
MISSING_IN_LEDGER = "missing_in_ledger"
AMOUNT_MISMATCH = "amount_mismatch"
STATE_MISMATCH = "state_mismatch"
DUPLICATE = "duplicate"
UNRESOLVED = "unresolved"
DIFFERENCE_KINDS = (
    MISSING_IN_REPORT,
    MISSING_IN_LEDGER,
    AMOUNT_MISMATCH,
    STATE_MISMATCH,
    DUPLICATE,
    UNRESOLVED,
)


class ReportLine(Protocol):
    """What the matcher reads of a ``providers.base.SettlementLine``."""

    @property
    def provider_reference(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def occurred_on(self) -> date: ...


@dataclass(frozen=True)
class LedgerLine:
    """One journal entry of the day, for the provider being reconciled (refunds negative)."""

    entry_id: int
    kind: str
    provider_reference: str | None
    amount_minor: int
    currency: str
    payment_id: uuid.UUID
    refund_id: uuid.UUID | None = None
    payment_reference: str | None = None
    department_code: str | None = None
    service_code: str | None = None


@dataclass(frozen=True)
class Known:
    """What we hold for a provider reference that the day's journal does not settle.

    ``state`` is the payment's (or the refund's) state; ``posted_on`` the business date of
    its journal entry when it has one on another day.
    """

    kind: str
    provider_reference: str | None
    payment_id: uuid.UUID
    state: str
    refund_id: uuid.UUID | None = None
    payment_reference: str | None = None
    department_code: str | None = None
    service_code: str | None = None
    posted_on: date | None = None


@dataclass(frozen=True)
class Difference:
    """One thing the report and the ledger disagree on, ready to store and show."""

    kind: str
    entry_kind: str
    provider_reference: str | None
    detail: str
    payment_id: uuid.UUID | None = None
    refund_id: uuid.UUID | None = None
    payment_reference: str | None = None
    department_code: str | None = None
    service_code: str | None = None
    ledger_amount_minor: int | None = None
    report_amount_minor: int | None = None
    currency: str | None = None
    our_state: str | None = None
    report_state: str | None = None


@dataclass
class MatchResult:
    """The outcome of one day and provider: the totals of both sides and every difference."""

    matched: int = 0
    ledger_count: int = 0
    report_count: int = 0
    # Per currency, in minor units, refunds negative.
    ledger_totals: dict[str, int] = field(default_factory=dict)
    report_totals: dict[str, int] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)


def signed_amount(kind: str, amount_minor: int) -> int:
    """The report's amount as the ledger signs it: refunds negative, whatever the report's sign."""
    return -abs(amount_minor) if kind == "refund" else amount_minor


def is_settled(state: str) -> bool:
    """Whether a report line in ``state`` moved money."""
    return state.strip().lower() in SETTLED_STATES


Key = tuple[str, str | None]


def _difference(
    kind: str,
    entry_kind: str,
    reference: str | None,
    detail: str,
    source: LedgerLine | Known | None,
    *,
    ledger: int | None = None,
    report: int | None = None,
    currency: str | None = None,
    ours: str | None = None,
    theirs: str | None = None,
) -> Difference:
    return Difference(
        kind,
        entry_kind,
        reference,
        detail,
        payment_id=source.payment_id if source else None,
        refund_id=source.refund_id if source else None,
        payment_reference=source.payment_reference if source else None,
        department_code=source.department_code if source else None,
        service_code=source.service_code if source else None,
        ledger_amount_minor=ledger,
        report_amount_minor=report,
        currency=currency,
        our_state=ours,
        report_state=theirs,
    )


def _name(source: LedgerLine | Known | None, reference: str | None) -> str:
    """How a detail names the item: our payment reference, else the provider's."""
    if source is not None and source.payment_reference:
        return source.payment_reference
    return reference or "(no provider reference)"


def match_settlement(
    ledger: Sequence[LedgerLine],
    report: Iterable[ReportLine],
    known: Mapping[Key, Known],
    open_payments: Sequence[Known] = (),
) -> MatchResult:
    """Match the day's journal entries of one provider against its settlement report.

    :param ledger: the provider's journal entries of the day.
    :param report: the provider's settlement lines of the day.
    :param known: our record of each (kind, provider reference) in the report that ``ledger``
        lacks (absent: we have never heard of it).
    :param open_payments: the day's payments of this provider not yet finished; each becomes
        ``unresolved`` unless the report names it (then it is a state mismatch instead).
    :returns: totals and differences, in a stable order (kind, reference).
    """
    result = MatchResult()
    by_key: dict[Key, list[LedgerLine]] = defaultdict(list)
    for line in ledger:
        by_key[(line.kind, line.provider_reference)].append(line)
        result.ledger_count += 1
        totals = result.ledger_totals
        totals[line.currency] = totals.get(line.currency, 0) + line.amount_minor
    lines: dict[Key, list[ReportLine]] = defaultdict(list)
    for report_line in report:
        lines[(report_line.kind, report_line.provider_reference)].append(report_line)
        if is_settled(report_line.state):
            result.report_count += 1
            amount = signed_amount(report_line.kind, report_line.amount_minor)
            totals = result.report_totals
            totals[report_line.currency] = totals.get(report_line.currency, 0) + amount
    differences = result.differences

    for (kind, reference), entries in by_key.items():
        if len(entries) > 1:
            first = entries[0]
            numbers = ", ".join(str(e.entry_id) for e in entries)
            differences.append(
                _difference(
                    DUPLICATE,
                    kind,
                    reference,
                    f"{_name(first, reference)}: posted {len(entries)} times in the journal "
                    f"(entries {numbers})",
                    first,
                    ledger=sum(e.amount_minor for e in entries),
                    currency=first.currency,
                    ours="success",
                )
            )

    for key in sorted(lines, key=lambda k: (k[0], k[1] or "")):
        found = _match_one(key, lines[key], by_key.get(key, []), known.get(key))
        differences.extend(found)
        result.matched += key in by_key and not found

    for key, entries in by_key.items():
        if key in lines:
            continue
        entry = entries[0]
        differences.append(
            _difference(
                MISSING_IN_REPORT,
                entry.kind,
                entry.provider_reference,
                f"{_name(entry, entry.provider_reference)}: in the journal, not in the "
                "provider's report",
                entry,
                ledger=entry.amount_minor,
                currency=entry.currency,
                ours="success",
            )
        )

    named = {d.payment_id for d in differences if d.payment_id is not None}
    for payment in open_payments:
        if payment.payment_id in named:
            continue
        differences.append(
            _difference(
                UNRESOLVED,
                payment.kind,
                payment.provider_reference,
                f"{_name(payment, payment.provider_reference)}: still {payment.state}; the "
                "provider has neither settled nor refused it",
                payment,
                ours=payment.state,
            )
        )
    differences.sort(
        key=lambda d: (
            DIFFERENCE_KINDS.index(d.kind),
            d.entry_kind,
            d.provider_reference or "",
            d.payment_reference or "",
        )
    )
    return result


def _match_one(
    key: Key, report: Sequence[ReportLine], posted: Sequence[LedgerLine], other: Known | None
) -> list[Difference]:
    """The differences of one (kind, provider reference) the report names."""
    kind, reference = key
    settled = [line for line in report if is_settled(line.state)]
    entry = posted[0] if posted else None
    ours: LedgerLine | Known | None = entry or other
    found: list[Difference] = []
    if len(settled) > 1:
        found.append(
            _difference(
                DUPLICATE,
                kind,
                reference,
                f"{_name(ours, reference)}: settled {len(settled)} times by the provider",
                ours,
                report=sum(signed_amount(kind, s.amount_minor) for s in settled),
                currency=settled[0].currency,
                theirs=settled[0].state,
            )
        )
    theirs = (settled or report)[0].state
    if entry is not None:
        if not settled:
            found.append(
                _difference(
                    STATE_MISMATCH,
                    kind,
                    reference,
                    f"{_name(entry, reference)}: in the journal, but the provider reports it "
                    f"{theirs}",
                    entry,
                    ledger=entry.amount_minor,
                    currency=entry.currency,
                    ours="success",
                    theirs=theirs,
                )
            )
            return found
        amount = signed_amount(kind, settled[0].amount_minor)
        if amount != entry.amount_minor or settled[0].currency != entry.currency:
            found.append(
                _difference(
                    AMOUNT_MISMATCH,
                    kind,
                    reference,
                    f"{_name(entry, reference)}: {entry.amount_minor} {entry.currency} in the "
                    f"journal, {amount} {settled[0].currency} in the report",
                    entry,
                    ledger=entry.amount_minor,
                    report=amount,
                    currency=entry.currency,
                    ours="success",
                    theirs=theirs,
                )
            )
        return found
    if not settled:
        if other is not None and other.state == "success":
            found.append(
                _difference(
                    STATE_MISMATCH,
                    kind,
                    reference,
                    f"{_name(other, reference)}: success with us, {theirs} in the provider's "
                    "report",
                    other,
                    ours=other.state,
                    theirs=theirs,
                )
            )
        return found  # nothing moved, and we agree (or never heard of it)
    amount = signed_amount(kind, settled[0].amount_minor)
    currency = settled[0].currency
    if other is None:
        detail = f"{reference}: settled by the provider, unknown to us"
        kind_found, ours_state = MISSING_IN_LEDGER, None
    elif other.state != "success":
        detail = f"{_name(other, reference)}: settled by the provider, {other.state} with us"
        kind_found, ours_state = STATE_MISMATCH, other.state
    else:
        where = (
            f"posted on {other.posted_on.isoformat()}"
            if other.posted_on
            else "never posted to the journal"
        )
        detail = f"{_name(other, reference)}: settled by the provider this day, {where}"
        kind_found, ours_state = MISSING_IN_LEDGER, other.state
    found.append(
        _difference(
            kind_found,
            kind,
            reference,
            detail,
            other,
            report=amount,
            currency=currency,
            ours=ours_state,
            theirs=theirs,
        )
    )
    return found
