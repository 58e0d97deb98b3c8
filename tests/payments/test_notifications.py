"""Our notification endpoint: signatures over the raw body, refusals audited, forward only."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select, text

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.payments import signatures
from cgcrm.payments.expiry import expire_payments
from tests.conftest import Api
from tests.payments.conftest import PROBLEM_JSON
from tests.payments.sandbox_helpers import (
    NOTIFICATIONS,
    create_web_payment,
    get_payment,
    notifications,
    pay_by_card,
    post_notification,
    secret,
    signed_notification,
)

REFUSED = "payment_notification.refused"


def _security_events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(select(SecurityEvent).where(SecurityEvent.kind == REFUSED))
        found = [dict(row.detail) for row in rows]
        db.session.remove()
        return found


def _submitted(cashier: Api, client: Any) -> dict[str, Any]:
    created = create_web_payment(cashier)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    return created


def test_a_genuine_notification_moves_the_payment(app: Flask, cashier: Api, client: Any) -> None:
    created = _submitted(cashier, client)
    body, headers = signed_notification(app, created["provider_id"], "success")
    response = post_notification(client, body, headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "id": json.loads(body)["id"],
        "outcome": "applied",
        "flagged": False,
        "state": "success",
    }
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"
    [row] = notifications(app)
    assert row.accepted and row.payment_id == uuid.UUID(created["payment_id"])
    assert row.body is not None and row.body["resource"]["state"] == "success"


def test_forged_signatures_are_refused_and_audited(app: Flask, cashier: Api, client: Any) -> None:
    created = _submitted(cashier, client)
    body, headers = signed_notification(app, created["provider_id"], "success", key="not-ours")
    forged = post_notification(client, body, headers)
    assert forged.status_code == 401
    assert forged.headers["Content-Type"] == PROBLEM_JSON
    assert forged.get_json()["type"].endswith("/notification-signature-invalid")
    # The body changed after signing (an amount, a state): refused too.
    body, headers = signed_notification(app, created["provider_id"], "failed", code="P0010")
    tampered = post_notification(client, body.replace(b"failed", b"success", 1), headers)
    assert tampered.status_code == 401
    unsigned = client.post(NOTIFICATIONS, data=body, content_type="application/json")
    assert unsigned.status_code == 401
    garbage = post_notification(client, b"{not json", {**headers})
    assert garbage.status_code == 401  # the signature is checked before anything is parsed
    malformed_header = post_notification(client, body, {**headers, "Pay-Signature": "v1=zz"})
    assert malformed_header.status_code == 401
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "submitted"
    rows = notifications(app)
    assert [row.outcome for row in rows] == ["refused_signature"] * 5
    assert all(not row.accepted and row.body is None for row in rows)
    events = _security_events(app)
    assert len(events) == 5 and {e["outcome"] for e in events} == {"refused_signature"}


def test_stale_notifications_are_refused_and_audited(app: Flask, cashier: Api, client: Any) -> None:
    created = _submitted(cashier, client)
    old = int(time.time()) - app.config["PAYMENT_NOTIFICATION_TOLERANCE"] - 60
    body, headers = signed_notification(app, created["provider_id"], "success", signed_at=old)
    response = post_notification(client, body, headers)
    assert response.status_code == 400
    assert response.get_json()["type"].endswith("/notification-stale")
    future = int(time.time()) + 3600
    body, headers = signed_notification(app, created["provider_id"], "success", signed_at=future)
    assert post_notification(client, body, headers).status_code == 400
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "submitted"
    assert [row.outcome for row in notifications(app)] == ["refused_stale"] * 2
    assert [e["outcome"] for e in _security_events(app)] == ["refused_stale"] * 2


def test_a_replayed_notification_is_refused_and_audited(
    app: Flask, cashier: Api, client: Any
) -> None:
    created = _submitted(cashier, client)
    body, headers = signed_notification(app, created["provider_id"], "success")
    assert post_notification(client, body, headers).status_code == 200
    replay = post_notification(client, body, headers)
    assert replay.status_code == 409
    assert replay.get_json()["type"].endswith("/notification-replayed")
    # Signed again (a fresh timestamp) it is still the same notification.
    fresh = signatures.sign(body, [secret(app)], int(time.time()) + 1)
    again = post_notification(client, body, {**headers, signatures.HEADER: fresh})
    assert again.status_code == 409
    outcomes = [row.outcome for row in notifications(app)]
    assert outcomes == ["applied", "refused_replay", "refused_replay"]
    assert [e["outcome"] for e in _security_events(app)] == ["refused_replay"] * 2


def test_out_of_order_deliveries_never_move_a_payment_backwards(
    app: Flask, cashier: Api, client: Any
) -> None:
    created = create_web_payment(cashier, delayed_capture=True)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    now = utcnow()
    success = signed_notification(app, created["provider_id"], "success", occurred_at=now)
    capturable = signed_notification(
        app, created["provider_id"], "capturable", occurred_at=now - timedelta(seconds=5)
    )
    assert post_notification(client, *success).get_json()["outcome"] == "applied"
    late = post_notification(client, *capturable)
    assert late.status_code == 200
    assert late.get_json() == {
        "id": json.loads(capturable[0])["id"],
        "outcome": "out_of_date",
        "flagged": False,
        "state": "success",
    }
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "success"
    submitted = signed_notification(app, created["provider_id"], "submitted")
    assert post_notification(client, *submitted).get_json()["outcome"] == "out_of_date"
    # The same state told again changes nothing and is not a problem.
    repeat = signed_notification(app, created["provider_id"], "success")
    assert post_notification(client, *repeat).get_json()["outcome"] == "applied"
    history = [
        e["to_state"]
        for e in client.get(
            f"/api/v1/payments/{created['payment_id']}/events", headers=cashier.headers()
        ).get_json()
    ]
    assert history == ["created", "started", "submitted", "success"]


def test_a_notification_after_expiry_is_recorded_and_flagged(
    app: Flask, cashier: Api, client: Any, other_department: Api
) -> None:
    created = _submitted(cashier, client)
    with app.app_context():
        assert expire_payments(utcnow() + timedelta(minutes=91)) == 1
        db.session.remove()
    expired = get_payment(cashier, created["payment_id"])["state"]
    assert (expired["status"], expired["code"]) == ("failed", "P0020")
    body, headers = signed_notification(app, created["provider_id"], "success")
    response = post_notification(client, body, headers)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "late"
    assert response.get_json()["flagged"] is True
    [row] = notifications(app)
    assert (row.outcome, row.flagged, row.to_state) == ("late", True, "success")
    assert row.payment_id == uuid.UUID(created["payment_id"])
    assert "failed" in (row.detail or "")
    assert get_payment(cashier, created["payment_id"])["state"]["status"] == "failed"
    with app.app_context():
        [announced] = db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "payment.notification_flagged")
        ).all()
        assert announced.payload["outcome"] == "late"
        assert announced.payload["payment_id"] == created["payment_id"]
        db.session.remove()
    # A person finds it: flagged, about their department's payment.
    listed = cashier.get("/api/v1/payments/notifications", query_string={"flagged": "true"})
    assert listed.status_code == 200, listed.get_json()
    [shown] = listed.get_json()
    assert (shown["outcome"], shown["payment_id"], shown["to_state"]) == (
        "late",
        created["payment_id"],
        "success",
    )
    assert other_department.get("/api/v1/payments/notifications").get_json() == []
    not_flagged = cashier.get("/api/v1/payments/notifications", query_string={"flagged": "false"})
    assert not_flagged.get_json() == []


def test_unknown_references_and_unreadable_bodies_are_kept_and_flagged(
    app: Flask, client: Any, make_api: Any
) -> None:
    body, headers = signed_notification(app, "sbx_ch_nosuchcharge", "success")
    response = post_notification(client, body, headers)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unknown" and response.get_json()["flagged"]
    junk = b'{"id": 5, "resource": {"type": "payment"}}'
    signed = signatures.sign(junk, [secret(app)], int(time.time()))
    unreadable = post_notification(
        client, junk, {signatures.HEADER: signed, "Content-Type": "application/json"}
    )
    assert unreadable.status_code == 400
    assert unreadable.get_json()["type"].endswith("/notification-malformed")
    not_json = b"\xff\xfe not json"
    signed = signatures.sign(not_json, [secret(app)], int(time.time()))
    assert (
        post_notification(
            client, not_json, {signatures.HEADER: signed, "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    hostile = json.dumps(
        {"id": "n-1", "resource": {"type": ["payment"], "state": {}, "code": [1], "card": 7}}
    ).encode()
    signed = signatures.sign(hostile, [secret(app)], int(time.time()))
    assert (
        post_notification(
            client, hostile, {signatures.HEADER: signed, "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    bad_code = signed_notification(app, "sbx_ch_x", "failed", code="P0040")
    assert post_notification(client, *bad_code).status_code == 400
    rows = notifications(app)
    admin = make_api("payments:write admin")
    listed = admin.get("/api/v1/payments/notifications", query_string={"limit": 2})
    assert len(listed.get_json()) == 2 and 'rel="next"' in listed.headers["Link"]
    assert [(r.outcome, r.flagged) for r in rows] == [
        ("unknown", True),
        ("refused_malformed", True),
        ("refused_malformed", True),
        ("refused_malformed", True),
        ("refused_malformed", True),
    ]


def test_the_endpoint_refuses_what_is_not_a_notification(app: Flask, client: Any) -> None:
    body, headers = signed_notification(app, "sbx_ch_x", "success")
    other = client.post("/api/v1/payments/notifications/acme", data=body, headers=headers)
    assert other.status_code == 404 and other.headers["Content-Type"] == PROBLEM_JSON
    as_text = client.post(
        NOTIFICATIONS, data=body, headers={**headers, "Content-Type": "text/plain"}
    )
    assert as_text.status_code == 415
    huge = b'{"pad": "' + b"x" * 70000 + b'"}'
    signed = signatures.sign(huge, [secret(app)], int(time.time()))
    too_big = post_notification(
        client, huge, {signatures.HEADER: signed, "Content-Type": "application/json"}
    )
    assert too_big.status_code == 413
    assert client.get(NOTIFICATIONS).status_code == 405


def test_a_rotated_secret_still_verifies(
    app: Flask, cashier: Api, client: Any, monkeypatch: Any
) -> None:
    created = _submitted(cashier, client)
    monkeypatch.setitem(app.config, "SANDBOX_NOTIFICATION_SECRETS", "new-secret, old-secret")
    body, _ = signed_notification(app, created["provider_id"], "success")
    header = signatures.sign(body, ["stranger", "old-secret"], int(time.time()))
    response = post_notification(
        client, body, {signatures.HEADER: header, "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.get_json()


def test_the_same_notification_delivered_at_once_is_applied_once(
    app: Flask, cashier: Api, client: Any
) -> None:
    created = _submitted(cashier, client)
    body, headers = signed_notification(app, created["provider_id"], "success")
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def deliver() -> None:
        browser = app.test_client()
        barrier.wait()
        statuses.append(post_notification(browser, body, headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] + [409] * 5
    outcomes = sorted(row.outcome for row in notifications(app))
    assert outcomes == ["applied"] + ["refused_replay"] * 5
    history = cashier.get(f"/api/v1/payments/{created['payment_id']}/events").get_json()
    assert [event["to_state"] for event in history].count("success") == 1


def test_a_success_for_a_merged_citizen_records_the_contact_against_the_survivor(
    app: Flask, cashier: Api, client: Any, make_api: Any
) -> None:
    from tests.conftest import new_citizen_payload

    registrar = make_api("citizens:read citizens:write", "RATES")
    merged, survivor = (
        registrar.post("/api/v1/citizens", json=new_citizen_payload(given_name=name))
        .get_json()
        .get("id")
        for name in ("Merged", "Survivor")
    )
    created = create_web_payment(cashier, citizen_id=merged)
    assert pay_by_card(client, created["next_url"]).status_code == 303
    # Merged after the payment was taken: the payment's citizen is read with its lock.
    with app.app_context():
        db.session.execute(
            text(
                "UPDATE citizens SET status = 'merged', merged_into_id = :survivor WHERE id = :id"
            ),
            {"survivor": uuid.UUID(survivor), "id": uuid.UUID(merged)},
        )
        db.session.commit()
        db.session.remove()
    body, headers = signed_notification(app, created["provider_id"], "success")
    response = post_notification(client, body, headers)
    assert response.status_code == 200, response.get_json()
    with app.app_context():
        recorded = db.session.execute(
            text(
                "SELECT interactions.citizen_id FROM interactions JOIN payments"
                " ON payments.reference = interactions.transaction_ref WHERE payments.id = :id"
            ),
            {"id": uuid.UUID(created["payment_id"])},
        ).scalar_one()
        db.session.remove()
    assert recorded == uuid.UUID(survivor)
