"""The citizen's survey page: plain HTML that works without JavaScript, for every browser.

``GET /s/<token>`` shows the GOV.UK satisfaction question and the optional ones; its form posts
urlencoded to ``POST /api/v1/surveys/responses``, which hands the post to ``answer_from_form``
here: a thank-you page, or the form again with an error summary (422). A link that cannot be
answered gets a page that says why, with a 4xx status.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from marshmallow import ValidationError as SchemaError

from cgcrm.core.access import allows_anonymous
from cgcrm.core.errors import DomainError, ValidationError
from cgcrm.surveys import service
from cgcrm.surveys.schemas import COMMENT_MAX, CSAT_LABELS, SurveyResponseInSchema

bp = Blueprint("survey_pages", __name__, template_folder="templates")

_SCHEMA = SurveyResponseInSchema()
SCORES = ("csat", "nps", "effort")
# Each field's error, worded for the person answering (GOV.UK error message style).
FIELD_ERRORS = {
    "csat": "Select how you felt about the service you received",
    "nps": "Select how likely you are to recommend the service, from 0 to 10",
    "effort": "Select how easy it was to get what you needed, from 1 to 7",
    "comment": f"Your comment must be {COMMENT_MAX:,} characters or fewer and plain text",
}
# Where each field's error in the summary links to: its first input.
FIRST_IDS = {"csat": "csat-5", "nps": "nps-0", "effort": "effort-1", "comment": "comment"}
# Why a link cannot be answered: (heading, explanation).
REFUSALS: dict[int, tuple[str, str]] = {
    404: (
        "This survey link is not valid",
        "Check that you opened the whole link from the message we sent you.",
    ),
    409: (
        "You have already answered this survey",
        "Thank you. Each survey link can be used once, and we have your answer.",
    ),
    410: (
        "This survey link has expired",
        "Survey links can be used for a limited time after your contact with us. Thank you "
        "for wanting to help.",
    ),
    422: (
        "This survey link is not valid",
        "Check that you opened the whole link from the message we sent you.",
    ),
}


def _page(template: str, status: int, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.mimetype = "text/html"
    return response


def _refusal(error: DomainError) -> Response:
    status = error.status if error.status in REFUSALS else 422
    heading, explanation = REFUSALS[status]
    return _page("surveys/message.html", status, heading=heading, explanation=explanation)


def _form(
    token: str, link: service.SurveyLink, status: int, values: dict[str, str], errors: list[str]
) -> Response:
    return _page(
        "surveys/form.html",
        status,
        token=token,
        link=link,
        action=url_for("surveys.SurveyResponsesView"),
        contact_day=_day(link.contact_started_at),
        csat_labels=CSAT_LABELS,
        comment_max=COMMENT_MAX,
        values=values,
        errors={name: FIELD_ERRORS[name] for name in errors},
        first_ids=FIRST_IDS,
    )


def _day(moment: datetime) -> str:
    local = moment.astimezone(ZoneInfo(current_app.config["TIME_ZONE"]))
    return f"{local.day} {local:%B %Y}"


@bp.get("/s/<token>")
@allows_anonymous
def answer_form(token: str) -> Response:
    """The survey of one invitation, or why its link cannot be answered."""
    try:
        link = service.check_survey_link(token)
    except DomainError as refused:
        return _refusal(refused)
    return _form(token, link, 200, {}, [])


def _answer(form: Any) -> dict[str, Any]:
    """The posted form as the JSON body would say it: blank means not given, digits a number
    (anything else stays text, which the schema refuses with the field named)."""
    answer: dict[str, Any] = {"token": form.get("token", "")}
    for name in SCORES:
        value = form.get(name, "").strip()
        if value:
            # A few ASCII digits are a score; anything else (a 5,000-digit number too, which
            # int() refuses) stays text for the schema to refuse with the field named.
            number = len(value) <= 3 and value.isascii() and value.isdigit()
            answer[name] = int(value) if number else value
    comment = form.get("comment", "")
    if comment.strip():
        answer["comment"] = comment
    return answer


def answer_from_form() -> Response:
    """A response posted by the survey page's form, answered in HTML.

    :returns: 201 and a thank-you page; the form with an error summary and 422; or the page of
        a link that cannot be answered (404, 409, 410, 422).
    """
    form = request.form
    token = form.get("token", "")
    try:
        data = _SCHEMA.load(_answer(form))
    except SchemaError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        if "token" in messages:
            return _refusal(ValidationError("not a survey link"))
        try:
            link = service.check_survey_link(token)
        except DomainError as refused:
            return _refusal(refused)
        values = {name: form.get(name, "") for name in (*SCORES, "comment")}
        return _form(token, link, 422, values, [name for name in FIELD_ERRORS if name in messages])
    try:
        service.record_token_response(token, data, g.request_id)
    except DomainError as refused:
        return _refusal(refused)
    return _page(
        "surveys/message.html",
        201,
        heading="Thank you for your feedback",
        explanation="We read every answer and use them to improve our services.",
    )
