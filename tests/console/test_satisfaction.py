"""Recording the satisfaction answer a citizen gives at the counter, about one contact."""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.conftest import ConsoleBrowser
from tests.console.journey_helpers import (
    error_links,
    hidden,
    location,
    one_h1,
    submit,
    text,
    titled_error,
)
from tests.matching.merge_helpers import STARTED, contact


@pytest.fixture
def counter(sign_in: Any) -> ConsoleBrowser:
    return sign_in(["front_office"], "RATES")


@pytest.fixture
def contact_id(rates: Any, citizen_id: str) -> str:
    recorded = contact(rates, citizen_id, STARTED, channel="counter", summary="Paid rates")
    assert recorded.status_code == 201, recorded.get_json()
    return str(recorded.get_json()["id"])


def test_an_answer_given_at_the_counter_is_recorded_against_the_contact(
    app: Any, counter: ConsoleBrowser, citizen_id: str, contact_id: str
) -> None:
    url = f"/console/citizens/{citizen_id}/satisfaction/new"
    form = counter.get(url)
    html = text(form)
    assert form.status_code == 200 and one_h1(html)
    assert f'value="{contact_id}" checked' in html  # the latest contact is chosen
    done = submit(
        counter, url, {"interaction_id": contact_id, "csat": "4", "nps": "9", "comment": "Quick"}
    )
    assert done.status_code == 303
    confirmation = counter.get(location(done))
    assert "Satisfaction answer recorded" in text(confirmation) and one_h1(text(confirmation))
    with app.app_context():
        from cgcrm.extensions import db
        from cgcrm.surveys.models import SurveyResponse

        (response,) = db.session.scalars(db.select(SurveyResponse)).all()
        assert (str(response.interaction_id), response.csat, response.nps) == (contact_id, 4, 9)
        assert response.source == "staff" and response.effort is None
        db.session.remove()
    # One answer per contact: a second is refused on the contact field.
    again = submit(counter, url, {"interaction_id": contact_id, "csat": "2"})
    assert again.status_code == 409 and error_links(text(again)) == ["interaction_id"]


def test_an_answer_without_the_satisfaction_score_is_refused_on_that_field(
    counter: ConsoleBrowser, citizen_id: str, contact_id: str
) -> None:
    url = f"/console/citizens/{citizen_id}/satisfaction/new"
    refused = submit(counter, url, {"interaction_id": contact_id, "nps": "11"})
    html = text(refused)
    assert refused.status_code == 400 and titled_error(html)
    assert error_links(html) == ["csat", "nps"]


def test_a_citizen_without_contacts_is_told_to_log_one_first(
    counter: ConsoleBrowser, citizen_id: str
) -> None:
    html = text(counter.get(f"/console/citizens/{citizen_id}/satisfaction/new"))
    assert "log the contact first" in html and 'name="csat"' not in html


def test_an_answer_without_the_csrf_token_is_refused(
    counter: ConsoleBrowser, citizen_id: str, contact_id: str
) -> None:
    url = f"/console/citizens/{citizen_id}/satisfaction/new"
    html = text(counter.get(url))
    assert hidden(html, "csrf_token")
    refused = counter.post(url, data={"interaction_id": contact_id, "csat": "5"})
    assert refused.status_code == 400
    again = submit(counter, url, {"interaction_id": contact_id, "csat": "5"})
    assert again.status_code == 303  # nothing was recorded by the refused post
