"""Record identity evidence: a document seen at the counter, or answers given on the phone.

Only the last characters of a document's number are ever typed (the API refuses more), and the
answers to knowledge questions are checked by the API and never stored. The confirmation shows
the citizen's assurance level as it now stands.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import redirect, request, url_for

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.form_state import Form
from cgcrm.console.hooks import page
from cgcrm.console.lookups import citizen_heading, services
from cgcrm.console.session import signin_required

METHODS = (
    ("document_check", "A document seen at the counter"),
    ("knowledge_questions", "Answers to security questions (phone)"),
)
DOCUMENT_TYPES = (
    ("passport", "Passport"),
    ("driver_licence", "Driver licence"),
    ("proof_of_age_card", "Proof of age card"),
    ("photo_id_card", "Photo identity card"),
    ("birth_certificate", "Birth certificate"),
    ("medicare_card", "Medicare card"),
    ("citizenship_certificate", "Citizenship certificate"),
)
FIELDS = (
    "method",
    "document_type",
    "last_digits",
    "note",
    "service_code",
    "dob-day",
    "dob-month",
    "dob-year",
    "postcode",
    "family_name",
    "last_payment_amount",
)
API_FIELDS = {
    "method": "method",
    "document_type": "document_type",
    "last_digits": "last_digits",
    "note": "note",
    "service_code": "service_code",
    "answers": "method",
    "answers.date_of_birth": "dob-day",
    "answers.postcode": "postcode",
    "answers.family_name": "family_name",
    "answers.last_payment_amount": "last_payment_amount",
}
TOO_MANY_ANSWERS = (
    "Too many wrong answers for this citizen today: check a document at the counter instead, "
    "or try again tomorrow"
)
NOT_ANSWERABLE = (
    "This citizen has no payment on record, so this service's questions cannot be asked: "
    "check a document at the counter instead. No attempt was counted"
)
LEVEL_NAMES = {"none": "None", "low": "Low", "medium": "Medium", "high": "High"}


@bp.route("/citizens/<uuid:citizen_id>/evidence/new", methods=["GET", "POST"])
@signin_required
def new_evidence(citizen_id: uuid.UUID) -> Any:
    """Record a piece of identity evidence for the citizen."""
    if request.method == "GET":
        return _form(citizen_id, Form({"method": request.args.get("method", "")}))
    form = Form.from_request(request.form, FIELDS)
    body = _evidence_body(form)
    if form.failed:
        return _form(citizen_id, form, 400)
    try:
        api().post(f"/api/v1/citizens/{citizen_id}/verifications", json=body)
    except ApiProblem as problem:
        if problem.status == 429:
            form.error("method", TOO_MANY_ANSWERS)
            return _form(citizen_id, form, 429)
        if problem.status == 409 and problem.body.get("unavailable"):
            # The citizen has nothing to answer it with (no payment): no attempt was counted.
            for question in problem.body["unavailable"]:
                form.error(API_FIELDS.get(f"answers.{question}", "method"), NOT_ANSWERABLE)
            return _form(citizen_id, form, 409)
        if problem.status == 422 and "answers" in problem.errors:
            form.error("method", "The answers do not match the record: the attempt was recorded")
            return _form(citizen_id, form, 400)
        if problem.status != 422:
            raise
        form.take_problem(problem, API_FIELDS)
        return _form(citizen_id, form, 400)
    return redirect(url_for("console.evidence_recorded", citizen_id=citizen_id), code=303)


def _evidence_body(form: Form) -> dict[str, Any]:
    """The API request for what was typed; mistakes the page can see go on ``form``."""
    method = form.get("method")
    body: dict[str, Any] = {"method": method}
    if method == "document_check":
        if form.get("document_type") not in {value for value, _ in DOCUMENT_TYPES}:
            form.error("document_type", "Select the document you saw")
        if not form.get("last_digits"):
            form.error("last_digits", "Enter the last 2 to 4 characters of the document number")
        body["document_type"] = form.get("document_type")
        body["last_digits"] = form.get("last_digits")
        body["channel"] = "counter"
        if form.get("note"):
            body["note"] = form.get("note")
    elif method == "knowledge_questions":
        if not form.get("service_code"):
            form.error("service_code", "Select the service the citizen is calling about")
        body["service_code"] = form.get("service_code")
        body["channel"] = "phone"
        answers: dict[str, str] = {}
        born = _date(form)
        if born is not None:
            answers["date_of_birth"] = born
        for name in ("postcode", "family_name", "last_payment_amount"):
            if form.get(name):
                answers[name] = form.get(name)
        if not answers:
            form.error("dob-day", "Enter the answers the citizen gave")
        body["answers"] = answers
    else:
        form.error("method", "Select the kind of evidence")
    return body


def _date(form: Form) -> str | None:
    parts = [form.get(name) for name in ("dob-day", "dob-month", "dob-year")]
    if not any(parts):
        return None
    try:
        day, month, year = (int(part) for part in parts)
        return date(year, month, day).isoformat()
    except ValueError:
        form.error("dob-day", "Date of birth must be a real date, like 27 3 1984")
        return None


def _form(citizen_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    return page(
        "console/evidence/new.html",
        status,
        citizen=citizen_heading(citizen_id),
        methods=METHODS,
        document_types=DOCUMENT_TYPES,
        services=services(),
        form=form,
        errors=form.errors,
    )


@bp.get("/citizens/<uuid:citizen_id>/evidence/done")
@signin_required
def evidence_recorded(citizen_id: uuid.UUID) -> Any:
    """The confirmation after evidence was recorded, with the level it gives now."""
    assurance = api().get(f"/api/v1/citizens/{citizen_id}/assurance")
    return page(
        "console/evidence/done.html",
        citizen=citizen_heading(citizen_id),
        level=LEVEL_NAMES.get(assurance.get("level") or "none", assurance.get("level")),
        assurance=assurance,
    )
