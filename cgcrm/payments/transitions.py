"""Moving a payment from state to state: the one place where its state changes.

Every move is forward only (``states.moves_forward``), recorded in ``payment_events`` with who
and when, and announced in the outbox (``payment.<state>``; ``payment.succeeded`` for success).
A success also posts the journal entry and records a completed contact on the payment's channel
for its service, so it counts in the KPIs. The caller holds the payment's row lock and owns the
transaction; ``finish`` ends it.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Required, TypedDict, TypeVar, Unpack

from flask import current_app
from sqlalchemy import Dialect, Insert, Select, bindparam, insert, inspect, select
from sqlalchemy.orm import InstanceState, configure_mappers, make_transient_to_detached
from sqlalchemy.orm.attributes import instance_state, set_committed_value

from cgcrm.catalog.codes import catalog_codes
from cgcrm.citizens.models import Citizen
from cgcrm.core.audit import AuditEvent, access_rows, record_access
from cgcrm.core.clock import utcnow
from cgcrm.core.driver import execute_compiled
from cgcrm.core.errors import DomainError, NotFound, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import OutboxEvent, add_event
from cgcrm.core.principal import Actor, Principal
from cgcrm.core.scopes import CROSS_DEPARTMENT
from cgcrm.extensions import db
from cgcrm.interactions.service import record_interaction
from cgcrm.payments import ledger, states
from cgcrm.payments.errors import InvalidCard, ProviderUnavailable, TransitionRefused
from cgcrm.payments.models import Payment, PaymentEvent
from cgcrm.payments.money import decimal_amount
from cgcrm.payments.one_statement import (
    AUDIT_COLUMNS,
    EVENT_COLUMNS,
    MOVED_COLUMNS,
    OUTBOX_COLUMNS,
    move_statement,
)
from cgcrm.payments.providers.base import CardSummary

Hook = Callable[[Payment], None]
T = TypeVar("T")
log = logging.getLogger(__name__)
_LAST4 = re.compile(r"^[0-9]{4}$")
_EXPIRY = re.compile(r"^(0[1-9]|1[0-2])/[0-9]{2}$")

# How far a merge chain is followed to find the record a contact is recorded against.
_MERGE_HOPS = 10


def actor_principal(actor: str, department_code: str | None) -> Principal:
    """A principal named by an actor string (``provider:sandbox``, ``system:expiry``)."""
    kind, _, ident = actor.partition(":")
    department = catalog_codes.department_by_code(department_code) if department_code else None
    return Principal(
        kind=kind[:10] or "system",
        id=ident or kind,
        department_id=department.id if department else None,
        department_code=department_code,
        scopes=frozenset({CROSS_DEPARTMENT}),
    )


def call_provider(provider: str, action: str, call: Callable[[], T]) -> T:
    """``call()``, a call into a provider; its failure becomes ``ProviderUnavailable`` (503),
    so the caller's transaction rolls back whole and the client may retry.

    :raises DomainError: what the provider raised as one (a refusal it explains).
    :raises ProviderUnavailable: any other failure of the provider.
    """
    try:
        return call()
    except DomainError:
        raise
    except Exception as exc:
        log.exception("payment provider %s failed to %s", provider, action)
        raise ProviderUnavailable(
            f"the payment provider {provider} could not {action}; nothing was done, try again"
        ) from exc


def check_card(card: CardSummary) -> None:
    """:raises InvalidCard: not a brand, the last four digits and an MM/YY expiry."""
    problems = {}
    if not card.brand or len(card.brand) > 40:
        problems["card.brand"] = ["1 to 40 characters"]
    if not _LAST4.match(card.last4 or ""):
        problems["card.last4"] = ["four digits"]
    if not _EXPIRY.match(card.expiry or ""):
        problems["card.expiry"] = ["MM/YY"]
    if problems:
        raise InvalidCard("the card summary is not valid", errors=problems)


@cache
def _locked_statement(column: str, with_citizen: bool) -> Select[Any]:
    """The payment whose ``column`` is the ``value`` parameter, its row locked (and its
    citizen's status, outer-joined): built once per column, so a request neither builds the
    statement nor works out its cache key again."""
    value = bindparam("value", type_=Payment.__table__.c[column].type)
    if with_citizen:
        return (
            select(Payment, Citizen.status)
            .outerjoin(Citizen, Citizen.id == Payment.citizen_id)
            .where(getattr(Payment, column) == value)
            .with_for_update(of=Payment)
            .execution_options(populate_existing=True)
        )
    return (
        select(Payment)
        .where(getattr(Payment, column) == value)
        .with_for_update()
        # Another transaction may have changed it while this one waited for the lock.
        .execution_options(populate_existing=True)
    )


def locked_payment(**where: Any) -> Payment:
    """The payment matching ``where`` (one column), its row locked for this transaction.

    :raises NotFound: no such payment.
    """
    ((column, value),) = where.items()
    payment = db.session.execute(
        _locked_statement(column, False), {"value": value}
    ).scalar_one_or_none()
    if payment is None:
        raise NotFound(f"no payment with {column} {value}")
    return payment


def locked_payment_and_citizen(**where: Any) -> tuple[Payment, bool]:
    """``locked_payment``, and whether its citizen (if any) is unmerged as of now: read in the
    same round trip, so recording its contact need not look the citizen up again (the
    contact's guarded INSERT checks it once more).

    :raises NotFound: no such payment.
    """
    ((column, value),) = where.items()
    dialect = db.session.get_bind().dialect
    if dialect.name == "postgresql":
        read = _locked_row(column, dialect)
        row = execute_compiled(read.statement, {"value": value}).fetchone()
        if row is None:
            raise NotFound(f"no payment with {column} {value}")
        payment, citizen_status = read.payment(row), row[-1]
    else:
        found = db.session.execute(_locked_statement(column, True), {"value": value}).one_or_none()
        if found is None:
            raise NotFound(f"no payment with {column} {value}")
        payment, citizen_status = found
    return payment, payment.citizen_id is None or (
        citizen_status is not None and citizen_status != "merged"
    )


@dataclass(frozen=True)
class _LockedRow:
    """The locked payment and its citizen's status read as plain columns (``statement``), and
    each column's attribute and result processor (what loading it through the ORM applies)."""

    statement: Select[Any]
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def payment(self, row: Sequence[Any]) -> Payment:
        """The payment of ``row``, built as the ORM loads one but detached: it belongs to no
        session, so nothing of it is flushed (a move writes it with its own statement)."""
        payment: Payment = _new_payment()
        values = instance_state(payment).dict
        for key, process, value in zip(self.keys, self.processors, row, strict=False):
            values[key] = value if process is None else process(value)
        make_transient_to_detached(payment)
        return payment


_new_payment = Payment.__mapper__.class_manager.new_instance


@cache
def _locked_row(column: str, dialect: Dialect) -> _LockedRow:
    """``locked_payment_and_citizen``'s read without the ORM's loading (a notification's):
    the payment's columns, then its citizen's status; its row locked."""
    # Instances are built by hand here: the mappers' attributes must be set up first (a
    # process may not have run any ORM query yet).
    configure_mappers()
    payments, citizens = Payment.__table__, Citizen.__table__
    columns = tuple(payments.columns)
    statement = (
        select(*columns, citizens.c.status)
        .outerjoin(citizens, citizens.c.id == payments.c.citizen_id)
        .where(payments.c[column] == bindparam("value", type_=payments.c[column].type))
        .with_for_update(of=payments)
    )
    return _LockedRow(
        statement,
        tuple(column.key for column in columns),
        tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ),
    )


def record_event(
    payment_id: uuid.UUID,
    from_state: str | None,
    to_state: str,
    *,
    actor: str,
    occurred_at: datetime,
    code: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one line to a payment's history in the current transaction."""
    db.session.execute(
        insert(PaymentEvent.__table__),
        {
            "payment_id": payment_id,
            "from_state": from_state,
            "to_state": to_state,
            "code": code,
            "actor": actor,
            "detail": detail or {},
            "occurred_at": occurred_at,
            "recorded_at": utcnow(),
        },
    )


def _values(table: Any, prefix: str, columns: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(f"{prefix}{name}", type_=table.c[name].type) for name in columns}


@cache
def _history_statement(audited: bool) -> Insert:
    """The payment's event, its outbox event and (``audited``) the citizen's audit event as
    one statement: data-modifying CTEs, one round trip instead of three."""
    event = insert(PaymentEvent.__table__).values(
        _values(PaymentEvent.__table__, "ev_", EVENT_COLUMNS)
    )
    outbox = insert(OutboxEvent.__table__).values(
        _values(OutboxEvent.__table__, "ob_", OUTBOX_COLUMNS)
    )
    if not audited:
        return outbox.add_cte(event.cte("payment_event"))
    audit = insert(AuditEvent.__table__).values(_values(AuditEvent.__table__, "au_", AUDIT_COLUMNS))
    return audit.add_cte(event.cte("payment_event"), outbox.cte("outbox_event"))


class HistoryStep(TypedDict, total=False):
    """One step of a payment besides the payment and its two states: who, when, the outbox
    event ``outbox`` (``event_payload``, or ``payload`` when not the payment as it stands) and,
    with ``audit`` (who, which action), the audit event on its citizen."""

    actor: Required[str]
    occurred_at: Required[datetime]
    outbox: Required[str]
    code: str | None
    detail: dict[str, Any] | None
    audit: tuple[Actor, str] | None
    payload: dict[str, Any] | None


def record_history(
    payment: Payment, from_state: str | None, to_state: str, **step: Unpack[HistoryStep]
) -> None:
    """Record one step of a payment in the current transaction: its line in ``payment_events``,
    its outbox event and its audit event, when it has a citizen. One statement on PostgreSQL.
    """
    audit = step.get("audit")
    if db.session.get_bind().dialect.name != "postgresql":
        record_event(
            payment.id,
            from_state,
            to_state,
            actor=step["actor"],
            occurred_at=step["occurred_at"],
            code=step.get("code"),
            detail=step.get("detail"),
        )
        payload = step.get("payload")
        add_event(
            step["outbox"],
            "payment",
            payment.id,
            event_payload(payment) if payload is None else payload,
        )
        if audit is not None and payment.citizen_id is not None:
            record_access(audit[0], audit[1], [payment.citizen_id])
        return
    event, announced, audited_row = history_rows(payment, from_state, to_state, **step)
    params = {f"ev_{name}": value for name, value in event.items()}
    params.update({f"ob_{name}": value for name, value in announced.items()})
    if audited_row is not None:
        params.update({f"au_{name}": value for name, value in audited_row.items()})
    db.session.execute(_history_statement(audited_row is not None), params)


def history_rows(
    payment: Payment, from_state: str | None, to_state: str, **step: Unpack[HistoryStep]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """One step's rows (``record_history``'s parameters): its ``payment_events`` row, its
    outbox event and, with ``audit`` and a citizen, its audit event; by column name."""
    now, payload = utcnow(), step.get("payload")
    event = {
        "payment_id": payment.id,
        "from_state": from_state,
        "to_state": to_state,
        "code": step.get("code"),
        "actor": step["actor"],
        "detail": step.get("detail") or {},
        "occurred_at": step["occurred_at"],
        "recorded_at": now,
    }
    announced = {
        "event_id": new_id(),
        "type": step["outbox"],
        "aggregate_type": "payment",
        "aggregate_id": payment.id,
        "payload": event_payload(payment) if payload is None else payload,
        "occurred_at": now,
        "deliveries": 0,
    }
    audited = None
    audit = step.get("audit")
    if audit is not None and payment.citizen_id is not None:
        (audited,) = access_rows(audit[0], audit[1], [payment.citizen_id])
    return event, announced, audited


def event_payload(payment: Payment) -> dict[str, Any]:
    """What the outbox says about a payment: ids and facts, no personal data."""
    return {
        "payment_id": str(payment.id),
        "reference": payment.reference,
        "state": payment.state,
        "code": payment.failure_code,
        "service_code": payment.service_code,
        "department_code": payment.department_code,
        "channel": payment.channel,
        "provider": payment.provider,
        "amount": payment.amount_minor,
        "currency": payment.currency,
        "citizen_id": str(payment.citizen_id) if payment.citizen_id else None,
        "case_id": str(payment.case_id) if payment.case_id else None,
    }


def outbox_type(state: str) -> str:
    return "payment.succeeded" if state == states.SUCCESS else f"payment.{state}"


def move(
    payment: Payment,
    to_state: str,
    *,
    actor: str,
    occurred_at: datetime,
    code: str | None = None,
    card: CardSummary | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Move a locked, stored payment forward to ``to_state`` in the current transaction: its
    row, its history (event, outbox, audit) and, for a success, its journal entry; one
    statement on PostgreSQL.

    :returns: False when it already was in ``to_state`` (a repeated update changes nothing).
    :raises ValidationError: unknown state, or a code that does not go with it.
    :raises TransitionRefused: the move would go backwards or leave a finished state.
    """
    from_state = advance(payment, to_state, occurred_at=occurred_at, code=code, card=card)
    if from_state is None:
        return False
    step: dict[str, Any] = {
        "actor": actor,
        "occurred_at": occurred_at,
        "code": payment.failure_code,
        "detail": detail,
        "outbox": outbox_type(to_state),
        "audit": moved_audit(payment, actor, to_state),
    }
    journal = to_state == states.SUCCESS
    if db.session.get_bind().dialect.name == "postgresql":
        _write_move(payment, from_state, to_state, step, journal)
        return True
    db.session.flush()
    record_history(payment, from_state, to_state, **step)
    if journal:
        ledger.post_payment_captured(payment)
    return True


def _write_move(
    payment: Payment, from_state: str, to_state: str, step: dict[str, Any], journal: bool
) -> None:
    """The move as one statement (``one_statement.move_statement``); the session then holds
    the written values as stored, so it does not UPDATE the row again."""
    moved = {column: getattr(payment, column) for column in MOVED_COLUMNS}
    event, announced, audit = history_rows(payment, from_state, to_state, **step)
    params: dict[str, Any] = {"p_id": payment.id}
    params.update({f"p_{name}": value for name, value in moved.items()})
    params.update({f"ev0_{name}": value for name, value in event.items()})
    params.update({f"ob0_{name}": value for name, value in announced.items()})
    if audit is not None:
        params.update({f"au0_{name}": value for name, value in audit.items()})
    if journal:
        row = ledger.entry_row(
            payment, ledger.PAYMENT, payment.amount_minor, ledger.captured_moment(payment)
        )
        params.update({f"je_{name}": value for name, value in row.items()})
    with db.session.no_autoflush:  # the moved columns are written here, not by a flush
        execute_compiled(move_statement(audit is not None, journal), params)
    for column, value in moved.items():
        set_committed_value(payment, column, value)
    state: InstanceState[Payment] = inspect(payment)
    if state.persistent and not state.committed_state:
        # Nothing else of it awaits a flush: clean, as a flush would leave it, so the commit's
        # flush does not walk the payment only to find nothing to write.
        state._commit_all(state.dict, db.session.identity_map)


def advance(
    payment: Payment,
    to_state: str,
    *,
    occurred_at: datetime,
    code: str | None = None,
    card: CardSummary | None = None,
) -> str | None:
    """Check a move of ``payment`` to ``to_state`` and make it on the object (not written).

    :returns: the state it was in, or None when it already was in ``to_state``.
    :raises ValidationError: unknown state, or a code that does not go with it.
    :raises TransitionRefused: the move would go backwards or leave a finished state.
    """
    if to_state not in states.RANKS:
        raise ValidationError(f"unknown payment state {to_state}", errors={"state": ["unknown"]})
    if code is None:
        code = states.default_code(to_state)
    problem = states.code_problem(to_state, code)
    if problem:
        raise ValidationError(problem, errors={"code": [problem]})
    if occurred_at.tzinfo is None:
        raise ValidationError(
            "occurred_at needs its offset", errors={"occurred_at": ["naive date-time"]}
        )
    if card is not None:
        check_card(card)
    if to_state == payment.state:
        return None
    if not states.moves_forward(payment.state, to_state):
        raise TransitionRefused(
            f"payment {payment.reference} is {payment.state}; it cannot become {to_state}",
            current_state=payment.state,
            requested_state=to_state,
        )
    now = utcnow()
    from_state = payment.state
    payment.state = to_state
    payment.failure_code = code
    payment.finished = states.finished(to_state)
    payment.updated_at = now
    payment.version += 1
    if payment.finished:
        payment.finished_at = now
    if to_state == states.SUCCESS:
        payment.captured_at = min(occurred_at, now)
    if card is not None:
        payment.card_brand, payment.card_last4, payment.card_expiry = (
            card.brand,
            card.last4,
            card.expiry,
        )
    return from_state


def moved_audit(payment: Payment, actor: str, to_state: str) -> tuple[Actor, str] | None:
    """Who a move is audited as (the actor string's principal), and its action."""
    if payment.citizen_id is None:
        return None
    return (
        Actor(actor_principal(actor, payment.department_code), _request_id()),
        f"payment.{to_state}",
    )


def _request_id() -> str:
    from flask import g, has_request_context

    if has_request_context() and g.get("request_id"):
        return str(g.request_id)
    return f"job-{uuid.uuid4().hex[:16]}"


@cache
def _citizen_statement() -> Select[Any]:
    """A citizen's status and survivor: Core, built once (no ORM statement a request)."""
    citizens = Citizen.__table__
    return select(citizens.c.status, citizens.c.merged_into_id).where(
        citizens.c.id == bindparam("citizen_id", type_=citizens.c.id.type)
    )


def _current_citizen(citizen_id: uuid.UUID | None) -> uuid.UUID | None:
    """The record a contact about ``citizen_id`` belongs to now (a merge moves it on)."""
    for _ in range(_MERGE_HOPS):
        if citizen_id is None:
            return None
        found = db.session.execute(_citizen_statement(), {"citizen_id": citizen_id}).first()
        if found is None:
            return None
        if found[0] != "merged":
            return citizen_id
        citizen_id = found[1]
    return None


def _contact(payment: Payment, actor: str, citizen_current: bool = False) -> dict[str, Any]:
    ended = payment.captured_at or utcnow()
    span = timedelta(hours=int(current_app.config["CONTACT_MAX_SPAN_HOURS"]))
    started = payment.created_at if ended - payment.created_at <= span else ended
    return {
        "citizen_id": (
            payment.citizen_id if citizen_current else _current_citizen(payment.citizen_id)
        ),
        "case_id": payment.case_id,
        "channel": payment.channel,
        "service_code": payment.service_code,
        "department_code": payment.department_code,
        "direction": "inbound",
        "outcome": "completed",
        "transaction_stage": "completed",
        "transaction_ref": payment.reference,
        "started_at": min(started, ended),
        "ended_at": ended,
        "summary": (
            f"Payment {payment.reference} of "
            f"{decimal_amount(payment.amount_minor, payment.currency)} {payment.currency}"
        ),
    }


def finish(
    payment: Payment,
    *,
    actor: str,
    succeeded: bool,
    hook: Hook | None = None,
    citizen_current: bool = False,
) -> None:
    """Commit the current transaction: after ``hook`` (which runs inside it), and, when the
    payment just succeeded, with its completed contact (``record_interaction`` joins the
    transaction and commits it, so the contact and the payment commit together).

    :param citizen_current: the payment's citizen was checked unmerged in this transaction
        (a create, or a notification's look-up of the payment): the contact is recorded
        against it without following merges.
    """
    if not succeeded:
        if hook:
            hook(payment)
        db.session.commit()
        return
    data = _contact(payment, actor, citizen_current)
    principal = actor_principal(actor, payment.department_code)
    record_interaction(
        Actor(principal, _request_id()),
        data,
        before_commit=lambda _: hook(payment) if hook else None,
    )


def apply_provider_update(
    provider_reference: str,
    to_state: str,
    *,
    code: str | None,
    card: CardSummary | None,
    actor: str,
    occurred_at: datetime,
    detail: dict[str, Any],
    locked: Payment | None = None,
    citizen_current: bool = False,
) -> Payment:
    """Apply what a provider says about a payment, in one transaction of its own.

    Idempotent: an update to the state the payment is already in changes nothing (and records
    nothing). A payment never moves backwards and a finished one never moves again.

    :param provider_reference: the provider's id of the payment.
    :param to_state: the state the provider reports.
    :param code: the failure code (P0010…P0050) of a failed, cancelled or error state.
    :param card: brand, last four and expiry of the card used, when the provider knows them.
    :param actor: who reports it, e.g. ``provider:sandbox``.
    :param occurred_at: when it happened at the provider (aware).
    :param detail: what the event records besides (never card numbers).
    :param locked: the payment of ``provider_reference``, already locked in this transaction
        by ``locked_payment`` (the notification endpoint locks it first); else it is locked here.
    :param citizen_current: ``locked``'s citizen was read unmerged in this transaction
        (``locked_payment_and_citizen``): its contact is recorded against it.
    :returns: the payment as it now stands.
    :raises NotFound: no payment has that provider reference.
    :raises ValidationError: unknown state, or a code that does not go with it.
    :raises TransitionRefused: the update would move the payment backwards or out of a
        finished state; nothing was written (the caller records and flags it).
    """
    try:
        payment = locked
        if payment is None or payment.provider_reference != provider_reference:
            payment = locked_payment(provider_reference=provider_reference)
            citizen_current = False
        moved = move(
            payment,
            to_state,
            actor=actor,
            occurred_at=occurred_at,
            code=code,
            card=card,
            detail=detail,
        )
        if not moved:
            db.session.commit()
            return payment
        finish(
            payment,
            actor=actor,
            succeeded=to_state == states.SUCCESS,
            citizen_current=citizen_current,
        )
    except Exception:
        db.session.rollback()
        raise
    return payment
