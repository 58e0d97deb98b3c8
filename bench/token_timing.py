"""Can a caller tell a known client id from an unknown one by the time /oauth/token takes?

    .venv/bin/python bench/token_timing.py --rounds 300

Makes a scratch database (``--database-url``, dropped and recreated), one client, and serves
the real app with gunicorn (1 sync worker, lockout and rate limits out of reach). Each round
sends, in alternating order, a wrong secret for the known id and a wrong secret for an unknown
id (and, for reference, the right secret), one at a time, on new connections. Prints each
kind's latency percentiles, the median of the per-round differences (known - unknown) with a
bootstrap 95 % interval, and whether the two refusals were identical (status, body, headers
other than X-Request-ID and the rate-limit counters).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import random
import statistics
import time
import urllib.parse
from typing import Any

import sqlalchemy as sa
from _common import OUT_DIR, QUIET_GUNICORN, gunicorn, latency_summary, quiet_app_env

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cgcrm_token_timing"
PER_REQUEST_HEADERS = {"x-request-id", "ratelimit", "ratelimit-policy", "date"}


def scratch_database(url: str) -> tuple[str, str]:
    """Drop and recreate the database, migrate it, add a department and a client."""
    from flask_migrate import upgrade

    from cgcrm import create_app
    from cgcrm.catalog.models import Department
    from cgcrm.extensions import db
    from cgcrm.identity.service import create_client
    from cgcrm.settings import PROJECT_ROOT

    parsed = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    app = create_app({"ENV": "development", "DATABASE_URL": url})
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        db.session.add(Department(code="TIMING", name="Timing"))
        db.session.commit()
        issued = create_client("timing", "TIMING", "citizens:read")
        db.session.remove()
        db.engine.dispose()
    return issued.client.client_id, issued.client_secret


def _post_token(base: str, client_id: str, secret: str) -> tuple[float, Any]:
    parsed = urllib.parse.urlsplit(base)
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    body = urllib.parse.urlencode({"grant_type": "client_credentials"})
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    started = time.perf_counter()
    conn.request("POST", "/oauth/token", body=body, headers=headers)
    response = conn.getresponse()
    payload = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    kept = sorted((k.lower(), v) for k, v in response.getheaders())
    answer = (response.status, payload, [h for h in kept if h[0] not in PER_REQUEST_HEADERS])
    return elapsed, answer


def _bootstrap_median(values: list[float], resamples: int = 2000) -> tuple[float, float]:
    rng = random.Random(7)
    medians = sorted(
        statistics.median(rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--output", default=str(OUT_DIR / "token_timing.json"))
    args = parser.parse_args(argv)

    client_id, secret = scratch_database(args.database_url)
    env = {
        **quiet_app_env(args.database_url),
        "CGCRM_AUTH_LOCKOUT_FAILURES": "1000000000",
    }
    samples: dict[str, list[float]] = {"known": [], "unknown": [], "right_secret": []}
    answers: dict[str, set[Any]] = {"known": set(), "unknown": set()}
    differences = []
    with gunicorn("wsgi:app", env, workers=1, extra_args=QUIET_GUNICORN) as base:
        for _ in range(5):  # warm the worker (imports, pool, caches)
            _post_token(base, client_id, secret)
        for round_number in range(args.rounds):
            unknown_id = f"cgcrm-{random.getrandbits(64):016x}"
            pair = [("known", client_id), ("unknown", unknown_id)]
            took: dict[str, float] = {}
            for kind, who in pair if round_number % 2 else pair[::-1]:
                took[kind], answer = _post_token(base, who, "not-the-secret")
                samples[kind].append(took[kind])
                answers[kind].add(json.dumps([answer[0], answer[1].decode(), answer[2]]))
            differences.append(took["known"] - took["unknown"])
            samples["right_secret"].append(_post_token(base, client_id, secret)[0])

    low, high = _bootstrap_median(differences)
    summary = {
        "rounds": args.rounds,
        **{kind: latency_summary(values) for kind, values in samples.items()},
        "median_difference_ms": round(statistics.median(differences) * 1000, 3),
        "median_difference_95ci_ms": [round(low * 1000, 3), round(high * 1000, 3)],
        "identical_answers": len(answers["known"] | answers["unknown"]) == 1,
    }
    print(json.dumps(summary, indent=1))
    OUT_DIR.mkdir(exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(summary, handle, indent=1)
    return 0 if summary["identical_answers"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
