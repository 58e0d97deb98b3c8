"""Security headers on every response: each route of the URL map, and each kind of error."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from typing import Any

import pytest
from flask import Flask, url_for

from cgcrm.core.http import CACHEABLE
from cgcrm.core.scopes import ALL_SCOPES

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
SAMPLE_ARGUMENTS = {"filename": "swagger-ui.css"}


def _assert_secure(response: Any, endpoint: str | None, label: str) -> None:
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", label
    assert headers.get("X-Frame-Options") == "DENY", label
    assert headers.get("Referrer-Policy") == "no-referrer", label
    policy = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in policy and policy.startswith("default-src 'none'"), label
    cacheable = response.status_code in {200, 304} and endpoint in CACHEABLE
    expected = CACHEABLE[endpoint] if cacheable and endpoint else "no-store"
    assert headers.get("Cache-Control") == expected, label
    assert "Strict-Transport-Security" not in headers, label  # production only


def _sample_path(app: Flask, rule: Any) -> str:
    with app.test_request_context():
        values = {arg: SAMPLE_ARGUMENTS.get(arg, str(uuid.uuid4())) for arg in rule.arguments}
        return str(url_for(rule.endpoint, **values))


def test_every_route_answers_with_the_security_headers(app: Flask, make_api: Any) -> None:
    api = make_api(" ".join(sorted(ALL_SCOPES)))
    seen = 0
    for rule in app.url_map.iter_rules():
        path = _sample_path(app, rule)
        for method in sorted(set(METHODS) & (rule.methods or set())):
            body = {"json": {}} if method in {"POST", "PUT", "PATCH"} else {}
            response = api.http.open(path, method=method, headers=api.headers(), **body)
            _assert_secure(response, rule.endpoint, f"{method} {path} -> {response.status_code}")
            seen += 1
    assert seen > 20


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/no-such-thing", 404),
        ("DELETE", "/api/v1/citizens", 405),
        ("GET", "/api/v1/citizens", 401),
        ("POST", "/oauth/token", 401),
    ],
)
def test_error_responses_carry_them_too(client: Any, method: str, path: str, status: int) -> None:
    auth = ("nobody", "wrong") if path.startswith("/oauth/") else None
    data = {"grant_type": "client_credentials"} if auth else None
    response = client.open(path, method=method, auth=auth, data=data)
    assert response.status_code == status
    _assert_secure(response, None, path)


def test_invalid_input_and_rate_limited_answers_carry_them(
    staff: Any, rate_limits: Any, client: Any
) -> None:
    invalid = staff.get("/api/v1/citizens?limit=-1")
    assert invalid.status_code == 422
    _assert_secure(invalid, None, "422")
    rate_limits(RATE_LIMIT_API_PER_ADDRESS="1/60", RATE_LIMIT_OAUTH_PER_ADDRESS="1/60")
    for path in ("/api/v1/citizens", "/oauth/token"):
        client.post(path)
        refused = client.post(path)
        assert refused.status_code == 429
        _assert_secure(refused, None, f"429 {path}")


def test_the_docs_page_loads_only_our_own_files(client: Any) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data()
    assert b"//" not in b" ".join(re.findall(rb'(?:src|href)="([^"]*)"', html))
    policy = page.headers["Content-Security-Policy"]
    for script in re.findall(rb"<script>(.*?)</script>", html, re.DOTALL):
        digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "script-src 'self'" in policy and "http" not in policy
    for asset in re.findall(rb'(?:src|href)="([^"]*)"', html):
        served = client.get(asset.decode())
        assert served.status_code == 200, asset
        assert served.headers["Cache-Control"] == CACHEABLE["swagger_ui_assets.static"]


def test_production_adds_hsts(app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ENV", "production")
    response = client.get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
