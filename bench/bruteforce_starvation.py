"""Does guessing client secrets slow down everyone else? The review's probe, replayed.

    .venv/bin/python bench/bruteforce_starvation.py --seconds 10 --compare

Serves the real app with gunicorn (2 sync workers, as ``make run``) on a scratch database
(``--database-url``, dropped and recreated), then times an unrelated ``GET /api/v1/departments``
(one at a time, 50 ms apart, with a valid token) for ``--seconds`` alone and for ``--seconds`` while
``--attackers`` threads post wrong secrets to ``/oauth/token`` as fast as they are answered.
With the default rate limits and lockout, then, with ``--compare``, again with both out of
reach (the state before issue 9). Prints the GET's latency in each phase and the attackers'
answers by status. Every request goes to 127.0.0.1 and the run stops by itself.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from typing import Any

from _common import (
    OUT_DIR,
    QUIET_GUNICORN,
    UNREACHED_RATE_LIMITS,
    fetch_token,
    gunicorn,
    latency_summary,
    quiet_app_env,
)
from token_timing import DEFAULT_URL, scratch_database


def _request(base: str, method: str, path: str, headers: dict[str, str], body: str = "") -> int:
    parsed = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    try:
        conn.request(method, path, body=body or None, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _time_gets(base: str, token: str, seconds: float, pause: float) -> list[float]:
    took = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        status = _request(base, "GET", "/api/v1/departments", {"Authorization": f"Bearer {token}"})
        took.append(time.perf_counter() - started)
        assert status == 200, status
        time.sleep(pause)  # a steady caller well inside its own limit
    return took


def _attack(base: str, client_id: str, deadline: float, statuses: Counter[int]) -> None:
    basic = base64.b64encode(f"{client_id}:guess".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    while time.perf_counter() < deadline:
        statuses[
            _request(base, "POST", "/oauth/token", headers, "grant_type=client_credentials")
        ] += 1


def _phase(base: str, token: str, client_id: str, seconds: float, attackers: int) -> dict[str, Any]:
    statuses: Counter[int] = Counter()
    deadline = time.perf_counter() + seconds
    threads = [
        threading.Thread(target=_attack, args=(base, client_id, deadline, statuses))
        for _ in range(attackers)
    ]
    for thread in threads:
        thread.start()
    gets = _time_gets(base, token, seconds, pause=0.05)
    for thread in threads:
        thread.join()
    return {"get": latency_summary(gets), "attack_answers": dict(sorted(statuses.items()))}


def _run(url: str, env: dict[str, str], args: argparse.Namespace, creds: tuple[str, str]) -> Any:
    # Counters and locks of this run's own: the previous run locked the client.
    env = {**env, "CGCRM_QUEUE_NAMESPACE": f"bench-bruteforce-{uuid.uuid4().hex}."}
    with gunicorn("wsgi:app", env, workers=2, extra_args=QUIET_GUNICORN) as base:
        token = fetch_token(base, *creds)
        _time_gets(base, token, 1.0, pause=0.05)  # warm both workers
        return {
            "alone": _phase(base, token, creds[0], args.seconds, 0),
            "under_attack": _phase(base, token, creds[0], args.seconds, args.attackers),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--attackers", type=int, default=8)
    parser.add_argument("--compare", action="store_true", help="also run without limits")
    parser.add_argument("--output", default=str(OUT_DIR / "bruteforce_starvation.json"))
    args = parser.parse_args(argv)

    from cgcrm.settings import SETTINGS

    creds = scratch_database(args.database_url)
    defaults = {
        f"CGCRM_{s.name}": str(s.default) for s in SETTINGS if s.name in UNREACHED_RATE_LIMITS
    }
    limited = {**quiet_app_env(args.database_url), **defaults}
    results = {"limited": _run(args.database_url, limited, args, creds)}
    if args.compare:
        unlimited = {
            **quiet_app_env(args.database_url),
            "CGCRM_AUTH_LOCKOUT_FAILURES": "1000000000",
        }
        results["unlimited"] = _run(args.database_url, unlimited, args, creds)
    print(json.dumps(results, indent=1))
    OUT_DIR.mkdir(exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
