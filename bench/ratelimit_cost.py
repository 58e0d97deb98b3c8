"""What the rate limiter costs a request, in-process (no HTTP server, no database).

    .venv/bin/python bench/ratelimit_cost.py --requests 5000

Times, in one process and alternating so the machine's drift hits all alike:
- ``enforce_rate_limits`` alone for an API request with a bearer token (two counters, one
  Redis pipeline), with Redis up and with Redis down (per-process memory counters);
- one Redis PING, the floor of any round trip;
- a whole request through the Flask test client (``GET /api/v1/openapi.json`` is too big, so a
  404 under /api/v1 with a valid token) with the limiter on and off.
Counters go under a throw-away key prefix; limits are out of reach.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from _common import OUT_DIR, UNREACHED_RATE_LIMITS

REDIS_URL = "redis://127.0.0.1:6379/0"


def _app(redis_url: str, enabled: bool) -> Any:
    from cgcrm import create_app

    return create_app(
        {
            "ENV": "development",
            "REDIS_URL": redis_url,
            "RATE_LIMIT_ENABLED": enabled,
            "QUEUE_NAMESPACE": f"bench-ratelimit-{uuid.uuid4().hex}.",
            **UNREACHED_RATE_LIMITS,
        }
    )


def _token(app: Any) -> str:
    from joserfc import jwt

    keys = app.extensions["cgcrm.signing_keys"]
    now = int(time.time())
    claims = {
        "iss": app.config["JWT_ISSUER"],
        "aud": app.config["JWT_AUDIENCE"],
        "sub": "bench",
        "client_id": "bench",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 3600,
        "scope": "citizens:read",
    }
    return str(jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": keys.kid}, claims, keys.private))


def _dead_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def _micros(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_us": round(statistics.median(ordered) * 1e6, 1),
        "p95_us": round(ordered[int(0.95 * (len(ordered) - 1))] * 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--output", default=str(OUT_DIR / "ratelimit_cost.json"))
    args = parser.parse_args(argv)

    import redis
    from flask import g

    from cgcrm.core.ratelimit import enforce_rate_limits

    up, down, off = _app(REDIS_URL, True), _app(_dead_redis_url(), True), _app(REDIS_URL, False)
    bearer = {"Authorization": f"Bearer {_token(up)}"}
    ping = redis.Redis.from_url(REDIS_URL)
    clients = {"limiter_on": up.test_client(), "limiter_off": off.test_client()}

    def hook(app: Any) -> Callable[[], float]:
        def run() -> float:
            with app.test_request_context("/api/v1/citizens", headers=bearer):
                started = time.perf_counter()
                enforce_rate_limits()
                took = time.perf_counter() - started
                assert g.rate_limit.quota.limit > 1
                return took

        return run

    hooks = {"hook_redis_up": hook(up), "hook_redis_down": hook(down)}
    samples: dict[str, list[float]] = {name: [] for name in (*hooks, "redis_ping", *clients)}
    for _ in range(args.requests):
        for name, run in hooks.items():
            samples[name].append(run())
        started = time.perf_counter()
        ping.ping()
        samples["redis_ping"].append(time.perf_counter() - started)
        for name, client in clients.items():
            started = time.perf_counter()
            response = client.get("/api/v1/no-such-thing", headers=bearer)
            samples[name].append(time.perf_counter() - started)
            assert response.status_code == 404

    summary = {name: _micros(values) for name, values in samples.items()}
    summary["request_overhead_us"] = round(
        summary["limiter_on"]["median_us"] - summary["limiter_off"]["median_us"], 1
    )
    print(json.dumps({"requests": args.requests, **summary}, indent=1))
    OUT_DIR.mkdir(exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(summary, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
