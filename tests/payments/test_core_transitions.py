"""Payments move forward only, every move recorded; a success posts, counts and announces."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.interactions.models import Interaction
from cgcrm.payments import service, states
from cgcrm.payments.errors import TransitionRefused
from cgcrm.payments.ledger import JournalEntry
from cgcrm.payments.models import PaymentEvent
from cgcrm.payments.providers.base import CardSummary
from tests.payments.conftest import FEE, actor, payment_body


def _create(app: Flask, **overrides: object) -> tuple[str, str]:
    with app.app_context():
        payment = service.create_payment(actor(), payment_body(**overrides))
        reference = payment.provider_reference
        assert reference is not None
        db.session.remove()
        return str(payment.id), reference


def _update(app: Flask, reference: str, state: str, **kwargs: object) -> str:
    with app.app_context():
        payment = service.apply_provider_update(
            reference,
            state,
            code=kwargs.get("code"),  # type: ignore[arg-type]
            card=kwargs.get("card"),  # type: ignore[arg-type]
            actor="provider:manual",
            occurred_at=utcnow(),
            detail={},
        )
        state_now = payment.state
        db.session.remove()
        return state_now


def test_a_payment_moves_forward_and_succeeds_once(app: Flask) -> None:
    _, reference = _create(app)
    card = CardSummary("visa", "4242", "12/29")
    assert _update(app, reference, states.STARTED) == states.STARTED
    assert _update(app, reference, states.SUBMITTED) == states.SUBMITTED
    assert _update(app, reference, states.SUCCESS, card=card) == states.SUCCESS
    # Repeated and late updates: the first changes nothing, the second is refused.
    assert _update(app, reference, states.SUCCESS, card=card) == states.SUCCESS
    with pytest.raises(TransitionRefused):
        _update(app, reference, states.STARTED)
    with pytest.raises(TransitionRefused):
        _update(app, reference, states.FAILED, code=states.DECLINED)
    with app.app_context():
        moves = db.session.execute(
            select(PaymentEvent.from_state, PaymentEvent.to_state).order_by(PaymentEvent.id)
        ).all()
        assert moves == [
            (None, "created"),
            ("created", "started"),
            ("started", "submitted"),
            ("submitted", "success"),
        ]
        entries = db.session.scalars(select(JournalEntry)).all()
        assert [(e.kind, e.amount_minor, e.service_code) for e in entries] == [
            ("payment", FEE, "RATES-CERT")
        ]
        contacts = db.session.scalars(select(Interaction)).all()
        assert len(contacts) == 1
        assert contacts[0].channel_code == "counter"
        assert contacts[0].outcome == "completed"
        assert contacts[0].transaction_stage == "completed"
        types = db.session.scalars(
            select(OutboxEvent.type).where(OutboxEvent.aggregate_id == contacts[0].id)
        ).all()
        assert types == ["interaction.recorded"]
        succeeded = db.session.scalar(
            select(func.count()).where(OutboxEvent.type == "payment.succeeded")
        )
        assert succeeded == 1


def test_a_failure_needs_its_code_and_is_final(app: Flask) -> None:
    _, reference = _create(app)
    from cgcrm.core.errors import ValidationError

    with pytest.raises(ValidationError):
        _update(app, reference, states.FAILED)
    assert _update(app, reference, states.FAILED, code=states.DECLINED) == states.FAILED
    with pytest.raises(TransitionRefused):
        _update(app, reference, states.SUCCESS)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 0
        assert db.session.scalar(select(func.count()).select_from(Interaction)) == 0


def test_expiry_time_is_ninety_minutes(app: Flask) -> None:
    payment_id, _ = _create(app)
    with app.app_context():
        from cgcrm.payments.models import Payment

        payment = db.session.get(Payment, payment_id)
        assert payment is not None
        assert payment.expires_at - payment.created_at == timedelta(minutes=90)


def test_a_card_summary_is_only_brand_last_four_and_expiry(app: Flask) -> None:
    from cgcrm.payments.errors import InvalidCard

    _, reference = _create(app)
    with pytest.raises(InvalidCard) as refused:
        _update(app, reference, states.SUCCESS, card=CardSummary("visa", "4242424242424242", "1"))
    assert set(refused.value.errors or {}) == {"card.last4", "card.expiry"}
    assert _update(app, reference, states.STARTED) == states.STARTED  # nothing was written
