"""Reviewing possible duplicates in the console: the list, the comparison, a merge with field
choices and its undo, and a dismissal."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.console.conftest import ConsoleBrowser
from tests.console.journey_helpers import error_links, hidden, location, one_h1, text, titled_error
from tests.matching.merge_helpers import create


@pytest.fixture
def reviewer(sign_in: Any) -> ConsoleBrowser:
    return sign_in(["front_office"], "RATES")


@pytest.fixture
def pair(rates: Any) -> dict[str, Any]:
    """Two records of one person, the second with a middle name and a newer spelling; the
    matcher files them as a review item when the second is created."""
    first = create(rates)
    second = create(rates, middle_names="Paul", given_name="Jon")
    found = rates.get("/api/v1/duplicates", query_string={"citizen_id": first["id"]}).get_json()
    assert len(found) == 1, found
    return {"id": found[0]["id"], "first": first, "second": second, "item": found[0]}


def _pair_link(html: str) -> str:
    match = re.search(r'href="(/console/duplicates/[0-9a-f-]{36})"', html)
    assert match, "no pair on the list"
    return match.group(1)


def test_a_pair_is_compared_merged_with_field_choices_and_undone(
    reviewer: ConsoleBrowser, pair: dict[str, Any], rates: Any
) -> None:
    listing = reviewer.get("/console/duplicates")
    html = text(listing)
    assert listing.status_code == 200 and one_h1(html)
    assert "John Smith" in html and "%" in html
    compare_url = _pair_link(html)
    compare = text(reviewer.get(compare_url))
    assert one_h1(compare) and "Why they were paired" in compare
    assert "Jon" in compare and "Paul" in compare
    # Only the fields the records disagree on are chosen.
    assert 'name="field_given_name"' in compare and 'name="field_family_name"' not in compare
    a_id = pair["item"]["citizen"]["id"]
    b_id = pair["item"]["other_citizen"]["id"]
    a_given = "John" if a_id == pair["first"]["id"] else "Jon"
    merged = reviewer.post(
        f"{compare_url}/merge",
        data={
            "csrf_token": hidden(compare, "csrf_token"),
            "version_a": hidden(compare, "version_a"),
            "version_b": hidden(compare, "version_b"),
            "survivor": "b",
            "field_given_name": "a",  # the merged record's spelling is kept
            "field_middle_names": "",  # the most recent value
        },
    )
    assert merged.status_code == 303, text(merged)
    merge_url = location(merged).split("?")[0]
    merge_page = text(reviewer.get(location(merged)))
    assert "The two records were merged" in merge_page and one_h1(merge_page)
    survivor = rates.get(f"/api/v1/citizens/{b_id}").get_json()
    assert survivor["given_name"] == a_given
    assert rates.get(f"/api/v1/citizens/{a_id}").get_json()["status"] == "merged"
    undone = reviewer.post(
        f"{merge_url}/undo", data={"csrf_token": hidden(merge_page, "csrf_token")}
    )
    assert undone.status_code == 303
    after = text(reviewer.get(location(undone)))
    assert "The merge was undone" in after and "Undo merge" not in after
    assert rates.get(f"/api/v1/citizens/{a_id}").get_json()["status"] != "merged"
    # Undone once: a second undo is refused and said so.
    again = reviewer.post(
        f"{merge_url}/undo", data={"csrf_token": hidden(merge_page, "csrf_token")}
    )
    assert again.status_code == 409 and error_links(text(again)) == ["undo"]


def test_a_pair_is_dismissed_as_different_people(
    reviewer: ConsoleBrowser, pair: dict[str, Any], rates: Any
) -> None:
    compare_url = f"/console/duplicates/{pair['id']}"
    html = text(reviewer.get(compare_url))
    dismissed = reviewer.post(
        f"{compare_url}/dismiss", data={"csrf_token": hidden(html, "csrf_token")}
    )
    assert dismissed.status_code == 303
    listing = text(reviewer.get(location(dismissed)))
    assert "different people" in listing and "/console/duplicates/" + pair["id"] not in listing
    assert rates.get(f"/api/v1/duplicates/{pair['id']}").get_json()["status"] == "dismissed"
    shown = text(reviewer.get("/console/duplicates?status=dismissed"))
    assert f"/console/duplicates/{pair['id']}" in shown


def test_a_merge_without_a_survivor_is_refused_on_the_field(
    reviewer: ConsoleBrowser, pair: dict[str, Any]
) -> None:
    compare_url = f"/console/duplicates/{pair['id']}"
    html = text(reviewer.get(compare_url))
    refused = reviewer.post(
        f"{compare_url}/merge", data={"csrf_token": hidden(html, "csrf_token"), "survivor": ""}
    )
    body = text(refused)
    assert refused.status_code == 400 and titled_error(body) and error_links(body) == ["survivor"]


def test_a_merge_of_a_record_changed_meanwhile_is_refused(
    reviewer: ConsoleBrowser, pair: dict[str, Any], rates: Any
) -> None:
    compare_url = f"/console/duplicates/{pair['id']}"
    html = text(reviewer.get(compare_url))
    a_id = pair["item"]["citizen"]["id"]
    record = rates.get(f"/api/v1/citizens/{a_id}")
    changed = rates.patch(
        f"/api/v1/citizens/{a_id}",
        json={"preferred_name": "Johnny"},
        headers={"If-Match": record.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.get_json()
    refused = reviewer.post(
        f"{compare_url}/merge",
        data={
            "csrf_token": hidden(html, "csrf_token"),
            "version_a": hidden(html, "version_a"),
            "version_b": hidden(html, "version_b"),
            "survivor": "a",
        },
    )
    assert refused.status_code == 409 and "changed while you were comparing" in text(refused)


def test_merge_and_dismiss_without_the_csrf_token_are_refused(
    reviewer: ConsoleBrowser, pair: dict[str, Any], rates: Any
) -> None:
    compare_url = f"/console/duplicates/{pair['id']}"
    assert reviewer.post(f"{compare_url}/merge", data={"survivor": "a"}).status_code == 400
    assert reviewer.post(f"{compare_url}/dismiss").status_code == 400
    assert rates.get(f"/api/v1/duplicates/{pair['id']}").get_json()["status"] == "open"
