"""Merge and undo through the API: the survivor holds everything, the duplicate is a tombstone,
and undo gives back both records' JSON exactly, field by field, children included."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from tests.matching.merge_helpers import (
    CITIZENS,
    STARTED,
    contact,
    create,
    full_view,
    merge,
    open_case,
)


@pytest.fixture
def pair(rates: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two records of one person: the older one (survivor) and a later, misspelt copy holding
    a new phone, a second address, the same email, a library card, contacts, a case and a
    consent decision."""
    survivor = create(
        rates,
        given_name="Jonathan",
        family_name="Smith",
        identifiers=[{"system": "RATES_ACCOUNT", "value": "RA-100200"}],
        previous_names=[{"given_name": "Jonathan", "family_name": "Smyth"}],
    )
    email = survivor["contact_points"][0]["value"]
    duplicate = create(
        rates,
        given_name="Jon",
        family_name="Smith",
        middle_names="Peter",
        contact_points=[
            {"kind": "email", "value": email, "is_primary": True},
            {"kind": "phone", "value": "0499 111 222", "is_primary": True},
        ],
        addresses=[
            {"line1": "12 George Street", "locality": "Parramatta", "postcode": "2150"},
            {"line1": "3 Church St", "locality": "Ryde", "postcode": "2112"},
        ],
        identifiers=[{"system": "LIBRARY_CARD", "value": "LC-55"}],
    )
    for citizen, days in ((survivor, 0), (duplicate, 2), (duplicate, 30)):
        response = contact(rates, citizen["id"], STARTED + timedelta(days=days))
        assert response.status_code == 201, response.get_json()
    assert open_case(rates, duplicate["id"]).status_code == 201
    consent = rates.post(
        f"{CITIZENS}/{duplicate['id']}/consents",
        json={"purpose": "marketing", "granted": True, "channel": "web"},
    )
    assert consent.status_code == 201, consent.get_json()
    return survivor, rates.get(f"{CITIZENS}/{duplicate['id']}").get_json()


def test_merge_moves_everything_to_the_survivor_and_leaves_a_tombstone(
    rates: Any, pair: Any
) -> None:
    survivor, duplicate = pair
    response = merge(rates, survivor["id"], duplicate["id"])
    assert response.status_code == 201, response.get_json()
    done = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/merges/{done['id']}")
    assert done["status"] == "merged"
    assert done["moved"]["contact_points"] == {"moved": 1, "kept_once": 1}
    assert done["moved"]["identifiers"] == {"moved": 1, "kept_once": 0}
    assert done["moved"]["addresses"] == {"moved": 1, "kept_once": 1}
    assert done["moved"]["interactions.citizen_id"]["moved"] == 2
    assert done["moved"]["cases.citizen_id"]["moved"] == 1

    merged = rates.get(f"{CITIZENS}/{survivor['id']}").get_json()
    assert merged["version"] == survivor["version"] + 1
    # The duplicate was updated last (its consent): its values win where it has them.
    assert (merged["given_name"], merged["middle_names"]) == ("Jon", "Peter")
    previous = {(n["given_name"], n["family_name"]) for n in merged["previous_names"]}
    assert previous == {("Jonathan", "Smyth"), ("Jonathan", "Smith")}
    kinds = [(c["kind"], c["is_primary"]) for c in merged["contact_points"]]
    assert len(merged["contact_points"]) == 3 and kinds.count(("phone", True)) == 1
    assert len(merged["addresses"]) == 2
    assert sorted(i["system"] for i in merged["identifiers"]) == ["LIBRARY_CARD", "RATES_ACCOUNT"]
    assert [c["purpose"] for c in merged["consents"]] == ["marketing"]
    overview = rates.get(f"{CITIZENS}/{survivor['id']}/overview").get_json()
    assert overview["interaction_count"] == 3 and len(overview["open_cases"]) == 1

    tombstone = rates.get(f"{CITIZENS}/{duplicate['id']}").get_json()
    assert tombstone["status"] == "merged"
    assert tombstone["merged_into"] == survivor["id"] == tombstone["live_record"]
    assert tombstone["contact_points"] == [] and tombstone["identifiers"] == []


def test_every_write_to_a_tombstone_is_a_conflict_naming_the_survivor(
    rates: Any, pair: Any
) -> None:
    survivor, duplicate = pair
    assert merge(rates, survivor["id"], duplicate["id"]).status_code == 201
    etag = rates.get(f"{CITIZENS}/{duplicate['id']}").headers["ETag"]
    writes = [
        rates.patch(
            f"{CITIZENS}/{duplicate['id']}",
            json={"given_name": "Johnny"},
            headers={"If-Match": etag},
        ),
        rates.patch(
            f"{CITIZENS}/{duplicate['id']}", json={"given_name": "J"}, headers={"If-Match": '"v1"'}
        ),
        rates.post(
            f"{CITIZENS}/{duplicate['id']}/consents",
            json={"purpose": "marketing", "granted": False, "channel": "web"},
        ),
        contact(rates, duplicate["id"], STARTED),
        open_case(rates, duplicate["id"]),
        merge(rates, duplicate["id"], survivor["id"]),
    ]
    for response in writes:
        assert response.status_code == 409, response.get_json()
        assert response.get_json()["merged_into"] == survivor["id"]
        assert survivor["id"] in response.get_json()["detail"]


def test_undo_gives_back_both_records_exactly(rates: Any, pair: Any) -> None:
    survivor, duplicate = pair
    before = {c["id"]: full_view(rates, c["id"]) for c in (survivor, duplicate)}
    done = merge(rates, survivor["id"], duplicate["id"]).get_json()
    assert full_view(rates, survivor["id"]) != before[survivor["id"]]

    undone = rates.post(f"/api/v1/merges/{done['id']}/undo", json={})
    assert undone.status_code == 200, undone.get_json()
    assert undone.get_json()["status"] == "undone"
    for citizen_id, view in before.items():
        after = full_view(rates, citizen_id)
        for part in view:
            assert after[part] == view[part], part
    assert rates.post(f"/api/v1/merges/{done['id']}/undo", json={}).status_code == 409
    shown = rates.get(f"/api/v1/merges/{done['id']}").get_json()
    assert shown["undone_at"] is not None


def test_no_version_names_two_states_after_an_undo(rates: Any, pair: Any) -> None:
    """Undo puts the versions back with the data (the JSON as before the merge); the next
    change goes past the versions the merge gave, so an ETag of the merged state never
    matches again."""
    survivor, duplicate = pair
    done = merge(rates, survivor["id"], duplicate["id"]).get_json()
    merged = {c["id"]: rates.get(f"{CITIZENS}/{c['id']}") for c in pair}
    assert rates.post(f"/api/v1/merges/{done['id']}/undo", json={}).status_code == 200
    for citizen_id, read in merged.items():
        restored = rates.get(f"{CITIZENS}/{citizen_id}")
        assert restored.get_json()["version"] < read.get_json()["version"]
        changed = rates.patch(
            f"{CITIZENS}/{citizen_id}",
            json={"preferred_name": "Jonno"},
            headers={"If-Match": restored.headers["ETag"]},
        )
        assert changed.status_code == 200, changed.get_json()
        assert changed.get_json()["version"] > read.get_json()["version"]
        stale = rates.patch(
            f"{CITIZENS}/{citizen_id}",
            json={"preferred_name": "Jo"},
            headers={"If-Match": read.headers["ETag"]},
        )
        assert stale.status_code == 412, stale.get_json()


def test_undo_refuses_when_either_record_changed_since(rates: Any, pair: Any) -> None:
    survivor, duplicate = pair
    done = merge(rates, survivor["id"], duplicate["id"]).get_json()
    current = rates.get(f"{CITIZENS}/{survivor['id']}")
    changed = rates.patch(
        f"{CITIZENS}/{survivor['id']}",
        json={"preferred_name": "Jonno"},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200
    refused = rates.post(f"/api/v1/merges/{done['id']}/undo", json={})
    assert refused.status_code == 409
    assert "version" in " ".join(refused.get_json()["errors"]["survivor"])


def test_undo_refuses_when_a_contact_was_added_since(rates: Any, pair: Any) -> None:
    survivor, duplicate = pair
    done = merge(rates, survivor["id"], duplicate["id"]).get_json()
    assert contact(rates, survivor["id"], STARTED + timedelta(days=90)).status_code == 201
    refused = rates.post(f"/api/v1/merges/{done['id']}/undo", json={})
    assert refused.status_code == 409
    assert "interactions.citizen_id" in " ".join(refused.get_json()["errors"]["survivor"])


def test_self_merge_chains_and_merged_records_give_clear_answers(rates: Any) -> None:
    a, b, c = (create(rates, given_name=name) for name in ("Ann", "Anne", "Anna"))
    itself = merge(rates, a["id"], a["id"])
    assert itself.status_code == 422 and "duplicate_id" in itself.get_json()["errors"]
    assert merge(rates, b["id"], a["id"]).status_code == 201  # A into B
    again = merge(rates, c["id"], a["id"])
    assert again.status_code == 409 and again.get_json()["merged_into"] == b["id"]
    into_tombstone = merge(rates, a["id"], c["id"])
    assert into_tombstone.status_code == 409
    first = rates.get(f"{CITIZENS}/{a['id']}/merge")  # no such read: 405
    assert first.status_code == 405
    chained = merge(rates, c["id"], b["id"])  # then B into C: a chain
    assert chained.status_code == 201, chained.get_json()
    record = rates.get(f"{CITIZENS}/{a['id']}").get_json()
    assert (record["merged_into"], record["live_record"]) == (b["id"], c["id"])
    merges = _merges(rates.app, a["id"])
    refused = rates.post(f"/api/v1/merges/{merges[0]}/undo", json={})  # A→B while B is merged
    assert refused.status_code == 409
    assert "survivor" in refused.get_json()["errors"]
    unknown = merge(rates, a["id"], "00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 404


def test_if_match_guards_the_survivor(rates: Any, pair: Any) -> None:
    survivor, duplicate = pair
    current = rates.get(f"{CITIZENS}/{survivor['id']}").headers["ETag"]
    fresh = rates.post(
        f"{CITIZENS}/{survivor['id']}/merge",
        json={"duplicate_id": duplicate["id"]},
        headers={"If-Match": current},
    )
    assert fresh.status_code == 201, fresh.get_json()
    other = create(rates, given_name="Jo")
    response = rates.post(
        f"{CITIZENS}/{survivor['id']}/merge",
        json={"duplicate_id": other["id"]},
        headers={"If-Match": '"v1"'},
    )
    assert response.status_code == 412


def test_field_overrides_choose_the_record_per_field(rates: Any, pair: Any) -> None:
    survivor, duplicate = pair
    response = merge(
        rates,
        survivor["id"],
        duplicate["id"],
        fields={"given_name": "survivor", "middle_names": "survivor"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["fields"]["given_name"] == "survivor"
    merged = rates.get(f"{CITIZENS}/{survivor['id']}").get_json()
    assert (merged["given_name"], merged["middle_names"]) == ("Jonathan", None)
    previous = {(n["given_name"], n["family_name"]) for n in merged["previous_names"]}
    assert ("Jon", "Smith") in previous
    bad = merge(rates, survivor["id"], create(rates)["id"], fields={"id": "survivor"})
    assert bad.status_code == 422


def test_merge_and_undo_are_events_and_audit_entries(app: Flask, rates: Any, pair: Any) -> None:
    survivor, duplicate = pair
    done = merge(rates, survivor["id"], duplicate["id"]).get_json()
    assert rates.post(f"/api/v1/merges/{done['id']}/undo", json={}).status_code == 200
    with app.app_context():
        events = db.session.execute(
            sa.text("SELECT type, payload FROM outbox_events WHERE type LIKE 'citizen.%merged'")
        ).all()
        audit = db.session.execute(
            sa.text(
                "SELECT action, citizen_id FROM audit_events WHERE action IN "
                "('citizen.merged', 'citizen.unmerged')"
            )
        ).all()
        db.session.remove()
    assert sorted(e.type for e in events) == ["citizen.merged", "citizen.unmerged"]
    assert all(e.payload["merge_id"] == done["id"] for e in events)
    ids = {survivor["id"], duplicate["id"]}
    assert {(a.action, str(a.citizen_id)) for a in audit} == {
        (action, citizen) for action in ("citizen.merged", "citizen.unmerged") for citizen in ids
    }


def test_merge_needs_write_scope_and_sight_of_both_records(
    make_api: Any, rates: Any, waste: Any, pair: Any
) -> None:
    survivor, duplicate = pair
    reader = make_api("citizens:read", "RATES")
    assert merge(reader, survivor["id"], duplicate["id"]).status_code == 403
    # The records hold the rates department's contacts and case; waste may not see them.
    hidden = merge(waste, survivor["id"], duplicate["id"])
    assert hidden.status_code == 403
    assert "cross_department" in hidden.get_json()["detail"]
    assert rates.get(f"{CITIZENS}/{survivor['id']}").get_json()["version"] == survivor["version"]
    done = merge(rates, survivor["id"], duplicate["id"]).get_json()
    assert waste.get(f"/api/v1/merges/{done['id']}").status_code == 404
    assert waste.post(f"/api/v1/merges/{done['id']}/undo", json={}).status_code == 404
    everyone = make_api("citizens:read citizens:write cross_department", "WASTE")
    assert everyone.get(f"/api/v1/merges/{done['id']}").status_code == 200


def _merges(app: Flask, duplicate_id: str) -> list[str]:
    with app.app_context():
        ids = db.session.scalars(
            sa.text("SELECT id FROM merges WHERE duplicate_id = :d ORDER BY merged_at"),
            {"d": duplicate_id},
        ).all()
        db.session.remove()
    return [str(i) for i in ids]


def test_undo_gives_back_records_a_department_sent_in_part(rates: Any) -> None:
    # No given name on one, an address of a postcode alone on the other: nulls come back null.
    survivor = create(
        rates,
        given_name="",
        family_name="Durr",
        addresses=[{"postcode": "2795", "country": "AU"}],
        identifiers=[{"system": "RATES_ACCOUNT", "value": "RA-6794161"}],
    )
    duplicate = create(
        rates,
        given_name="Ann",
        family_name="Durr",
        addresses=[{"line1": "11 Cochrane Crescent", "postcode": "2795", "country": "AU"}],
    )
    before = {c["id"]: full_view(rates, c["id"]) for c in (survivor, duplicate)}
    done = merge(rates, survivor["id"], duplicate["id"])
    assert done.status_code == 201, done.get_json()
    merged = rates.get(f"{CITIZENS}/{survivor['id']}").get_json()
    assert {a["line1"] for a in merged["addresses"]} == {None, "11 Cochrane Crescent"}
    undone = rates.post(f"/api/v1/merges/{done.get_json()['id']}/undo", json={})
    assert undone.status_code == 200, undone.get_json()
    for citizen_id, view in before.items():
        assert full_view(rates, citizen_id) == view
