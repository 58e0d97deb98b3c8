"""Extreme dates, misleading text and huge lists at every field of every request schema.

Each value goes alone into the smallest body (or query) that reaches its field, through the
real HTTP stack, and must earn a small 422 problem naming that field: never a 500, never a
silent acceptance.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from cgcrm.core.access import view_handler
from cgcrm.core.fields import BoundedDate, BoundedDateTime, BoundedDict, BoundedList, Text
from cgcrm.core.http import body_media_types
from cgcrm.core.scopes import ALL_SCOPES
from tests.citizens.hostile.harness import check_response
from tests.citizens.hostile.schemas import (
    Parsed,
    Path,
    body_with,
    every_field,
    names,
    request_schemas,
)

BAD_MOMENTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2026-05-01T09:30:00",
    "2026-05-01T09:30:00+15:00",
    "2026-05-01T09:30:00+23:59",
    "2026-02-30T00:00:00Z",
    "2026-05-01",
    "1" * 5_000,
    12345,
    True,
]
BAD_DATES = [
    "0001-01-01",
    "9999-12-31",
    "1799-12-31",
    "0000-00-00",
    "2026-02-30",
    "+10000-01-01",
    "2026-05-01T00:00:00Z",
    "1" * 5_000,
    12345,
]
BAD_TEXTS = [
    "\u202egnp.exe",  # right-to-left override
    "Mary\u2066Jane\u2069",  # isolates
    "Ma\u200bry",  # zero-width space
    "\ufeffMary",  # byte-order mark
    "Ma\u00adry",  # soft hyphen
    "Ma\u200dry",  # ZWJ between Latin letters
    "Ma\u200cry",  # ZWNJ between Latin letters
    "Mary\U000e0041",  # tag character
    "x" + "\u0301" * 300,
    "x\u0301\u0302\u0303\u0304\u0305",  # five marks on one base
    "\u0301Mary",  # starts with a combining mark
    "Ma\ue000ry",  # private use
    "Ma\u0378ry",  # unassigned
    "Mary\u2028Jane",  # line separator
    "Mary\x1b[2J",
    "Mary\ud800",
]


def _moments_for(field: BoundedDateTime) -> list[Any]:
    if not field.contact:
        return BAD_MOMENTS
    now = datetime.now(UTC)
    return [
        *BAD_MOMENTS,
        (now + timedelta(days=1)).isoformat(),
        (now - timedelta(days=365 * 20)).isoformat(),
    ]


def _file_body(api: Any, parsed: Parsed) -> dict[str, Any]:
    """A small valid file for a write that takes files, not JSON (a bulk import), so that its
    query is what the request is judged on."""
    app = api.http.application
    endpoint, _ = app.url_map.bind("localhost").match(parsed.url, method=parsed.method)
    types = sorted(body_media_types(view_handler(app, endpoint, parsed.method)))
    if not types:
        return {}
    lines = {"application/x-ndjson": '{"given_name": "Mary"}\n', "text/csv": "given_name\nMary\n"}
    return {"data": lines[types[0]], "content_type": types[0]}


def _send(api: Any, parsed: Parsed, path: Path, value: Any) -> tuple[Any, Any]:
    if parsed.location in ("query", "querystring"):
        response = api.http.open(
            parsed.url,
            method=parsed.method,
            query_string={str(path[0]): value if isinstance(value, str) else json.dumps(value)},
            headers=api.headers(),
            **_file_body(api, parsed),
        )
    else:
        response = api.http.open(
            parsed.url,
            method=parsed.method,
            data=json.dumps(body_with(path, value)),
            headers=api.headers({"Content-Type": "application/json", "If-Match": '"v1"'}),
        )
    what = f"{parsed.name} {'.'.join(map(str, path))}={ascii(value)[:60]}"
    return response, check_response(response, what)


def _refused(api: Any, parsed: Parsed, path: Path, value: Any) -> str | None:
    response, body = _send(api, parsed, path, value)
    where = f"{parsed.name} {'.'.join(map(str, path))}={ascii(value)[:60]}"
    if response.status_code != 422:
        return f"{where} -> {response.status_code}: {str(body)[:300]}"
    if not names(body.get("errors"), path):
        return f"{where} -> 422 without naming the field: {str(body)[:300]}"
    return None


def _encodable(value: Any) -> bool:
    try:
        str(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.fixture
def everything(make_api: Any) -> Any:
    return make_api(" ".join(sorted(ALL_SCOPES)))


def _check_every(app: Flask, api: Any, kind: type, values_for: Any) -> int:
    failures: list[str] = []
    checked = 0
    for parsed, path, field in every_field(app):
        if not isinstance(field, kind):
            continue
        if parsed.location in ("query", "querystring") and len(path) != 1:
            continue
        for value in values_for(field):
            if parsed.location != "json" and not _encodable(value):
                continue  # a URL cannot carry it; JSON bodies get it
            checked += 1
            if problem := _refused(api, parsed, path, value):
                failures.append(problem)
    assert not failures, "\n".join(failures[:40])
    return checked


def test_extreme_moments_are_422_at_every_date_time_field(app: Flask, everything: Any) -> None:
    assert _check_every(app, everything, BoundedDateTime, _moments_for) > 50


def test_extreme_dates_are_422_at_every_date_field(app: Flask, everything: Any) -> None:
    assert _check_every(app, everything, BoundedDate, lambda _: BAD_DATES) > 50


def test_misleading_text_is_422_at_every_text_field(app: Flask, everything: Any) -> None:
    assert _check_every(app, everything, Text, lambda _: BAD_TEXTS) > 300


def test_a_huge_list_is_one_small_422_at_every_list(app: Flask, everything: Any) -> None:
    failures: list[str] = []
    for parsed, path, field in every_field(app):
        if not isinstance(field, BoundedList | BoundedDict) or parsed.location != "json":
            continue
        huge: Any = [{}] * 100_000 if isinstance(field, BoundedList) else {}
        if isinstance(field, BoundedDict):
            huge = {f"k{i}": 0 for i in range(60_000)}
        body = json.dumps(body_with(path, huge))
        assert len(body) < 1024 * 1024
        response = everything.http.open(
            parsed.url,
            method=parsed.method,
            data=body,
            headers=everything.headers({"Content-Type": "application/json", "If-Match": '"v1"'}),
        )
        where = f"{parsed.name} {'.'.join(map(str, path))}"
        problem = check_response(response, where)
        size = len(response.get_data())
        if response.status_code != 422 or size > 4_000 or not names(problem.get("errors"), path):
            failures.append(
                f"{where} -> {response.status_code}, {size} bytes: {str(problem)[:200]}"
            )
    assert not failures, "\n".join(failures)


def test_an_error_document_lists_at_most_fifty_errors(everything: Any) -> None:
    flood = {f"k{i}": 0 for i in range(60_000)}
    response = everything.post(
        "/api/v1/citizens", data=json.dumps(flood), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert len(response.get_data()) < 8_000
    body = response.get_json()
    assert len(body["errors"]) <= 50
    assert body["errors_omitted"] >= 60_000 - 50
    assert "left out" in body["detail"]


def test_an_access_reason_is_held_to_the_text_rules(everything: Any, citizen_id: str) -> None:
    url = f"/api/v1/citizens/{citizen_id}"
    fine = everything.get(url, headers={"X-Access-Reason": "caller asked about rates"})
    assert fine.status_code == 200
    for reason in ("\u202egnp.exe", "x" + "\u0301" * 30, "a" * 201):
        header = reason.encode("utf-8").decode("latin-1")
        response = everything.get(url, headers={"X-Access-Reason": header})
        assert response.status_code == 422, reason
        assert "header.X-Access-Reason" in response.get_json()["errors"]


def test_cursors_carrying_extreme_moments_are_422_on_every_paged_list(
    app: Flask, everything: Any
) -> None:
    from cgcrm.core.fields import Cursor
    from cgcrm.core.pagination import encode_cursor

    ident = uuid.uuid4()
    keys = [f"{moment}|{ident}" for moment in BAD_MOMENTS if isinstance(moment, str)]
    keys += [moment for moment in BAD_MOMENTS if isinstance(moment, str)]
    failures: list[str] = []
    paged = [
        parsed
        for parsed in request_schemas(app)
        if any(isinstance(field, Cursor) for field in parsed.schema.fields.values())
    ]
    assert len(paged) >= 5
    for parsed in paged:
        for key in keys:
            cursor = encode_cursor(key)
            if len(cursor) > 400:
                continue
            if problem := _refused(everything, parsed, ("cursor",), cursor):
                failures.append(problem)
    assert not failures, "\n".join(failures[:40])
