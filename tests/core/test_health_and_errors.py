"""Probes, problem+json for every error, request ids."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask


@pytest.mark.smoke
def test_healthz_and_readyz(client: Any) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_reports_a_dead_redis(app: Flask, client: Any) -> None:
    import redis

    live = app.extensions["cgcrm.redis"]
    app.extensions["cgcrm.redis"] = redis.Redis(port=1, socket_connect_timeout=0.2)
    try:
        response = client.get("/readyz")
    finally:
        app.extensions["cgcrm.redis"] = live
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("unavailable")


@pytest.mark.smoke
def test_unknown_route_and_method_are_problems(staff: Any) -> None:
    missing = staff.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    wrong = staff.http.delete("/api/v1/citizens", headers=staff.headers())
    assert wrong.status_code == 405
    assert "GET" in wrong.headers["Allow"]


def test_malformed_json_is_400_and_wrong_type_415(staff: Any) -> None:
    bad = staff.post(
        "/api/v1/citizens", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.content_type == "application/problem+json"
    form = staff.post("/api/v1/citizens", data={"given_name": "A"})
    assert form.status_code == 415


def test_request_id_is_echoed_or_made(staff: Any) -> None:
    assert (
        staff.get("/api/v1/channels", headers={"X-Request-ID": "abc-1"}).headers["X-Request-ID"]
        == "abc-1"
    )
    made = staff.get("/api/v1/channels", headers={"X-Request-ID": "bad id\u00e9"})
    assert made.headers["X-Request-ID"] != "bad id\u00e9"


def test_openapi_document_is_31_and_public(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/citizens/search" in spec["paths"]
    assert "oauth2" in spec["components"]["securitySchemes"]
