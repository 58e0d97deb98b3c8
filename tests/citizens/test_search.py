"""Typo-tolerant, ranked search over names, emails, phones and identifiers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import new_citizen_payload

URL = "/api/v1/citizens"


def seed(api: Any, **overrides: Any) -> str:
    # Search data, not a matching test: namesakes sharing a household are recorded apart.
    response = api.post(f"{URL}?on_match=create", json=new_citizen_payload(**overrides))
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def search(api: Any, **params: str) -> list[dict[str, Any]]:
    response = api.get(f"{URL}/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return list(response.get_json()["results"])


@pytest.fixture
def people(staff: Any) -> dict[str, str]:
    return {
        "john": seed(staff, given_name="John", family_name="Smith", date_of_birth="1984-03-02"),
        "jane": seed(
            staff,
            given_name="Jane",
            family_name="Smithers",
            date_of_birth="1990-01-01",
            contact_points=[{"kind": "email", "value": "Jane.S@Example.org"}],
            addresses=[{"line1": "1 Main Rd", "locality": "Fitzroy", "postcode": "3065"}],
        ),
        "maria": seed(
            staff,
            given_name="Maria",
            family_name="Papadopoulos",
            date_of_birth="1975-06-30",
            previous_names=[
                {"given_name": "Maria", "family_name": "Nikolaidis", "valid_to": "2001-05-01"}
            ],
            contact_points=[{"kind": "phone", "value": "(03) 9123 4567"}],
            identifiers=[{"system": "DRIVER_LICENCE", "value": "123456789"}],
        ),
        "zoe": seed(staff, given_name="Zoë", family_name="O'Brien", date_of_birth=None),
    }


@pytest.mark.smoke
def test_jon_smyth_finds_john_smith_first(staff: Any, people: dict[str, str]) -> None:
    results = search(staff, q="Jon Smyth")
    assert results[0]["citizen"]["id"] == people["john"]
    assert results[0]["score"] >= results[-1]["score"]
    assert "name" in results[0]["matched_on"]


@pytest.mark.smoke
@pytest.mark.parametrize(
    ("query", "who"),
    [
        ("Smith John", "john"),
        ("papadopolous", "maria"),
        ("Maria Nikolaides", "maria"),  # a previous name, with a typo
        ("zoe obrien", "zoe"),
        ("jane.s@example.org", "jane"),
        ("+61 3 9123 4567", "maria"),
        ("03 9123 4567", "maria"),
        ("123-456-789", "maria"),
        ("DRIVER_LICENCE:123456789", "maria"),
    ],
)
def test_finds_by_each_kind_of_key(
    staff: Any, people: dict[str, str], query: str, who: str
) -> None:
    results = search(staff, q=query)
    assert results and results[0]["citizen"]["id"] == people[who], results


def test_date_of_birth_and_postcode_block(staff: Any, people: dict[str, str]) -> None:
    blocked = search(staff, q="J Smith", date_of_birth="1990-01-01")
    assert people["john"] not in [r["citizen"]["id"] for r in blocked]
    by_postcode = search(staff, postcode="3065")
    assert [r["citizen"]["id"] for r in by_postcode] == [people["jane"]]
    assert "postcode" in by_postcode[0]["matched_on"]


def test_search_needs_something_to_search(staff: Any) -> None:
    response = staff.get(f"{URL}/search")
    assert response.status_code == 422
    assert "q" in response.get_json()["errors"]


def test_results_are_audited_as_found(staff: Any, people: dict[str, str]) -> None:
    search(staff, q="Jon Smyth")
    trail = staff.get(f"{URL}/{people['john']}/audit").get_json()
    assert trail[-1]["action"] == "citizen.found"
