"""Records worth merging, and the API's view of a record with everything hung on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import new_citizen_payload

CITIZENS = "/api/v1/citizens"


def create(api: Any, **overrides: Any) -> dict[str, Any]:
    # Near-identical records on purpose: created anyway (a create would refuse a match).
    response = api.post(CITIZENS + "?on_match=create", json=new_citizen_payload(**overrides))
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def full_view(api: Any, citizen_id: str) -> dict[str, Any]:
    """Everything the API shows about a citizen: the record (with its ETag), the 360 view, the
    consent history, the contacts and the cases; ``generated_at`` left out (it is now)."""
    record = api.get(f"{CITIZENS}/{citizen_id}")
    assert record.status_code == 200, record.get_json()
    overview = api.get(f"{CITIZENS}/{citizen_id}/overview").get_json()
    overview.pop("generated_at", None)
    return {
        "record": record.get_json(),
        "etag": record.headers["ETag"],
        "overview": overview,
        "consents": api.get(f"{CITIZENS}/{citizen_id}/consents").get_json(),
        "interactions": api.get(
            "/api/v1/interactions", query_string={"citizen_id": citizen_id, "limit": 200}
        ).get_json(),
        "cases": api.get(
            "/api/v1/cases", query_string={"citizen_id": citizen_id, "limit": 200}
        ).get_json(),
    }


def merge(api: Any, survivor: str, duplicate: str, **body: Any) -> Any:
    return api.post(f"{CITIZENS}/{survivor}/merge", json={"duplicate_id": duplicate, **body})


def open_case(api: Any, citizen_id: str, summary: str = "Rates notice not received") -> Any:
    response = api.post(
        "/api/v1/cases",
        json={"service_code": "RATES-PAY", "citizen_id": citizen_id, "summary": summary},
    )
    return response


def contact(api: Any, citizen_id: str, started: datetime, **fields: Any) -> Any:
    body = {
        "citizen_id": citizen_id,
        "channel": "phone",
        "direction": "inbound",
        "outcome": "resolved",
        "service_code": "RATES-PAY",
        "started_at": started.isoformat(),
        "ended_at": (started + timedelta(minutes=4)).isoformat(),
        **fields,
    }
    return api.post("/api/v1/interactions", json=body)


STARTED = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
