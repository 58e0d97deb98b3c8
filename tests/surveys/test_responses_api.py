"""POST /api/v1/surveys/responses: a citizen's answer through their link, or one staff took."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.core.outbox import OutboxEvent
from cgcrm.extensions import db
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse
from cgcrm.surveys.tokens import issue_token
from tests.conftest import DEPARTMENT_SYSTEM, Api

URL = "/api/v1/surveys/responses"
PROBLEM = "application/problem+json"


def _events(app: Flask, kind: str) -> list[dict[str, Any]]:
    with app.app_context():
        payloads = [
            event.payload
            for event in db.session.scalars(
                sa.select(OutboxEvent).where(OutboxEvent.type == kind).order_by(OutboxEvent.seq)
            )
        ]
        db.session.remove()
    return payloads


def _invitation(app: Flask) -> SurveyInvitation:
    with app.app_context():
        invitation = db.session.scalar(sa.select(SurveyInvitation))
        assert invitation is not None
        db.session.expunge(invitation)
        db.session.remove()
    return invitation


@pytest.fixture
def counter(make_api: Any) -> Api:
    """The customer-service counter's system: the department the test contacts are with."""
    return make_api(DEPARTMENT_SYSTEM, "CUSTOMER")


def test_a_citizen_answers_once_through_their_link(
    app: Flask, client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    contact, token = invited
    answer = {"token": token, "csat": 4, "nps": 9, "effort": 6, "comment": "Quick.\nThanks"}
    response = client.post(URL, json=answer)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["interaction_id"] == str(contact)
    assert body["invited"] is True and body["source"] == "citizen"
    assert (body["csat"], body["nps"], body["effort"]) == (4, 9, 6)
    assert "RateLimit" in response.headers
    assert _invitation(app).answered_at is not None
    assert _events(app, "survey.response_recorded") == [
        {"response_id": body["id"], "interaction_id": str(contact), "invited": True}
    ]

    again = client.post(URL, json={"token": token, "csat": 1})
    assert again.status_code == 409
    assert again.content_type == PROBLEM
    assert len(_events(app, "survey.response_recorded")) == 1


def test_only_the_first_question_is_needed(client: Any, invited: tuple[uuid.UUID, str]) -> None:
    response = client.post(URL, json={"token": invited[1], "csat": 3})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["nps"] is None and response.get_json()["comment"] is None


def test_an_expired_link_is_gone(app: Flask, client: Any, invited: tuple[uuid.UUID, str]) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(SurveyInvitation).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
        db.session.remove()
    response = client.post(URL, json={"token": invited[1], "csat": 5})
    assert response.status_code == 410
    assert response.content_type == PROBLEM


@pytest.mark.parametrize(
    "token",
    ["x" * 44, "too-short", "A" * 22 + "B" * 22, "é" * 44],
    ids=["forged", "malformed", "forged-shape", "not-ascii"],
)
def test_a_forged_or_malformed_token_is_refused_naming_it(
    client: Any, invited: tuple[uuid.UUID, str], token: str
) -> None:
    response = client.post(URL, json={"token": token, "csat": 5})
    assert response.status_code == 422
    assert response.content_type == PROBLEM
    assert "token" in response.get_json()["errors"]


def test_a_signed_token_of_a_contact_never_invited_is_not_found(
    app: Flask, client: Any, recent_contact: Any
) -> None:
    contact = recent_contact()
    with app.app_context():
        token = issue_token(contact)
    response = client.post(URL, json={"token": token, "csat": 5})
    assert response.status_code == 404


def test_a_token_signed_with_another_secret_is_forged(
    app: Flask, client: Any, invited: tuple[uuid.UUID, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    contact, _ = invited
    with app.app_context():
        monkeypatch.setitem(app.config, "SECRET_KEY", "another-deployment-secret-0123456789")
        foreign = issue_token(contact)
        monkeypatch.undo()
    response = client.post(URL, json={"token": foreign, "csat": 5})
    assert response.status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        {"csat": 4},
        {"csat": 0, "token": "x" * 44},
        {"csat": 6, "interaction_id": str(uuid.uuid4())},
        {"csat": 4, "nps": 11, "interaction_id": str(uuid.uuid4())},
        {"csat": 4, "effort": 0, "interaction_id": str(uuid.uuid4())},
        {"csat": "4", "interaction_id": str(uuid.uuid4())},
        {"csat": 4, "comment": "x" * 2001, "interaction_id": str(uuid.uuid4())},
        {"csat": 4, "comment": "bad\u0000", "interaction_id": str(uuid.uuid4())},
    ],
    ids=["neither", "csat-low", "csat-high", "nps", "effort", "csat-text", "long", "nul"],
)
def test_invalid_answers_are_422(counter: Api, body: dict[str, Any]) -> None:
    response = counter.post(URL, json=body)
    assert response.status_code == 422, response.get_json()
    assert response.content_type == PROBLEM


def test_token_and_interaction_id_together_are_422(
    counter: Api, invited: tuple[uuid.UUID, str]
) -> None:
    contact, token = invited
    response = counter.post(URL, json={"token": token, "interaction_id": str(contact), "csat": 4})
    assert response.status_code == 422
    assert {"token", "interaction_id"} <= set(response.get_json()["errors"])


@pytest.mark.smoke
def test_staff_record_an_answer_taken_at_the_counter(
    app: Flask, counter: Api, recent_contact: Any
) -> None:
    contact = recent_contact()
    response = counter.post(URL, json={"interaction_id": str(contact), "csat": 2, "effort": 3})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["invited"] is False and body["source"] == "staff"
    with app.app_context():
        row = db.session.get(SurveyResponse, uuid.UUID(body["id"]))
        assert row is not None and row.recorded_by == f"client:{counter.client_id}"
        db.session.remove()
    assert _events(app, "survey.response_recorded") == [
        {"response_id": body["id"], "interaction_id": str(contact), "invited": False}
    ]
    second = counter.post(URL, json={"interaction_id": str(contact), "csat": 5})
    assert second.status_code == 409
    assert second.content_type == PROBLEM


def test_a_staff_answer_takes_the_contacts_one_response_from_its_link(
    client: Any, counter: Api, invited: tuple[uuid.UUID, str]
) -> None:
    contact, token = invited
    assert counter.post(URL, json={"interaction_id": str(contact), "csat": 5}).status_code == 201
    assert client.post(URL, json={"token": token, "csat": 1}).status_code == 409
    assert client.get(f"/s/{token}").status_code == 409


def test_after_the_citizen_answered_staff_get_409(
    client: Any, counter: Api, invited: tuple[uuid.UUID, str]
) -> None:
    contact, token = invited
    assert client.post(URL, json={"token": token, "csat": 5}).status_code == 201
    assert counter.post(URL, json={"interaction_id": str(contact), "csat": 1}).status_code == 409


def test_staff_need_interactions_write(make_api: Any, client: Any, recent_contact: Any) -> None:
    body = {"interaction_id": str(recent_contact()), "csat": 4}
    anonymous = client.post(URL, json=body)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    reader = make_api("citizens:read", "CUSTOMER")
    refused = reader.post(URL, json=body)
    assert refused.status_code == 403
    assert "interactions:write" in refused.get_json()["detail"]
    forged = client.post(URL, json=body, headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 401


def test_staff_see_only_contacts_of_their_department_or_shared(
    rates: Api, make_api: Any, recent_contact: Any
) -> None:
    contact = recent_contact()  # recorded by the CUSTOMER department
    refused = rates.post(URL, json={"interaction_id": str(contact), "csat": 4})
    assert refused.status_code == 422
    assert "interaction_id" in refused.get_json()["errors"]
    unknown = rates.post(URL, json={"interaction_id": str(uuid.uuid4()), "csat": 4})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == refused.get_json()["errors"]  # nothing to probe
    across = make_api(f"{DEPARTMENT_SYSTEM} cross_department", "RATES")
    assert across.post(URL, json={"interaction_id": str(contact), "csat": 4}).status_code == 201


def test_staff_may_record_an_answer_about_an_anonymous_contact(
    counter: Api, recent_contact: Any
) -> None:
    contact = recent_contact(citizen_id=None)
    response = counter.post(URL, json={"interaction_id": str(contact), "csat": 5})
    assert response.status_code == 201, response.get_json()


def _race(app: Flask, requests: list[tuple[dict[str, Any], dict[str, str]]]) -> list[int]:
    """Send the requests at once, each from its own client; their statuses in order."""
    barrier = threading.Barrier(len(requests))
    statuses: list[int] = [0] * len(requests)

    def send(index: int, body: dict[str, Any], headers: dict[str, str]) -> None:
        http = app.test_client()
        barrier.wait()
        statuses[index] = http.post(URL, json=body, headers=headers).status_code

    threads = [
        threading.Thread(target=send, args=(index, body, headers))
        for index, (body, headers) in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


@pytest.mark.parametrize("rounds", range(3))
def test_two_answers_at_once_one_wins_and_the_other_is_409(
    app: Flask, counter: Api, invited: tuple[uuid.UUID, str], rounds: int
) -> None:
    contact, token = invited
    statuses = _race(
        app,
        [
            ({"token": token, "csat": 5}, {}),
            ({"interaction_id": str(contact), "csat": 1}, counter.headers()),
        ],
    )
    assert sorted(statuses) == [201, 409]
    assert len(_events(app, "survey.response_recorded")) == 1


def test_two_citizen_answers_at_once_one_wins(app: Flask, invited: tuple[uuid.UUID, str]) -> None:
    _, token = invited
    statuses = _race(app, [({"token": token, "csat": 5}, {}), ({"token": token, "csat": 4}, {})])
    assert sorted(statuses) == [201, 409]


def test_the_public_path_is_rate_limited_per_address(
    client: Any, counter: Api, invited: tuple[uuid.UUID, str], rate_limits: Any
) -> None:
    rate_limits(RATE_LIMIT_PUBLIC_PER_ADDRESS="2/60")
    body = {"token": "x" * 44, "csat": 5}
    assert client.post(URL, json=body).status_code == 422
    assert client.post(URL, json=body).status_code == 422
    refused = client.post(URL, json=body)
    assert refused.status_code == 429
    assert refused.content_type == PROBLEM
    assert refused.headers["RateLimit-Policy"] == "2;w=60"
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get(f"/s/{invited[1]}").status_code == 429  # the page shares the quota
    # Staff, with a token of ours, are counted on the API's quota, not the public one.
    staff = counter.post(URL, json={"interaction_id": str(invited[0]), "csat": 5})
    assert staff.status_code == 201
