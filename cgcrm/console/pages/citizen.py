"""``/console/citizens/<id>``: the 360 view, from ``GET /api/v1/citizens/{id}/overview``.

Identity and assurance level, contact points, consents, open cases with their SLA clocks,
recent contacts on every channel, payments and satisfaction, with a link to every action on
the citizen. What the user's department may not see is counted, never shown, and said as
"n items withheld".
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import url_for

from cgcrm.console.api import api
from cgcrm.console.blueprint import bp
from cgcrm.console.catalog import channel_names, service_names
from cgcrm.console.hooks import has_page, page
from cgcrm.console.session import current_user, signin_required

# (endpoint, text, scope): the actions of the 360 view; each shows once its page exists.
ACTIONS = (
    ("console.new_contact", "Log a contact", "interactions:write"),
    ("console.new_case", "Open a case", "cases:write"),
    ("console.new_payment", "Take a payment", "payments:write"),
    ("console.new_satisfaction", "Record satisfaction", "interactions:write"),
    ("console.new_evidence", "Record identity evidence", "citizens:write"),
)
SLA_TAGS = {
    "on_track": ("On track", "green"),
    "due_soon": ("Due soon", "yellow"),
    "breached": ("Overdue", "red"),
    "paused": ("Paused", "grey"),
    "met": ("Met", "green"),
    "missed": ("Missed", "red"),
}
ASSURANCE_TAGS = {
    "none": ("None", "grey"),
    "low": ("Low", "yellow"),
    "medium": ("Medium", "blue"),
    "high": ("High", "green"),
}
CSAT_LABELS = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Neither satisfied or dissatisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}


def actions(citizen_id: str) -> list[tuple[str, str]]:
    user = current_user()
    return [
        (text, url_for(endpoint, citizen_id=citizen_id))
        for endpoint, text, scope in ACTIONS
        if has_page(endpoint) and user is not None and user.can(scope)
    ]


@bp.get("/citizens/<uuid:citizen_id>")
@signin_required
def citizen(citizen_id: uuid.UUID) -> Any:
    view = api().get(f"/api/v1/citizens/{citizen_id}/overview")
    record = view["citizen"]
    withheld = view.get("withheld") or {}
    return page(
        "console/citizen/page.html",
        view=view,
        c=record,
        actions=actions(str(citizen_id)),
        withheld_total=sum(withheld.values()),
        channel_names=channel_names(),
        service_names=service_names(),
        sla_tags=SLA_TAGS,
        assurance_tags=ASSURANCE_TAGS,
        csat_labels=CSAT_LABELS,
    )
