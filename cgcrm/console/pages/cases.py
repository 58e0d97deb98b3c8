"""Open a case for a citizen, and progress it: only the transitions the API allows are offered.

The case page reads the case with its ETag and puts the version in the form, so moving a case
someone else moved meanwhile is refused (412) and shown, never applied over their change.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import redirect, request, url_for

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.filters import date_time
from cgcrm.console.form_state import (
    IDEMPOTENCY_FIELD,
    Form,
    create_once,
    idempotency_key,
    new_idempotency_key,
    refused_as_used,
)
from cgcrm.console.hooks import page
from cgcrm.console.lookups import citizen_heading, service_by_code, services
from cgcrm.console.session import current_user, signin_required

PRIORITIES = (
    ("normal", "Normal"),
    ("high", "High"),
    ("urgent", "Urgent"),
    ("low", "Low"),
)
STATUS_NAMES = {
    "new": "New",
    "in_progress": "In progress",
    "awaiting_citizen": "Awaiting the citizen",
    "resolved": "Resolved",
    "closed": "Closed",
}
# What each move means to the person making it (the API's status names are the values).
MOVE_NAMES = {
    "in_progress": "Start work on it (in progress)",
    "awaiting_citizen": "Wait for the citizen (pauses the SLA clock)",
    "resolved": "Resolve it",
    "closed": "Close it (final)",
}
SLA_NAMES = {
    "on_track": "On track",
    "due_soon": "Due soon",
    "breached": "Breached",
    "paused": "Paused",
    "met": "Met",
    "missed": "Missed",
}
CASE_FIELDS = ("service_code", "summary", "priority", IDEMPOTENCY_FIELD)
MOVE_FIELDS = ("to", "reason", "version")


@bp.route("/citizens/<uuid:citizen_id>/cases/new", methods=["GET", "POST"])
@signin_required
def new_case(citizen_id: uuid.UUID) -> Any:
    """Open a case for the citizen; a second submit of one page opens one case."""
    if request.method == "GET":
        form = Form({"priority": "normal", IDEMPOTENCY_FIELD: new_idempotency_key()})
        return _case_form(citizen_id, form)
    form = Form.from_request(request.form, CASE_FIELDS)
    form.values[IDEMPOTENCY_FIELD] = idempotency_key(request.form)
    if not form.get("service_code"):
        form.error("service_code", "Select the service the case is about")
    if not form.get("summary"):
        form.error("summary", "Enter a summary of what the citizen needs")
    elif len(form.get("summary")) > 500:
        form.error("summary", "Summary must be 500 characters or fewer")
    if form.get("priority") not in {value for value, _ in PRIORITIES}:
        form.error("priority", "Select a priority")
    if form.failed:
        return _case_form(citizen_id, form, 400)
    body = {
        "citizen_id": str(citizen_id),
        "service_code": form.get("service_code"),
        "summary": form.get("summary"),
        "priority": form.get("priority"),
    }
    try:
        case = create_once("/api/v1/cases", body, form.get(IDEMPOTENCY_FIELD))
    except ApiProblem as problem:
        if not refused_as_used(
            form,
            problem,
            "service_code",
            "This form already opened a case: check the citizen's cases, and open another "
            "only if it is a new one",
        ):
            form.take_problem(
                problem,
                {"service_code": "service_code", "summary": "summary", "priority": "priority"},
            )
        return _case_form(citizen_id, form, 400 if problem.status == 422 else problem.status)
    return redirect(url_for("console.case", case_id=case["id"], opened=1), code=303)


def _case_form(citizen_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    return page(
        "console/cases/new.html",
        status,
        citizen=citizen_heading(citizen_id),
        services_options=[(s["code"], s["name"]) for s in services()],
        priorities=PRIORITIES,
        form=form,
        errors=form.errors,
    )


@bp.get("/cases/<uuid:case_id>")
@signin_required
def case(case_id: uuid.UUID) -> Any:
    """A case: its SLA clock, its history, and the moves allowed now."""
    form = Form()
    return _case_page(case_id, form)


@bp.post("/cases/<uuid:case_id>/transitions")
@signin_required
def move_case(case_id: uuid.UUID) -> Any:
    """Move the case to the status chosen, if it has not changed since the page was read."""
    form = Form.from_request(request.form, MOVE_FIELDS)
    if not form.get("to"):
        form.error("to", "Select what happens to the case next")
    if len(form.get("reason")) > 500:
        form.error("reason", "Reason must be 500 characters or fewer")
    if not form.get("version").isdigit():
        form.error("to", "Reload the case and choose again")
    if form.failed:
        return _case_page(case_id, form, 400)
    body: dict[str, Any] = {"to": form.get("to")}
    if form.get("reason"):
        body["reason"] = form.get("reason")
    try:
        api().post(
            f"/api/v1/cases/{case_id}/transitions",
            json=body,
            headers={"If-Match": f'"v{form.get("version")}"'},
        )
    except ApiProblem as problem:
        if problem.status == 412:
            form.error(
                "to",
                "Someone else changed this case while you were looking at it: check it again "
                "and choose what happens next",
            )
            form.values.pop("to", None)
            return _case_page(case_id, form, 409)
        if problem.status == 409:
            form.error("to", "The case cannot move there now: choose one of the moves shown")
            form.values.pop("to", None)
            return _case_page(case_id, form, 409)
        if problem.status != 422:
            raise
        form.take_problem(problem, {"to": "to", "reason": "reason"})
        return _case_page(case_id, form, 400)
    return redirect(url_for("console.case", case_id=case_id, moved=form.get("to")), code=303)


def _case_page(case_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    client = api()
    found = client.request("GET", f"/api/v1/cases/{case_id}").json()
    history = client.get(f"/api/v1/cases/{case_id}/transitions", params={"limit": 50})
    citizen = citizen_heading(found["citizen_id"]) if found.get("citizen_id") else None
    user = current_user()
    # The API refuses another department's moves (403): the page does not offer them.
    owner = user is not None and (
        user.department == found.get("department_code") or user.can("cross_department")
    )
    return page(
        "console/cases/case.html",
        status,
        case=found,
        history=[
            [
                STATUS_NAMES.get(step.get("from") or "", "—"),
                STATUS_NAMES.get(step["to"], step["to"]),
                date_time(step["at"]),
                step.get("by") or "",
                step.get("reason") or "",
            ]
            for step in history
        ],
        citizen=citizen,
        moves=[
            (to, MOVE_NAMES.get(to, to)) for to in found.get("allowed_transitions") or [] if owner
        ],
        owner=owner,
        service_name=(service_by_code(found.get("service_code") or "") or {}).get("name")
        or found.get("service_code"),
        status_names=STATUS_NAMES,
        sla_names=SLA_NAMES,
        form=form,
        errors=form.errors,
        opened=request.args.get("opened") == "1",
        moved=STATUS_NAMES.get(request.args.get("moved") or ""),
    )
