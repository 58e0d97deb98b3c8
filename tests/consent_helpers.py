"""Recording consent the way a department must: in a contact with the citizen, with the scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import DEPARTMENT_SYSTEM

SHARING = "whole_of_government_sharing"


def record_consent_contact(api: Any, citizen_id: str, channel: str = "phone") -> dict[str, Any]:
    """A contact with the citizen that just ended, recorded by ``api``'s department."""
    now = datetime.now(UTC)
    response = api.post(
        "/api/v1/interactions",
        json={
            "citizen_id": citizen_id,
            "channel": channel,
            "started_at": (now - timedelta(minutes=4)).isoformat(),
            "ended_at": (now - timedelta(minutes=1)).isoformat(),
            "outcome": "resolved",
        },
    )
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def consent_recorder(make_api: Any, department: str) -> Any:
    """A department system that may record consents which widen access."""
    return make_api(f"{DEPARTMENT_SYSTEM} consents:record", department)


def grant_sharing(make_api: Any, department: str, citizen_id: str, channel: str = "phone") -> Any:
    """Record the citizen's whole-of-government grant, given in a contact with ``department``.

    :returns: the contact the grant names (it is one more of the citizen's contacts).
    """
    clerk = consent_recorder(make_api, department)
    contact = record_consent_contact(clerk, citizen_id, channel)
    granted = clerk.post(
        f"/api/v1/citizens/{citizen_id}/consents",
        json={
            "purpose": SHARING,
            "granted": True,
            "channel": channel,
            "interaction_id": contact["id"],
        },
    )
    assert granted.status_code == 201, granted.get_json()
    return contact
