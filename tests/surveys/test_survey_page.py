"""GET /s/<token>: the citizen's survey page, and its form posted end to end."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.core.clock import utcnow
from cgcrm.extensions import db
from cgcrm.surveys.models import SurveyInvitation, SurveyResponse

QUESTION = "Overall, how did you feel about the service you received today?"
CSAT = [
    ("5", "Very satisfied"),
    ("4", "Satisfied"),
    ("3", "Neither satisfied or dissatisfied"),
    ("2", "Dissatisfied"),
    ("1", "Very dissatisfied"),
]


class Page(HTMLParser):
    """What a test needs of a page: elements by tag, labels by their ``for``, texts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.labels: dict[str, str] = {}
        self.texts: dict[str, list[str]] = {}
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag not in {"input", "meta", "br"}:
            self._open.append((tag, attributes, []))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            name, attributes, parts = self._open.pop()
            text = " ".join("".join(parts).split())
            self.texts.setdefault(name, []).append(text)
            if name == "label":
                self.labels[attributes.get("for", "")] = text
            if self._open:
                self._open[-1][2].append(text + " ")
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [
            attrs
            for name, attrs in self.elements
            if name == tag and all(attrs.get(k) == v for k, v in wanted.items())
        ]


def _form_fields(page: Page) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for attrs in page.all("input") + page.all("textarea"):
        fields.setdefault(attrs["name"], []).append(attrs.get("value", ""))
    return fields


@pytest.mark.smoke
def test_a_link_that_was_never_sent_gets_a_page_saying_so(client: Any) -> None:
    response = client.get("/s/" + "x" * 44)
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    page = Page(response.get_data(as_text=True))
    assert page.texts["h1"] == ["This survey link is not valid"]
    assert page.all("html", lang="en")


def test_the_page_asks_the_gov_uk_question_accessibly(
    app: Flask, client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    _, token = invited
    response = client.get(f"/s/{token}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the token stays here
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy  # no inline script was hashed in: there is none
    html = response.get_data(as_text=True)
    assert "<script" not in html

    page = Page(html)
    assert page.all("html", lang="en")
    assert len(page.texts["title"]) == 1 and page.texts["title"][0]
    assert page.texts["h1"] == ["How did we do?"]
    assert "Pay council rates" in " ".join(page.texts["p"])
    [form] = page.all("form")
    assert form["method"] == "post" and form["action"] == "/api/v1/surveys/responses"
    legends = page.texts["legend"]
    assert legends[0] == QUESTION
    assert any(legend.startswith("How likely are you to recommend") for legend in legends)
    assert len(page.texts["fieldset"]) == 3
    for value, label in CSAT:
        assert page.all("input", type="radio", name="csat", value=value)
        assert page.labels[f"csat-{value}"] == label
    assert [a["value"] for a in page.all("input", name="nps")] == [str(n) for n in range(11)]
    assert [a["value"] for a in page.all("input", name="effort")] == [str(n) for n in range(1, 8)]
    assert page.all("textarea", name="comment", id="comment")
    assert page.labels["comment"].startswith("Is there anything else")
    assert page.all("input", type="hidden", name="token", value=token)
    # Every input but the hidden one has a label.
    for attrs in page.all("input"):
        if attrs["type"] != "hidden":
            assert attrs["id"] in page.labels


@pytest.mark.smoke
def test_the_form_posted_records_the_answer_and_thanks(
    app: Flask, client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    contact, token = invited
    page = Page(client.get(f"/s/{token}").get_data(as_text=True))
    fields = _form_fields(page)
    assert set(fields) == {"token", "csat", "nps", "effort", "comment"}
    posted = client.post(
        "/api/v1/surveys/responses",
        data={"token": token, "csat": "5", "nps": "10", "effort": "", "comment": "Very helpful"},
    )
    assert posted.status_code == 201
    assert posted.mimetype == "text/html"
    assert Page(posted.get_data(as_text=True)).texts["h1"] == ["Thank you for your feedback"]
    with app.app_context():
        answer = db.session.scalar(sa.select(SurveyResponse))
        assert answer is not None
        assert (answer.interaction_id, answer.csat, answer.nps, answer.effort) == (
            contact,
            5,
            10,
            None,
        )
        assert answer.comment == "Very helpful" and answer.source == "citizen"
        db.session.remove()
    used = client.get(f"/s/{token}")
    assert used.status_code == 409
    heading = Page(used.get_data(as_text=True)).texts["h1"]
    assert heading == ["You have already answered this survey"]
    again = client.post("/api/v1/surveys/responses", data={"token": token, "csat": "1"})
    assert again.status_code == 409 and again.mimetype == "text/html"


def test_the_form_comes_back_with_an_error_summary(
    client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    _, token = invited
    posted = client.post(
        "/api/v1/surveys/responses",
        data={"token": token, "nps": "11", "effort": "4", "comment": "kept <b>as typed</b>"},
    )
    assert posted.status_code == 422
    assert posted.mimetype == "text/html"
    html = posted.get_data(as_text=True)
    assert "<b>as typed</b>" not in html  # escaped
    page = Page(html)
    assert page.texts["title"][0].startswith("Error:")
    [summary] = page.all("div", role="alert")
    assert summary["class"] == "error-summary"
    links = [attrs["href"] for attrs in page.all("a")]
    assert links == ["#csat-5", "#nps-0"]
    assert page.all("p", id="csat-error") and page.all("p", id="nps-error")
    assert page.all("input", name="effort", value="4", checked="")  # what was chosen stays
    assert page.texts["textarea"] == ["kept <b>as typed</b>"]
    # Corrected, it goes through.
    fixed = client.post("/api/v1/surveys/responses", data={"token": token, "csat": "3"})
    assert fixed.status_code == 201


def test_nonsense_scores_are_errors_on_the_form(
    client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    _, token = invited
    posted = client.post(
        "/api/v1/surveys/responses",
        data={"token": token, "csat": "9" * 5000, "nps": "\u0663", "effort": "-1"},
    )
    assert posted.status_code == 422
    page = Page(posted.get_data(as_text=True))
    assert [attrs["href"] for attrs in page.all("a")] == ["#csat-5", "#nps-0", "#effort-1"]


def test_a_long_comment_is_an_error_on_the_form(
    client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    _, token = invited
    posted = client.post(
        "/api/v1/surveys/responses", data={"token": token, "csat": "4", "comment": "x" * 2001}
    )
    assert posted.status_code == 422
    assert Page(posted.get_data(as_text=True)).all("p", id="comment-error")


def test_an_expired_link_gets_a_page_saying_so(
    app: Flask, client: Any, invited: tuple[uuid.UUID, str]
) -> None:
    _, token = invited
    with app.app_context():
        db.session.execute(
            sa.update(SurveyInvitation).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
        db.session.remove()
    response = client.get(f"/s/{token}")
    assert response.status_code == 410
    assert Page(response.get_data(as_text=True)).texts["h1"] == ["This survey link has expired"]
    posted = client.post("/api/v1/surveys/responses", data={"token": token, "csat": "4"})
    assert posted.status_code == 410 and posted.mimetype == "text/html"


def test_a_forged_link_posted_from_a_form_gets_a_page(client: Any) -> None:
    posted = client.post("/api/v1/surveys/responses", data={"token": "bad", "csat": "4"})
    assert posted.status_code == 422
    assert posted.mimetype == "text/html"
    assert re.search(r"<h1>This survey link is not valid</h1>", posted.get_data(as_text=True))


def test_other_api_writes_still_refuse_form_bodies(rates: Any) -> None:
    response = rates.post("/api/v1/interactions", data={"channel": "phone"})
    assert response.status_code == 415
