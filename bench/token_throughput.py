"""Access tokens: issuance and validation per second, and what the guard adds to a GET.

    .venv/bin/python bench/token_throughput.py --issue 100 --validate 5000 --requests 2000

Makes a scratch database (``--database-url``, dropped and recreated, migrated, the catalog
seeded; dropped at the end), one client (citizens:read citizens:write) and one citizen.
Everything runs in this process, one request at a time, through the Flask test client (no HTTP
server, no sockets), so each figure is the application's own cost; wall time is per operation
(perf_counter) and CPU time is this process's (process_time, every thread), over the loop.
PostgreSQL and Redis work happens in their own processes and shows in wall time only.

- **issuance**: ``POST /oauth/token`` (client credentials, HTTP Basic) with the rate limiter and
  client lockout on (limits out of reach), as deployed; and, for reference, the check of the
  client secret against its stored hash alone, which the token endpoint must do every time
  (SHA-256 since the secret's stored form changed; argon2id before).
- **validation**: ``decode_access_token``, the guard's check of a bearer token, on tokens never
  seen by the process (RS256 signature and claims checked: each is a new token) and on one token
  seen before (its checked signature is remembered per process; expiry and revocation are
  checked every time), as a client sending the same token for its hour does.
- **the guard on a GET**: the same request, ``GET /api/v1/me`` (one SELECT) and
  ``GET /api/v1/citizens/{id}`` (a citizen read with its audit row), in three apps built alike,
  rate limiter off in all three so that only the guard differs: guarded with a token seen before,
  guarded with a new token each request, and unguarded, where the guard's ``before_request`` is
  replaced by one that sets the principal the token would have given (the view needs one). The
  three alternate request by request, so the machine's drift hits them alike. The ratio is
  guarded / unguarded of the medians (wall) and of the CPU per request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import OUT_DIR, PROJECT_ROOT, UNREACHED_RATE_LIMITS, machine_summary

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cgcrm_token_throughput"
SCOPE = "citizens:read citizens:write"


def _app(database_url: str, **overrides: Any) -> Any:
    from cgcrm import create_app

    return create_app(
        {
            "ENV": "development",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
            "QUEUE_NAMESPACE": f"bench-tokens-{uuid.uuid4().hex}.",
            **UNREACHED_RATE_LIMITS,
            **overrides,
        }
    )


def _drop_database(url: str, recreate: bool) -> None:
    parsed = sa.engine.make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        if recreate:
            conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def scratch_database(url: str) -> None:
    """Drop and recreate the database; migrate it and seed the catalog."""
    from flask_migrate import upgrade

    from cgcrm.catalog.seed import load_catalog
    from cgcrm.extensions import db

    _drop_database(url, recreate=True)
    app = _app(url)
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        load_catalog(PROJECT_ROOT / "config" / "seed" / "catalog.yaml")
        db.session.remove()
        db.engine.dispose()


def new_client(app: Any) -> tuple[str, str]:
    from cgcrm.extensions import db
    from cgcrm.identity.service import create_client

    with app.app_context():
        issued = create_client("token bench", "CUSTOMER", SCOPE)
        credentials = (issued.client.client_id, issued.client_secret)
        db.session.remove()
    return credentials


def issue(http: Any, credentials: tuple[str, str]) -> str:
    response = http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    token: str = response.get_json()["access_token"]
    return token


def fresh_tokens(app: Any, model: str, count: int) -> Iterator[str]:
    """Tokens as /oauth/token issues them (the claims of ``model``, a new jti and iat each),
    signed with the app's key: new to every process, made outside the timed loops."""
    from joserfc import jwt

    keys = app.extensions["cgcrm.signing_keys"]
    claims = keys.trusted_claims(model)
    header = {"alg": "RS256", "typ": "at+jwt", "kid": keys.kid}
    for _ in range(count):
        now = int(time.time())
        claims |= {"jti": uuid.uuid4().hex, "iat": now, "exp": now + 3600}
        yield jwt.encode(header, claims, keys.private)


class Timed:
    """Wall seconds of each operation, and this process's CPU seconds over all of them."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu = 0.0

    def run(self, operation: Callable[[], Any]) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        result = operation()
        self.wall.append(time.perf_counter() - wall)
        self.cpu += time.process_time() - cpu
        return result

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.wall)
        median = statistics.median(ordered)
        return {
            "n": len(ordered),
            "per_second": round(len(ordered) / sum(ordered), 1),
            "wall_p50_ms": round(median * 1000, 3),
            "wall_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
            "cpu_ms": round(self.cpu / len(ordered) * 1000, 3),
        }


def measure_issuance(database_url: str, count: int) -> dict[str, Any]:
    from cgcrm.extensions import db
    from cgcrm.identity.client_secrets import check_client_secret
    from cgcrm.identity.models import OAuthClient

    app = _app(database_url)  # rate limiter and lockout on, as deployed
    credentials = new_client(app)
    http = app.test_client()
    for _ in range(3):
        issue(http, credentials)
    endpoint, secret_check = Timed(), Timed()
    with app.app_context():
        stored = db.session.scalar(
            sa.select(OAuthClient.client_secret_hash).where(OAuthClient.client_id == credentials[0])
        )
        db.session.remove()
    for _ in range(count):
        endpoint.run(lambda: issue(http, credentials))
        assert secret_check.run(lambda: check_client_secret(stored, credentials[1])[0])
    return {"token_endpoint": endpoint.summary(), "secret_check_alone": secret_check.summary()}


def measure_validation(database_url: str, count: int) -> dict[str, Any]:
    from cgcrm.identity.tokens import decode_access_token

    app = _app(database_url)
    token = issue(app.test_client(), new_client(app))
    new = list(fresh_tokens(app, token, count))
    seen, unseen = Timed(), Timed()
    with app.app_context():
        decode_access_token(token)  # remembered from now on
        for fresh in new:
            assert unseen.run(lambda t=fresh: decode_access_token(t)) is not None
            assert seen.run(lambda: decode_access_token(token)) is not None
    return {"new_token": unseen.summary(), "token_seen_before": seen.summary()}


def unguard(app: Any, token: str) -> None:
    """Replace the guard's ``before_request`` by one that sets the principal ``token`` gives."""
    from flask import g

    from cgcrm.identity.guard import authenticate_request, principal_from_claims

    with app.app_context():
        principal = principal_from_claims(
            app.extensions["cgcrm.signing_keys"].trusted_claims(token)
        )

    def set_principal() -> None:
        g.principal = principal

    hooks = app.before_request_funcs[None]
    hooks[hooks.index(authenticate_request)] = set_principal


def a_citizen(app: Any, token: str) -> str:
    response = app.test_client().post(
        "/api/v1/citizens",
        json={
            "given_name": "Benchmark",
            "family_name": f"Token{uuid.uuid4().hex[:6]}",
            "date_of_birth": "1980-01-01",
        },
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["id"])


def measure_guard(database_url: str, count: int) -> dict[str, Any]:
    off = {"RATE_LIMIT_ENABLED": False}
    seen_app, new_app, unguarded_app = (_app(database_url, **off) for _ in range(3))
    token = issue(seen_app.test_client(), new_client(seen_app))
    unguard(unguarded_app, token)
    citizen = a_citizen(seen_app, token)
    paths = {
        "GET /api/v1/me": "/api/v1/me",
        "GET /api/v1/citizens/{id}": f"/api/v1/citizens/{citizen}",
    }
    results: dict[str, Any] = {}
    for name, path in paths.items():
        new = iter(list(fresh_tokens(new_app, token, count + 20)))
        variants: dict[str, tuple[Any, Callable[[], str]]] = {
            "guarded_token_seen_before": (seen_app.test_client(), lambda: token),
            "guarded_new_token": (new_app.test_client(), lambda new=new: next(new)),
            "unguarded": (unguarded_app.test_client(), lambda: token),
        }
        timers = {variant: Timed() for variant in variants}
        for round_number in range(count + 20):
            for variant, (http, bearer) in variants.items():
                headers = {"Authorization": f"Bearer {bearer()}"}
                if round_number < 20:  # warm-up: pools, caches, first imports
                    assert http.get(path, headers=headers).status_code == 200
                    continue
                response = timers[variant].run(
                    lambda h=http, p=path, hd=headers: h.get(p, headers=hd)
                )
                assert response.status_code == 200, response.get_data(as_text=True)
        summaries = {variant: timer.summary() for variant, timer in timers.items()}
        base = summaries["unguarded"]
        for variant in ("guarded_token_seen_before", "guarded_new_token"):
            summaries[variant] |= {
                "ratio_wall_p50": round(summaries[variant]["wall_p50_ms"] / base["wall_p50_ms"], 3),
                "ratio_cpu": round(summaries[variant]["cpu_ms"] / base["cpu_ms"], 3),
                "added_cpu_ms": round(summaries[variant]["cpu_ms"] - base["cpu_ms"], 3),
            }
        results[name] = summaries
    return results


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages: the machine may be shared."""
    return [float(part) for part in Path("/proc/loadavg").read_text().split()[:3]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--issue", type=int, default=100, help="tokens issued (timed)")
    parser.add_argument("--validate", type=int, default=5000, help="validations of each kind")
    parser.add_argument("--requests", type=int, default=2000, help="GETs of each variant")
    parser.add_argument("--output", default=str(OUT_DIR / "token_throughput.json"))
    args = parser.parse_args(argv)

    scratch_database(args.database_url)
    load_before = load_average()
    started = datetime.now(UTC)
    summary = {
        "started": started.isoformat(timespec="seconds"),
        "machine": machine_summary(),
        "load_average_before": load_before,
        "mode": "in-process, Flask test client, sequential",
        "issuance": measure_issuance(args.database_url, args.issue),
        "validation": measure_validation(args.database_url, args.validate),
        "guard_on_get": measure_guard(args.database_url, args.requests),
        "load_average_after": load_average(),
        "seconds": round((datetime.now(UTC) - started).total_seconds(), 1),
    }
    _drop_database(args.database_url, recreate=False)
    print(json.dumps(summary, indent=1))
    OUT_DIR.mkdir(exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(summary, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
