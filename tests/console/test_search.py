"""Finding a citizen: typos tolerated, date of birth and postcode to narrow, htmx fragments."""

from __future__ import annotations

import re

from tests.console.conftest import ConsoleBrowser


def _links(html: str) -> list[str]:
    return re.findall(r'href="/console/citizens/([0-9a-f-]{36})"', html)


def test_search_needs_a_signed_in_user(anonymous: ConsoleBrowser) -> None:
    response = anonymous.get("/console/search?q=Smith")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/signin?next=")
    # An htmx request is told to load the sign-in page as a whole page.
    fragment = anonymous.get("/console/search?q=Smith", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Redirect"].startswith("/console/signin?next=")


def test_a_misspelt_name_finds_the_citizen(officer: ConsoleBrowser, citizen_id: str) -> None:
    page = officer.get("/console/search?q=Jon+Smyth")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _links(html) == [citizen_id]
    assert "1 citizen found" in html and "<title>Jon Smyth \u2013 Find a citizen" in html
    assert 'hx-trigger="input changed delay:200ms, search"' in html
    assert "Content-Security-Policy" in page.headers


def test_htmx_gets_only_the_results(officer: ConsoleBrowser, citizen_id: str) -> None:
    fragment = officer.get("/console/search?q=Jon+Smyth", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert "<html" not in html and "<h1" not in html
    assert _links(html) == [citizen_id]
    assert "HX-Request" in fragment.headers["Vary"]


def test_date_of_birth_and_postcode_narrow(officer: ConsoleBrowser, citizen_id: str) -> None:
    born = "dob-day=2&dob-month=3&dob-year=1984"
    assert _links(officer.get(f"/console/search?q=Jon+Smyth&{born}").get_data(as_text=True)) == [
        citizen_id
    ]
    other = officer.get("/console/search?q=Jon+Smyth&dob-day=1&dob-month=1&dob-year=1990")
    assert _links(other.get_data(as_text=True)) == []
    assert "No citizen found" in other.get_data(as_text=True)
    by_postcode = officer.get("/console/search?q=Jon+Smyth&postcode=2150")
    assert _links(by_postcode.get_data(as_text=True)) == [citizen_id]
    elsewhere = officer.get("/console/search?q=Jon+Smyth&postcode=4000")
    assert _links(elsewhere.get_data(as_text=True)) == []


def test_an_impossible_date_is_an_error_linked_to_its_field(officer: ConsoleBrowser) -> None:
    page = officer.get("/console/search?q=Jon&dob-day=31&dob-month=2&dob-year=1984")
    html = page.get_data(as_text=True)
    assert "<title>Error: " in html
    assert '<a href="#dob-day">Date of birth must be a real date</a>' in html
    assert 'id="dob-day"' in html and 'aria-describedby="dob-hint dob-error"' in html


def test_an_empty_search_asks_for_something(officer: ConsoleBrowser) -> None:
    html = officer.get("/console/search?q=J").get_data(as_text=True)
    assert "Type at least 2 letters" in html and "<title>Error" not in html
