"""Real-time matching and create-with-matching through the HTTP API."""

from __future__ import annotations

from typing import Any

from cgcrm.extensions import db
from cgcrm.matching.models import DuplicatePair
from tests.conftest import new_citizen_payload

CITIZENS = "/api/v1/citizens"
MATCH = "/api/v1/citizens/match"


def create(api: Any, query: str = "", **overrides: Any) -> Any:
    response = api.post(CITIZENS + query, json=new_citizen_payload(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_match_finds_the_person_despite_typos_nicknames_and_swapped_dates(staff: Any) -> None:
    john = create(staff)
    create(
        staff,
        given_name="Mary",
        family_name="Jones",
        date_of_birth="1990-07-21",
        contact_points=[],
        addresses=[],
    )
    response = staff.post(
        MATCH,
        json={
            "given_name": "Jon",
            "family_name": "Smyth",
            "date_of_birth": "1984-02-03",
            "addresses": [{"line1": "12 George St", "postcode": "2150"}],
        },
    )
    assert response.status_code == 200, response.get_json()
    candidates = response.get_json()["candidates"]
    assert candidates[0]["citizen_id"] == john["id"]
    assert candidates[0]["band"] == "match"
    assert 0 <= candidates[0]["score"] <= 1
    explanation = candidates[0]["explanation"]
    assert explanation["date_of_birth"]["level"] == "transposed"
    assert explanation["address"]["level"] == "exact"
    assert set(explanation["given_name"]) >= {"level", "weight"}


def test_every_field_may_be_missing(staff: Any) -> None:
    create(staff)
    assert staff.post(MATCH, json={}).get_json() == {"candidates": []}
    only_postcode = staff.post(MATCH, json={"addresses": [{"postcode": "2150"}]})
    assert only_postcode.status_code == 200
    unknown = staff.post(MATCH, json={"shoe_size": 9})
    assert unknown.status_code == 422


def test_create_of_a_recorded_person_is_409_naming_the_record(staff: Any) -> None:
    john = create(staff)
    again = staff.post(CITIZENS, json=new_citizen_payload(given_name="Johnny"))
    assert again.status_code == 409
    assert again.content_type == "application/problem+json"
    problem = again.get_json()
    assert problem["existing_citizen_id"] == john["id"]
    assert problem["existing_citizen"] == john["id"]
    assert problem["existing_citizen_url"].endswith(john["id"])

    linked = staff.post(CITIZENS + "?on_match=link", json=new_citizen_payload())
    assert linked.status_code == 200
    assert linked.get_json()["id"] == john["id"]

    created = staff.post(CITIZENS + "?on_match=create", json=new_citizen_payload())
    assert created.status_code == 201
    assert created.get_json()["id"] != john["id"]
    with staff.app.app_context():
        pairs = db.session.query(DuplicatePair).all()
        assert len(pairs) == 1
        assert {str(pairs[0].citizen_id), str(pairs[0].other_citizen_id)} == {
            john["id"],
            created.get_json()["id"],
        }
        assert pairs[0].source == "create"


def test_a_possible_match_creates_and_files_a_review_item(staff: Any) -> None:
    first = create(staff, contact_points=[], addresses=[])
    # A nickname of the given name, the family name, the birth year and nothing else: maybe
    # the same person.
    second = staff.post(
        CITIZENS,
        json={"given_name": "Jon", "family_name": "Smith", "date_of_birth": "1984-11-20"},
    )
    assert second.status_code == 201, second.get_json()
    with staff.app.app_context():
        pairs = db.session.query(DuplicatePair).all()
        assert [(p.band, p.status) for p in pairs] == [("possible", "open")]
        ids = {str(pairs[0].citizen_id), str(pairs[0].other_citizen_id)}
        assert ids == {first["id"], second.get_json()["id"]}


def test_mononyms_are_created_and_matched(staff: Any) -> None:
    response = staff.post(
        CITIZENS,
        json={"given_name": "Suharto", "date_of_birth": "1941-06-08", "contact_points": []},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["family_name"] is None
    only_family = staff.post(CITIZENS, json={"family_name": "Teller"})
    assert only_family.status_code == 201, only_family.get_json()
    nameless = staff.post(CITIZENS, json={"date_of_birth": "1941-06-08"})
    assert nameless.status_code == 422

    found = staff.post(MATCH, json={"family_name": "Suharto", "date_of_birth": "1941-06-08"})
    assert found.get_json()["candidates"][0]["citizen_id"] == body["id"]


def test_merged_records_are_never_candidates(staff: Any) -> None:
    john = create(staff)
    with staff.app.app_context():
        db.session.execute(
            db.text("UPDATE citizens SET status = 'merged' WHERE id = :id"), {"id": john["id"]}
        )
        db.session.commit()
    found = staff.post(MATCH, json=new_citizen_payload()).get_json()["candidates"]
    assert found == []
    assert staff.post(CITIZENS, json=new_citizen_payload()).status_code == 201


def test_another_department_finds_the_core_identity_only(rates: Any, waste: Any) -> None:
    john = create(rates, identifiers=[{"system": "RATES_ACCOUNT", "value": "RA-1234567"}])
    found = waste.post(MATCH, json=new_citizen_payload()).get_json()["candidates"]
    assert found[0]["citizen_id"] == john["id"]
    # Ids, scores and levels only: nothing of the record itself is disclosed.
    assert set(found[0]) == {"citizen_id", "score", "band", "explanation"}


def test_match_needs_citizens_read(make_api: Any) -> None:
    outsider = make_api("interactions:write")
    assert outsider.post(MATCH, json={}).status_code == 403


def test_a_copy_with_both_name_parts_mistyped_is_found_by_its_address(staff: Any) -> None:
    """No date of birth, no contact: the address with both parts a typo away still finds it."""
    home = [{"line1": "1 Cliff Street", "locality": "Horsham", "postcode": "3400"}]
    stored = create(
        staff,
        given_name="Elisabeth",
        family_name="Mungerford",
        date_of_birth=None,
        contact_points=[],
        addresses=home,
    )
    found = staff.post(
        MATCH, json={"given_name": "Elhsabeth", "family_name": "Mungreford", "addresses": home}
    )
    assert stored["id"] in [c["citizen_id"] for c in found.get_json()["candidates"]]


def test_an_identifier_one_keying_error_away_is_similar_not_another_person(staff: Any) -> None:
    # FEBRL-style: a department's copy with the given name replaced and the identifier
    # mistyped; the stored value is encrypted, so only its comparison may open it.
    stored = create(staff, identifiers=[{"system": "SOC_SEC_ID", "value": "4817613"}])
    copy = new_citizen_payload(
        given_name="Imzogen", identifiers=[{"system": "SOC_SEC_ID", "value": "4816713"}]
    )
    best = staff.post(MATCH, json=copy).get_json()["candidates"][0]
    assert best["citizen_id"] == stored["id"]
    assert best["explanation"]["identifier"]["level"] == "similar"
    assert best["band"] == "match"
    other = new_citizen_payload(
        given_name="Imzogen", identifiers=[{"system": "SOC_SEC_ID", "value": "9932611"}]
    )
    candidates = staff.post(MATCH, json=other).get_json()["candidates"]
    assert all(c["explanation"]["identifier"]["level"] == "different" for c in candidates)
    assert all(c["band"] != "match" for c in candidates)


def test_a_department_record_with_part_of_an_address_is_created_and_matched(staff: Any) -> None:
    body = new_citizen_payload(
        given_name="",
        family_name="Durr",
        addresses=[{"line1": "", "locality": "", "postcode": "2795", "country": "AU"}],
    )
    created = staff.post(CITIZENS, json=body)
    assert created.status_code == 201, created.get_json()
    record = created.get_json()
    assert record["given_name"] is None
    address = record["addresses"][0]
    assert (address["line1"], address["locality"], address["postcode"]) == (None, None, "2795")
    again = staff.post(CITIZENS, json=body)
    assert again.status_code == 409
    assert again.get_json()["existing_citizen"] == record["id"]
    nowhere = new_citizen_payload(addresses=[{"line1": " ", "region": "NSW"}])
    refused = staff.post(CITIZENS, json=nowhere)
    assert refused.status_code == 422
    assert "line1" in refused.get_json()["errors"]["addresses"]["0"]
