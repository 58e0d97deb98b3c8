"""Reconciling a day: each provider's settlement report against the journal, stored.

For one (local day, provider), in one transaction: read the provider's report, the journal
entries of the day, what we hold for every other reference the report names and the day's
payments still waiting for the provider; match them (``reconciliation_match``); replace the
stored run of that day and provider with the new one and its differences, with a
``payments.reconciled`` event. Concurrent runs of the same day and provider queue on an
advisory lock, so the stored result is always one run's, whole.

The periodic job (``reconcile_payments``, every PAYMENT_RECONCILIATION_INTERVAL seconds)
reconciles the days of the last PAYMENT_RECONCILIATION_DAYS that have no run yet after their
end (plus the settling delay), so each closed day is reconciled once its reports are final,
and a day missed while the worker was down is caught up. Finance may run any day again
(``POST /api/v1/payments/reconciliation``) once a late report arrives.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, select, text

from cgcrm.citizens import sharing
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import ValidationError
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.payments import states
from cgcrm.payments.journal_export import journal_totals
from cgcrm.payments.ledger import JournalEntry, business_date
from cgcrm.payments.models import Payment, Refund
from cgcrm.payments.providers import available_providers, provider_for
from cgcrm.payments.providers.base import SettlementLine
from cgcrm.payments.providers.cash import day_bounds
from cgcrm.payments.reconciliation_match import (
    Key,
    Known,
    LedgerLine,
    MatchResult,
    match_settlement,
)
from cgcrm.payments.reconciliation_models import (
    AGREED,
    DIFFERENCES,
    REPORT_UNAVAILABLE,
    ReconciliationItem,
    ReconciliationRun,
)

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:reconciliation"


def local_today() -> date:
    """Today in TIME_ZONE."""
    return business_date(utcnow())


def check_day(day: date) -> None:
    """:raises ValidationError: ``day`` has not begun yet (TIME_ZONE)."""
    if day > local_today():
        raise ValidationError(
            f"{day.isoformat()} has not begun yet", errors={"date": ["a day in the future"]}
        )


def reconcile_day(
    day: date, *, run_by: str = SYSTEM_ACTOR, provider: str | None = None
) -> list[ReconciliationRun]:
    """Reconcile ``day`` for every configured provider (or only ``provider``).

    A provider whose module is not installed is skipped (logged); one whose report cannot be
    read gets a ``report_unavailable`` run listing the day's unresolved payments.

    :param run_by: who asked ("user:<id>", "client:<id>", or the periodic job).
    :raises ValidationError: ``day`` is in the future, or ``provider`` is not configured.
    :returns: the stored runs.
    """
    check_day(day)
    names = available_providers()
    if provider is not None:
        if provider not in names:
            raise ValidationError(
                f"no payment provider called {provider}", errors={"provider": ["unknown"]}
            )
        names = [provider]
    runs = []
    for name in names:
        run = reconcile_provider_day(day, name, run_by=run_by, skip_missing=provider is None)
        if run is not None:
            runs.append(run)
    return runs


def reconcile_provider_day(
    day: date, name: str, *, run_by: str = SYSTEM_ACTOR, skip_missing: bool = False
) -> ReconciliationRun | None:
    """Reconcile one provider's report of ``day`` and store the result, replacing the last.

    :param skip_missing: return None instead of raising when the provider's module is missing.
    :raises ValidationError: the provider is not available (unless ``skip_missing``).
    """
    started = utcnow()
    try:
        try:
            provider = provider_for(name)
        except ValidationError:
            if skip_missing:
                log.warning("reconciliation: provider %s is not available, skipped", name)
                db.session.rollback()
                return None
            raise
        report: list[SettlementLine] | None
        detail = None
        try:
            report = list(provider.settlement_report(day))
        except Exception as exc:  # one provider's unreadable report must not stop the others
            log.exception("reconciliation: %s's report of %s could not be read", name, day)
            report, detail = None, f"the settlement report could not be read: {exc}"
        _lock(day, name)
        ledger = _ledger_lines(day, name)
        open_payments = _open_payments(day, name)
        if report is None:
            result = match_settlement([], [], {}, open_payments)
            result.ledger_count = len(ledger)
            for line in ledger:
                totals = result.ledger_totals
                totals[line.currency] = totals.get(line.currency, 0) + line.amount_minor
            status = REPORT_UNAVAILABLE
        else:
            posted = {(line.kind, line.provider_reference) for line in ledger}
            unposted = {(line.kind, line.provider_reference) for line in report} - posted
            result = match_settlement(ledger, report, _known(unposted), open_payments)
            status = DIFFERENCES if result.differences else AGREED
        run = _store(day, name, status, result, detail, run_by, started)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return run


def _lock(day: date, provider: str) -> None:
    """Queue behind any other run of the same day and provider until this transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"cgcrm:reconciliation:{day.isoformat()}:{provider}"},
        )


def _ledger_lines(day: date, provider: str) -> list[LedgerLine]:
    rows = db.session.execute(
        select(JournalEntry, Payment.reference)
        .join(Payment, Payment.id == JournalEntry.payment_id)
        .where(JournalEntry.business_date == day, JournalEntry.provider == provider)
        .order_by(JournalEntry.id)
    ).all()
    return [
        LedgerLine(
            entry_id=entry.id,
            kind=entry.kind,
            provider_reference=entry.provider_reference,
            amount_minor=entry.amount_minor,
            currency=entry.currency,
            payment_id=entry.payment_id,
            refund_id=entry.refund_id,
            payment_reference=reference,
            department_code=entry.department_code,
            service_code=entry.service_code,
        )
        for entry, reference in rows
    ]


def _known(keys: Iterable[Key]) -> dict[Key, Known]:
    """Our payments and refunds behind the report's references the day's journal lacks."""
    payment_refs = [ref for kind, ref in keys if kind == "payment" and ref]
    refund_refs = [ref for kind, ref in keys if kind == "refund" and ref]
    found: dict[Key, Known] = {}
    if payment_refs:
        posted_on = (
            select(JournalEntry.business_date)
            .where(JournalEntry.payment_id == Payment.id, JournalEntry.kind == "payment")
            .scalar_subquery()
        )
        for payment, day in db.session.execute(
            select(Payment, posted_on).where(Payment.provider_reference.in_(payment_refs))
        ):
            found[("payment", payment.provider_reference)] = Known(
                kind="payment",
                provider_reference=payment.provider_reference,
                payment_id=payment.id,
                state=payment.state,
                payment_reference=payment.reference,
                department_code=payment.department_code,
                service_code=payment.service_code,
                posted_on=day,
            )
    if refund_refs:
        posted_on = (
            select(JournalEntry.business_date)
            .where(JournalEntry.refund_id == Refund.id, JournalEntry.kind == "refund")
            .scalar_subquery()
        )
        for refund, payment, day in db.session.execute(
            select(Refund, Payment, posted_on)
            .join(Payment, Payment.id == Refund.payment_id)
            .where(Refund.provider_reference.in_(refund_refs))
        ):
            found[("refund", refund.provider_reference)] = Known(
                kind="refund",
                provider_reference=refund.provider_reference,
                payment_id=payment.id,
                refund_id=refund.id,
                state=refund.state,
                payment_reference=payment.reference,
                department_code=payment.department_code,
                service_code=payment.service_code,
                posted_on=day,
            )
    return found


def _open_payments(day: date, provider: str) -> list[Known]:
    """The payments of ``day`` with this provider still waiting for its word (and refunds)."""
    start, end = day_bounds(day)
    payments = db.session.scalars(
        select(Payment)
        .where(
            Payment.provider == provider,
            Payment.finished.is_(False),
            Payment.created_at >= start,
            Payment.created_at < end,
        )
        .order_by(Payment.created_at, Payment.id)
    ).all()
    waiting = [
        Known(
            kind="payment",
            provider_reference=p.provider_reference,
            payment_id=p.id,
            state=p.state,
            payment_reference=p.reference,
            department_code=p.department_code,
            service_code=p.service_code,
        )
        for p in payments
    ]
    refunds = db.session.execute(
        select(Refund, Payment)
        .join(Payment, Payment.id == Refund.payment_id)
        .where(
            Payment.provider == provider,
            Refund.state == states.REFUND_SUBMITTED,
            Refund.created_at >= start,
            Refund.created_at < end,
        )
        .order_by(Refund.created_at, Refund.id)
    ).all()
    waiting += [
        Known(
            kind="refund",
            provider_reference=r.provider_reference,
            payment_id=p.id,
            refund_id=r.id,
            state=r.state,
            payment_reference=p.reference,
            department_code=p.department_code,
            service_code=p.service_code,
        )
        for r, p in refunds
    ]
    return waiting


def _store(
    day: date,
    provider: str,
    status: str,
    result: MatchResult,
    detail: str | None,
    run_by: str,
    started: datetime,
) -> ReconciliationRun:
    """Replace the stored run of (day, provider) with this one, with its event."""
    db.session.execute(
        delete(ReconciliationRun).where(
            ReconciliationRun.business_date == day, ReconciliationRun.provider == provider
        )
    )
    db.session.flush()
    run = ReconciliationRun(
        id=uuid.uuid4(),
        business_date=day,
        provider=provider,
        status=status,
        matched=result.matched,
        ledger_count=result.ledger_count,
        report_count=result.report_count,
        ledger_totals=dict(result.ledger_totals),
        report_totals=dict(result.report_totals),
        difference_count=len(result.differences),
        detail=detail,
        run_by=run_by,
        started_at=started,
        finished_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    if result.differences:
        db.session.execute(
            insert(ReconciliationItem.__table__),
            [
                {
                    "run_id": run.id,
                    "business_date": day,
                    "provider": provider,
                    "kind": d.kind,
                    "entry_kind": d.entry_kind,
                    "provider_reference": d.provider_reference,
                    "payment_id": d.payment_id,
                    "refund_id": d.refund_id,
                    "payment_reference": d.payment_reference,
                    "department_code": d.department_code,
                    "service_code": d.service_code,
                    "ledger_amount_minor": d.ledger_amount_minor,
                    "report_amount_minor": d.report_amount_minor,
                    "currency": d.currency,
                    "our_state": d.our_state,
                    "report_state": d.report_state,
                    "detail": d.detail,
                }
                for d in result.differences
            ],
        )
    add_event(
        "payments.reconciled",
        "reconciliation_run",
        run.id,
        {
            "business_date": day.isoformat(),
            "provider": provider,
            "status": status,
            "differences": len(result.differences),
        },
    )
    return run


# --- reading ------------------------------------------------------------------------------


def visible_department(actor: Actor) -> tuple[bool, str | None]:
    """(sees every department, the one department it sees otherwise)."""
    return sharing.sees_every_department(actor), actor.principal.department_code


def get_reconciliation(actor: Actor, day: date, provider: str | None = None) -> dict[str, Any]:
    """The stored reconciliation of ``day``: each provider's run and the differences found.

    A principal without the cross_department scope sees its own department's differences
    only (a difference about money we never knew has no department: finance sees it).
    The runs' counts and totals are per provider, with no personal data, and shown to all.

    :returns: ``{"date", "reconciled", "journal": [totals per service, channel and currency],
        "runs": [...], "differences": [...]}``.
    """
    every, own = visible_department(actor)
    runs_query = select(ReconciliationRun).where(ReconciliationRun.business_date == day)
    items_query = select(ReconciliationItem).where(ReconciliationItem.business_date == day)
    if provider is not None:
        runs_query = runs_query.where(ReconciliationRun.provider == provider)
        items_query = items_query.where(ReconciliationItem.provider == provider)
    if not every:
        items_query = items_query.where(ReconciliationItem.department_code == own)
    journal = journal_totals(actor, day)
    runs = db.session.scalars(runs_query.order_by(ReconciliationRun.provider)).all()
    items = db.session.scalars(
        items_query.order_by(ReconciliationItem.provider, ReconciliationItem.id)
    ).all()
    db.session.commit()
    return {
        "date": day,
        "reconciled": bool(runs),
        "journal": journal,
        "runs": list(runs),
        "differences": list(items),
    }


# --- the periodic job ---------------------------------------------------------------------


def days_due(now: datetime | None = None) -> list[date]:
    """The closed days of the look-back window still to reconcile.

    A day is due once PAYMENT_RECONCILIATION_DELAY seconds have passed since its end (reports
    are final) while it has no run, a run begun before that moment, or a run whose report
    could not be read; so it is reconciled once when all went well, a report that came late is
    read on a later run, and a day the worker missed is caught up.
    """
    now = now or utcnow()
    config = current_app.config
    delay = timedelta(seconds=int(config["PAYMENT_RECONCILIATION_DELAY"]))
    today = business_date(now)
    due = []
    for back in range(int(config["PAYMENT_RECONCILIATION_DAYS"]), 0, -1):
        day = today - timedelta(days=back)
        settled_at = day_bounds(day)[1] + delay
        if settled_at > now:
            continue
        first, unread = db.session.execute(
            select(
                func.min(ReconciliationRun.started_at),
                func.count().filter(ReconciliationRun.status == REPORT_UNAVAILABLE),
            ).where(ReconciliationRun.business_date == day)
        ).one()
        if first is None or first < settled_at or unread:
            due.append(day)
    db.session.commit()
    return due


def reconcile_due_days() -> list[date]:
    """Reconcile every due day (``days_due``) for every provider.

    :returns: the days reconciled.
    """
    due = days_due()
    for day in due:
        reconcile_day(day)
    return due
