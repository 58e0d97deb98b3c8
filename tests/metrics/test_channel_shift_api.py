"""GET /api/v1/metrics/channel-shift: each citizen's main channel kind in two periods."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import new_citizen_payload

SHIFT = "/api/v1/metrics/channel-shift"
# Days in Australia/Sydney (UTC+11 until 5 April 2026).
PERIODS = {
    "from_a": "2026-03-01",
    "to_a": "2026-03-31",
    "from_b": "2026-04-01",
    "to_b": "2026-04-30",
}


def _at(month: int, day: int, hour: int = 0) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def contacts(rates: Any, record_contact: Any) -> None:
    def citizen() -> uuid.UUID:
        response = rates.post("/api/v1/citizens?on_match=create", json=new_citizen_payload())
        assert response.status_code == 201, response.get_json()
        return uuid.UUID(response.get_json()["id"])

    def contact(who: uuid.UUID | None, channel: str, when: datetime, **extra: Any) -> None:
        record_contact(citizen_id=who, channel=channel, started_at=when, ended_at=None, **extra)

    # Mostly assisted in A (2 of 3), only digital in B: moved to digital.
    first = citizen()
    contact(first, "phone", _at(3, 2))
    contact(first, "counter", _at(3, 3))
    contact(first, "web", _at(3, 4))
    contact(first, "web", _at(4, 2))
    contact(first, "mobile_app", _at(4, 3))
    # Ties: in A web then phone (latest assisted), in B phone then web (latest digital).
    tied = citizen()
    contact(tied, "web", _at(3, 2))
    contact(tied, "phone", _at(3, 9))
    contact(tied, "phone", _at(4, 2))
    contact(tied, "web", _at(4, 9))
    # Digital to assisted.
    back = citizen()
    contact(back, "email", _at(3, 2))
    contact(back, "counter", _at(4, 2))
    # Only in A.
    contact(citizen(), "web", _at(3, 2))
    # Assisted in both.
    steady = citizen()
    contact(steady, "phone", _at(3, 2))
    contact(steady, "mail", _at(4, 2))
    # Outbound only in A: not a contact the citizen chose.
    called = citizen()
    contact(called, "phone", _at(3, 2), direction="outbound")
    contact(called, "web", _at(4, 2))
    # Anonymous contacts count for nobody.
    contact(None, "phone", _at(3, 2))
    contact(None, "web", _at(4, 2))
    # 14:00 UTC on 31 March is 1 am on 1 April in Sydney: period B.
    late = citizen()
    contact(late, "phone", _at(3, 10))
    contact(late, "web", _at(3, 31, 14))
    # About another service: left out when the report is about RATES-PAY.
    other = citizen()
    contact(other, "web", _at(3, 2), service_code="WASTE-MISSED-BIN")
    contact(other, "phone", _at(4, 2), service_code="WASTE-MISSED-BIN")


@pytest.fixture
def analyst(make_api: Any) -> Any:
    return make_api("metrics:read")


@pytest.mark.smoke
def test_the_matrix_of_main_channel_kinds(contacts: None, analyst: Any) -> None:
    response = analyst.get(SHIFT, query_string=PERIODS)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["matrix"] == {
        "digital": {"digital": 0, "assisted": 2},
        "assisted": {"digital": 3, "assisted": 1},
    }
    assert body["citizens"] == 6
    assert body["moved_to_digital"] == 3
    assert body["moved_to_assisted"] == 2
    assert body["assisted_to_digital_share"] == pytest.approx(3 / 4)
    assert body["time_zone"] == "Australia/Sydney"


def test_a_service_narrows_the_contacts(contacts: None, analyst: Any) -> None:
    body = analyst.get(SHIFT, query_string={**PERIODS, "service": "RATES-PAY"}).get_json()
    assert body["matrix"]["digital"] == {"digital": 0, "assisted": 1}
    assert body["citizens"] == 5
    assert body["service"] == "RATES-PAY"


def test_a_tie_at_the_same_instant_goes_to_the_contact_with_the_greater_id(
    rates: Any, record_contact: Any, analyst: Any
) -> None:
    response = rates.post("/api/v1/citizens?on_match=create", json=new_citizen_payload())
    who = uuid.UUID(response.get_json()["id"])
    same = _at(3, 2)
    web = record_contact(citizen_id=who, channel="web", started_at=same, ended_at=None)
    phone = record_contact(citizen_id=who, channel="phone", started_at=same, ended_at=None)
    record_contact(citizen_id=who, channel="chat", started_at=_at(4, 2), ended_at=None)
    kind_a = "digital" if web.int > phone.int else "assisted"
    matrix = analyst.get(SHIFT, query_string=PERIODS).get_json()["matrix"]
    assert matrix[kind_a]["digital"] == 1
    assert sum(n for row in matrix.values() for n in row.values()) == 1


def test_no_citizens_in_both_periods(analyst: Any) -> None:
    body = analyst.get(SHIFT, query_string=PERIODS).get_json()
    assert body["citizens"] == 0
    assert body["assisted_to_digital_share"] is None


def test_channel_shift_as_csv(contacts: None, analyst: Any) -> None:
    response = analyst.get(SHIFT, query_string=PERIODS, headers={"Accept": "text/csv"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["kind_a"], r["kind_b"], r["citizens"]) for r in rows] == [
        ("digital", "digital", "0"),
        ("digital", "assisted", "2"),
        ("assisted", "digital", "3"),
        ("assisted", "assisted", "1"),
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"to_a": "2026-02-01"}, "to_a"), ({"service": "NO-SUCH"}, "service"), ({"to_b": ""}, "to_b")],
)
def test_bad_parameters_are_422(analyst: Any, params: dict[str, str], field: str) -> None:
    response = analyst.get(SHIFT, query_string={**PERIODS, **params})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_channel_shift_needs_metrics_read(client: Any, make_api: Any) -> None:
    assert client.get(SHIFT, query_string=PERIODS).status_code == 401
    assert make_api("citizens:read").get(SHIFT, query_string=PERIODS).status_code == 403
