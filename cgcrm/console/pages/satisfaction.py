"""Record the satisfaction answer a citizen gives at the counter, about one of their contacts.

The API takes one answer per contact, so the page asks which contact it is about (the latest is
chosen when the 360 view links here with ``interaction_id``).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import redirect, request, url_for

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.form_state import Form
from cgcrm.console.hooks import page
from cgcrm.console.lookups import citizen_heading
from cgcrm.console.session import signin_required

# The GOV.UK satisfaction question and its five answers, best first (the API's 5 … 1).
CSAT = (
    ("5", "Very satisfied"),
    ("4", "Satisfied"),
    ("3", "Neither satisfied or dissatisfied"),
    ("2", "Dissatisfied"),
    ("1", "Very dissatisfied"),
)
EFFORT = (
    ("7", "7 (very easy)"),
    ("6", "6"),
    ("5", "5"),
    ("4", "4"),
    ("3", "3"),
    ("2", "2"),
    ("1", "1 (very difficult)"),
)
NPS = tuple((str(n), str(n)) for n in range(11))
FIELDS = ("interaction_id", "csat", "nps", "effort", "comment")
RECENT_CONTACTS = 10


@bp.route("/citizens/<uuid:citizen_id>/satisfaction/new", methods=["GET", "POST"])
@signin_required
def new_satisfaction(citizen_id: uuid.UUID) -> Any:
    """Record the citizen's answer about a contact."""
    contacts = api().get(
        "/api/v1/interactions", params={"citizen_id": str(citizen_id), "limit": RECENT_CONTACTS}
    )
    if request.method == "GET":
        chosen = request.args.get("interaction_id") or (contacts[0]["id"] if contacts else "")
        return _form(citizen_id, contacts, Form({"interaction_id": chosen}))
    form = Form.from_request(request.form, FIELDS)
    if form.get("interaction_id") not in {c["id"] for c in contacts}:
        form.error("interaction_id", "Select the contact the answer is about")
    if form.get("csat") not in {value for value, _ in CSAT}:
        form.error("csat", "Select how the citizen felt about the service")
    if form.get("nps") and form.get("nps") not in {value for value, _ in NPS}:
        form.error("nps", "Select a number from 0 to 10")
    if form.get("effort") and form.get("effort") not in {value for value, _ in EFFORT}:
        form.error("effort", "Select a number from 1 to 7")
    if len(form.get("comment")) > 2000:
        form.error("comment", "Comment must be 2000 characters or fewer")
    if form.failed:
        return _form(citizen_id, contacts, form, 400)
    body: dict[str, Any] = {
        "interaction_id": form.get("interaction_id"),
        "csat": int(form.get("csat")),
    }
    for optional in ("nps", "effort"):
        if form.get(optional):
            body[optional] = int(form.get(optional))
    if form.get("comment"):
        body["comment"] = form.get("comment")
    try:
        api().post("/api/v1/surveys/responses", json=body)
    except ApiProblem as problem:
        if problem.status == 409:
            form.error("interaction_id", "An answer about this contact is recorded already")
            return _form(citizen_id, contacts, form, 409)
        if problem.status != 422:
            raise
        form.take_problem(problem, {name: name for name in FIELDS})
        return _form(citizen_id, contacts, form, 400)
    return redirect(url_for("console.satisfaction_recorded", citizen_id=citizen_id), 303)


@bp.get("/citizens/<uuid:citizen_id>/satisfaction/done")
@signin_required
def satisfaction_recorded(citizen_id: uuid.UUID) -> Any:
    """The confirmation after an answer was recorded."""
    return page("console/satisfaction/done.html", citizen=citizen_heading(citizen_id))


def _form(
    citizen_id: uuid.UUID, contacts: list[dict[str, Any]], form: Form, status: int = 200
) -> Any:
    return page(
        "console/satisfaction/new.html",
        status,
        citizen=citizen_heading(citizen_id),
        contacts=contacts,
        csat=CSAT,
        effort=EFFORT,
        nps=NPS,
        form=form,
        errors=form.errors,
    )
