"""``/console/citizens/<id>/contacts/new``: log a contact on any channel, through
``POST /api/v1/interactions`` (an Idempotency-Key made with the form, so a second click or a
resent form records it once). Errors are shown as the GOV.UK error summary linked to fields.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import redirect, request, url_for

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.catalog import channels, services
from cgcrm.console.forms import field_errors
from cgcrm.console.hooks import page
from cgcrm.console.session import flash, session, signin_required
from cgcrm.core.clock import utcnow

OUTCOMES = (
    ("resolved", "Resolved", "Their question was answered or the problem fixed"),
    ("completed", "Completed", "A transaction was done, such as an application or a payment"),
    ("referred", "Referred", "Passed to another team, department or organisation"),
    ("follow_up", "Follow-up needed", "Someone must get back to them"),
    ("abandoned", "Abandoned", "The contact ended before anything was done"),
)
DIRECTIONS = (("inbound", "They contacted us"), ("outbound", "We contacted them"))
MAX_MINUTES = 24 * 60
# The session key of the last contact form sent: its Idempotency-Key and when it was sent.
LAST_SENT_KEY = "contact_last_sent"
# API field -> the page's field id (radios: the first radio's id is the field's name).
API_FIELDS = {
    "channel": "channel",
    "direction": "direction",
    "service_code": "service_code",
    "outcome": "outcome",
    "summary": "summary",
    "started_at": "minutes",
    "ended_at": "minutes",
    "case_id": "summary",
    "citizen_id": "",
}
MESSAGES = {
    "channel": "Select how they got in touch",
    "outcome": "Select the outcome of the contact",
    "direction": "Select who made the contact",
}


def _citizen_name(citizen_id: uuid.UUID) -> str:
    record = api().get(f"/api/v1/citizens/{citizen_id}")
    return " ".join(p for p in (record.get("given_name"), record.get("family_name")) if p) or (
        "this citizen"
    )


def _form_page(
    citizen_id: uuid.UUID, form: dict[str, str], errors: dict[str, str], status: int
) -> Any:
    return page(
        "console/contacts/new.html",
        status,
        citizen_id=citizen_id,
        name=_citizen_name(citizen_id),
        form=form,
        errors=errors,
        # Assisted channels first: the ones staff log most.
        channels=[
            (c["code"], c["name"])
            for c in sorted(channels(), key=lambda c: (c.get("kind") != "assisted", c["name"]))
        ],
        services=[("", "Not about one service")] + [(s["code"], s["name"]) for s in services()],
        outcomes=OUTCOMES,
        directions=DIRECTIONS,
    )


def _check(form: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for name in ("channel", "direction", "outcome"):
        if not form.get(name):
            errors[name] = MESSAGES[name]
    minutes = form.get("minutes", "")
    if minutes and (not minutes.isdigit() or not 0 < int(minutes) <= MAX_MINUTES):
        errors["minutes"] = (
            f"Length of the contact must be a whole number of minutes, 1 to {MAX_MINUTES}"
        )
    if len(form.get("summary", "")) > 500:
        errors["summary"] = "Summary must be 500 characters or fewer"
    ordered = ("channel", "direction", "service_code", "outcome", "minutes", "summary")
    return {name: errors[name] for name in ordered if name in errors}


def _first_sent_at(idempotency_key: str) -> datetime:
    """When this form was first sent: a second click a second later must send the same body
    with the same Idempotency-Key (the API refuses the key with another body), so the
    contact's times come from the first send, kept in the session for the last form sent."""
    last = session().get(LAST_SENT_KEY) or {}
    if idempotency_key and last.get("key") == idempotency_key:
        return datetime.fromisoformat(last["at"])
    now = utcnow().replace(microsecond=0)
    session().set(LAST_SENT_KEY, {"key": idempotency_key, "at": now.isoformat()})
    return now


def _payload(citizen_id: uuid.UUID, form: dict[str, str]) -> dict[str, Any]:
    now = _first_sent_at(form.get("idempotency_key", ""))
    minutes = int(form["minutes"]) if form.get("minutes") else 0
    payload: dict[str, Any] = {
        "citizen_id": str(citizen_id),
        "channel": form["channel"],
        "direction": form["direction"],
        "outcome": form["outcome"],
        "started_at": (now - timedelta(minutes=minutes)).isoformat(),
        "ended_at": now.isoformat() if minutes else None,
        "service_code": form.get("service_code") or None,
        "summary": form.get("summary", "").strip() or None,
    }
    if form.get("case_id"):
        payload["case_id"] = form["case_id"]
    return payload


@bp.route("/citizens/<uuid:citizen_id>/contacts/new", methods=["GET", "POST"])
@signin_required
def new_contact(citizen_id: uuid.UUID) -> Any:
    if request.method == "GET":
        form = {
            "direction": "inbound",
            "idempotency_key": secrets.token_urlsafe(16),
            "case_id": request.args.get("case_id", "")[:36],
            "channel": request.args.get("channel", "")[:20],
        }
        return _form_page(citizen_id, form, {}, 200)
    form = {
        k: request.form.get(k, "").strip()
        for k in (
            "channel",
            "direction",
            "service_code",
            "outcome",
            "minutes",
            "summary",
            "case_id",
            "idempotency_key",
        )
    }
    form["summary"] = request.form.get("summary", "").strip()
    errors = _check(form)
    if errors:
        return _form_page(citizen_id, form, errors, 400)
    headers = {"Idempotency-Key": form["idempotency_key"]} if form["idempotency_key"] else {}
    try:
        api().post("/api/v1/interactions", json=_payload(citizen_id, form), headers=headers)
    except ApiProblem as problem:
        if problem.status not in {400, 409, 422}:
            raise
        return _form_page(citizen_id, form, field_errors(problem, API_FIELDS, MESSAGES), 400)
    flash("Contact logged")
    return redirect(url_for("console.citizen", citizen_id=citizen_id) + "#contacts")
