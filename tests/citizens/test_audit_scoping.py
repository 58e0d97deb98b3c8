"""An auditor of one department sees the trail of what its department may see, and how much
else there is, unless it holds cross_department."""

from __future__ import annotations

from typing import Any

from tests.conftest import DEPARTMENT_SYSTEM
from tests.consent_helpers import grant_sharing

URL = "/api/v1/citizens"


def trail(api: Any, citizen_id: str) -> tuple[list[str], int]:
    response = api.get(f"{URL}/{citizen_id}/audit?limit=200")
    assert response.status_code == 200, response.get_json()
    actions = [f"{e['department_code']} {e['action']}" for e in response.get_json()]
    return actions, int(response.headers["Withheld-Count"])


def rates_work(rates: Any, citizen_id: str) -> None:
    """A case and a contact of the rates department, and a read of each."""
    case = rates.post(
        "/api/v1/cases",
        json={"citizen_id": citizen_id, "service_code": "RATES-PAY", "summary": "Rates query"},
    ).get_json()
    assert rates.get(f"/api/v1/cases/{case['id']}").status_code == 200
    contact = rates.post(
        "/api/v1/interactions",
        json={
            "citizen_id": citizen_id,
            "channel": "phone",
            "started_at": "2026-03-02T03:00:00+00:00",
            "outcome": "resolved",
        },
    ).get_json()
    assert rates.get(f"/api/v1/interactions/{contact['id']}").status_code == 200


def test_an_auditor_sees_its_department_and_the_core_record(
    make_api: Any, rates: Any, waste: Any, citizen_id: str
) -> None:
    rates_work(rates, citizen_id)
    assert waste.get(f"{URL}/{citizen_id}").status_code == 200

    rates_auditor = make_api("citizens:read audit", "RATES")
    waste_auditor = make_api("citizens:read audit", "WASTE")
    rates_view, rates_withheld = trail(rates_auditor, citizen_id)
    waste_view, waste_withheld = trail(waste_auditor, citizen_id)

    assert rates_view == [
        "RATES citizen.created",
        "RATES case.opened",
        "RATES case.read",
        "RATES interaction.read",
        "WASTE citizen.read",
    ]
    assert rates_withheld == 0
    # The core record is every department's; the rates department's case and contact are not.
    assert waste_view == ["RATES citizen.created", "WASTE citizen.read"]
    assert waste_withheld == 3

    ombudsman = make_api("citizens:read audit cross_department", "WASTE")
    assert trail(ombudsman, citizen_id) == (rates_view, 0)


def test_the_citizens_sharing_grant_opens_the_trail(
    make_api: Any, rates: Any, citizen_id: str
) -> None:
    rates_work(rates, citizen_id)
    waste_auditor = make_api("citizens:read audit", "WASTE")
    assert trail(waste_auditor, citizen_id)[1] == 3

    grant_sharing(make_api, "RATES", citizen_id)
    actions, withheld = trail(waste_auditor, citizen_id)
    assert withheld == 0
    assert "RATES case.opened" in actions and "RATES citizen.sharing_granted" in actions


def test_the_withheld_count_spans_the_trail_not_the_page(
    make_api: Any, rates: Any, citizen_id: str
) -> None:
    rates_work(rates, citizen_id)
    waste_auditor = make_api(f"{DEPARTMENT_SYSTEM} audit", "WASTE")
    page = waste_auditor.get(f"{URL}/{citizen_id}/audit?limit=1")
    assert [e["action"] for e in page.get_json()] == ["citizen.created"]
    assert page.headers["Withheld-Count"] == "3"
    assert 'rel="next"' in page.headers["Link"]
