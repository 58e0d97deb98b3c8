"""Rate limits: per client and per address, stricter on /oauth/*, counted in Redis, in memory
while Redis is down; refused with 429 and Retry-After, reported in RateLimit headers."""

from __future__ import annotations

import logging
import re
import socket
from typing import Any

import pytest
from flask import Flask

from cgcrm import create_app
from cgcrm.core.ratelimit import Quota
from cgcrm.extensions import db
from cgcrm.settings import SETTINGS, ConfigError
from tests.conftest import counting_queries

RATE_LIMIT = re.compile(r"^limit=(\d+), remaining=(\d+), reset=(\d+)$")
POLICY = re.compile(r"^(\d+);w=(\d+)$")
HIGH = "1000/60"


def _rate_limit(response: Any) -> tuple[int, int, int]:
    match = RATE_LIMIT.fullmatch(response.headers["RateLimit"])
    assert match, response.headers["RateLimit"]
    limit, remaining, reset = (int(x) for x in match.groups())
    policy = POLICY.fullmatch(response.headers["RateLimit-Policy"])
    assert policy and int(policy.group(1)) == limit
    assert 1 <= reset <= int(policy.group(2))
    return limit, remaining, reset


def _assert_refused_problem(response: Any) -> None:
    assert response.status_code == 429
    assert response.content_type == "application/problem+json"
    body = response.get_json()
    assert body["status"] == 429 and body["type"].endswith("/too-many-requests")
    _, remaining, reset = _rate_limit(response)
    assert remaining == 0
    assert response.headers["Retry-After"] == str(reset)


def test_every_api_response_carries_rate_limit_headers(staff: Any, client: Any) -> None:
    for response in (
        staff.get("/api/v1/citizens/search?q=smith"),
        client.get("/api/v1/citizens"),  # 401
        client.get("/api/v1/nowhere"),  # 404
        client.get("/api/v1/openapi.json"),
    ):
        _rate_limit(response)
        assert "Retry-After" not in response.headers


def test_a_client_over_its_limit_is_refused_and_others_are_not(
    rate_limits: Any, make_api: Any
) -> None:
    rate_limits(RATE_LIMIT_API_PER_CLIENT="3/60", RATE_LIMIT_API_PER_ADDRESS=HIGH)
    greedy, other = make_api("citizens:read"), make_api("citizens:read")
    remaining = [_rate_limit(greedy.get("/api/v1/citizens/search?q=x"))[1] for _ in range(3)]
    assert remaining == [2, 1, 0]
    _assert_refused_problem(greedy.get("/api/v1/citizens/search?q=x"))
    # Same address, another client: its own count.
    assert other.get("/api/v1/citizens/search?q=x").status_code == 200
    # The client is limited wherever it calls from.
    moved = greedy.get("/api/v1/citizens/search?q=x", environ_base={"REMOTE_ADDR": "127.0.0.2"})
    _assert_refused_problem(moved)


def test_an_address_over_its_limit_is_refused_whatever_the_client(
    rate_limits: Any, make_api: Any, client: Any
) -> None:
    rate_limits(RATE_LIMIT_API_PER_CLIENT=HIGH, RATE_LIMIT_API_PER_ADDRESS="4/60")
    first, second = make_api("citizens:read"), make_api("citizens:read")
    for api in (first, second, first):
        assert api.get("/api/v1/citizens/search?q=x").status_code == 200
    assert client.get("/api/v1/citizens").status_code == 401  # no token: counted all the same
    _assert_refused_problem(second.get("/api/v1/citizens/search?q=x"))
    _assert_refused_problem(client.get("/api/v1/citizens"))
    elsewhere = first.get("/api/v1/citizens/search?q=x", environ_base={"REMOTE_ADDR": "127.0.0.3"})
    assert elsewhere.status_code == 200


def test_behind_trusted_proxies_the_forwarded_address_is_limited(
    rate_limits: Any, client: Any
) -> None:
    rate_limits(RATE_LIMIT_API_PER_ADDRESS="1/60", RATE_LIMIT_PROXY_HOPS=1)

    def get(forwarded_for: str) -> Any:
        return client.get("/api/v1/nowhere", headers={"X-Forwarded-For": forwarded_for})

    assert get("spoofed, 192.0.2.1").status_code == 404
    assert get("other-spoof, 192.0.2.1").status_code == 429  # only the proxy's entry counts
    assert get("192.0.2.2").status_code == 404


def test_oauth_limits_are_stricter_than_the_apis_by_default() -> None:
    defaults = {s.name: s.default for s in SETTINGS}
    for who in ("CLIENT", "ADDRESS"):
        api = Quota.parse("api", defaults[f"RATE_LIMIT_API_PER_{who}"])
        oauth = Quota.parse("oauth", defaults[f"RATE_LIMIT_OAUTH_PER_{who}"])
        assert oauth.limit / oauth.window < api.limit / api.window


def _token(client: Any, client_id: str, secret: str = "wrong", **environ: str) -> Any:
    return client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
        environ_base=environ,
    )


def test_oauth_over_its_address_limit_answers_an_oauth_error_before_any_work(
    app: Flask, rate_limits: Any, client: Any
) -> None:
    rate_limits(RATE_LIMIT_OAUTH_PER_ADDRESS="2/60", RATE_LIMIT_OAUTH_PER_CLIENT=HIGH)
    assert _token(client, "dept-a").status_code == 401
    assert _token(client, "dept-b").status_code == 401
    with counting_queries(app) as statements:
        refused = _token(client, "dept-c")
    assert statements == []  # no client looked up, no secret hashed
    assert refused.status_code == 429
    assert refused.content_type == "application/json"
    assert refused.get_json()["error"] == "temporarily_unavailable"
    _, remaining, reset = _rate_limit(refused)
    assert remaining == 0 and refused.headers["Retry-After"] == str(reset)


def test_oauth_over_a_client_ids_limit_is_refused_from_every_address(
    rate_limits: Any, client: Any
) -> None:
    rate_limits(RATE_LIMIT_OAUTH_PER_ADDRESS=HIGH, RATE_LIMIT_OAUTH_PER_CLIENT="2/60")
    for address in ("127.0.0.4", "127.0.0.5"):
        assert _token(client, "target", REMOTE_ADDR=address).status_code == 401
    assert _token(client, "target", REMOTE_ADDR="127.0.0.6").status_code == 429
    # Named in the form instead of HTTP Basic: the same client id, the same count.
    posted = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "target", "client_secret": "x"},
    )
    assert posted.status_code == 429
    assert _token(client, "another").status_code == 401


def test_malformed_limits_refuse_to_start(app: Flask) -> None:
    for bad in ("100", "0/60", "ten/60", "10/-1"):
        with pytest.raises(ConfigError, match="RATE_LIMIT_API_PER_CLIENT"):
            create_app({"ENV": "test", "RATE_LIMIT_API_PER_CLIENT": bad})


def _dead_redis_url() -> str:
    with socket.socket() as sock:  # a port nothing listens on once this closes
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def test_with_redis_down_each_process_limits_in_memory_and_keeps_serving(
    app: Flask, make_api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    api = make_api("citizens:read")
    degraded = create_app(
        {
            "ENV": "test",
            "DATABASE_URL": app.config["DATABASE_URL"],
            "JWT_PRIVATE_KEY_FILE": app.config["JWT_PRIVATE_KEY_FILE"],
            "REDIS_URL": _dead_redis_url(),
            "RATE_LIMIT_API_PER_CLIENT": "3/60",
        }
    )
    http = degraded.test_client()
    try:
        with caplog.at_level(logging.WARNING, logger="cgcrm.core.counters"):
            answers = [
                http.get("/api/v1/citizens/search?q=x", headers=api.headers()) for _ in range(4)
            ]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [_rate_limit(a)[1] for a in answers] == [2, 1, 0, 0]
        _assert_refused_problem(answers[-1])
        warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
        assert len(warnings) == 1  # once per outage, not once per request
        assert degraded.extensions["cgcrm.ratelimiter"].counters.degraded
    finally:
        with degraded.app_context():
            db.engine.dispose()
