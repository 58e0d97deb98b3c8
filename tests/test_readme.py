"""The README's examples work on the data `make run` loads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from flask import Flask

from cgcrm.cli import README_SEARCH

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _search_example() -> tuple[str, str, str]:
    """The query of the README's example search, and the citizen it says it finds."""
    query = re.search(r"/api/v1/citizens/search\?q=([^\"&\s]+)", README)
    found = re.search(r"finds (.+?) \(born (\d{4}-\d\d-\d\d)\)", README)
    assert query and found, "the README's example search or the citizen it finds is missing"
    return query.group(1), found.group(1), found.group(2)


def test_the_readme_search_finds_the_seeded_citizen_it_names(
    app: Flask, make_api: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query, name, born = _search_example()
    assert query == README_SEARCH  # what `flask demo-info` suggests too
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    seeded = app.test_cli_runner().invoke(args=["seed"])  # the 500 citizens make run loads
    assert seeded.exit_code == 0, seeded.output
    api = make_api("citizens:read")
    response = api.get("/api/v1/citizens/search", query_string={"q": unquote_plus(query)})
    assert response.status_code == 200, response.get_json()
    hits = response.get_json()["results"]
    assert hits, f"{unquote_plus(query)!r} finds nobody"
    best = hits[0]["citizen"]
    full_name = " ".join(
        part for part in (best["given_name"], best.get("middle_names"), best["family_name"]) if part
    )
    assert (full_name, best["date_of_birth"]) == (name, born)
    # The example a reviewer tried first, against an older README, finds its person too.
    response = api.get("/api/v1/citizens/search", query_string={"q": "Jon Smyth"})
    best = response.get_json()["results"][0]["citizen"]
    assert (best["given_name"], best["family_name"], best["date_of_birth"]) == (
        "John",
        "Smith",
        "1984-03-02",
    )
