"""Latency of a heavy citizen's overview and interaction list, one sequential client.

    python bench/overview_latency.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --requests 500

Needs ``bench/load_interactions.py`` (its ``out/heavy_citizen.json``: a citizen with 2,000
contacts on every channel and in every department). Serves ``wsgi:app`` with
``gunicorn -w 2`` (sync, WARNING logs, no access log) and, after ``--warmup`` rounds, sends
``--requests`` rounds of, in turn:

- ``GET /api/v1/citizens/{id}/overview`` (skipped, and said so, while the endpoint is absent);
- ``GET /api/v1/interactions?citizen_id={id}&limit=50``;

each as two principals of department CUSTOMER: ``own`` (``citizens:read``: sees CUSTOMER's
contacts only, the rest is filtered out in SQL) and ``cross`` (``citizens:read
cross_department``: sees all). Reports p50/p95/p99 per endpoint and principal (target:
overview p95 < 30 ms), then the SQL statements of each request in-process.
Every request is a real read: the app writes its audit events.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
from _common import (
    OUT_DIR,
    QUIET_GUNICORN,
    bench_client,
    fetch_token,
    gunicorn,
    latency_summary,
    machine_summary,
    psycopg_url,
    quiet_app_env,
)
from _inprocess import print_breakdown, sql_breakdown, token_client
from _load import markdown_table
from load_interactions import HEAVY_FILE

PRINCIPALS = {"own": "citizens:read", "cross": "citizens:read cross_department"}
TARGET_P95_MS = 30.0


def endpoints(citizen_id: str, limit: int) -> dict[str, str]:
    query = urllib.parse.urlencode({"citizen_id": citizen_id, "limit": limit})
    return {
        "overview": f"/api/v1/citizens/{citizen_id}/overview",
        f"interactions limit={limit}": f"/api/v1/interactions?{query}",
    }


def get(base: str, path: str, token: str) -> tuple[float, int, bytes]:
    """One GET on a new connection (gunicorn's sync workers close it after each response)."""
    parsed = urllib.parse.urlsplit(base)
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return time.perf_counter() - started, response.status, body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=500, help="per endpoint and principal")
    parser.add_argument("--warmup", type=int, default=30, help="rounds before measuring")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--citizen-id", help="default: the one in out/heavy_citizen.json")
    parser.add_argument("--skip-breakdown", action="store_true")
    parser.add_argument("--output", default=str(OUT_DIR / "overview_latency.json"))
    args = parser.parse_args(argv)
    if args.citizen_id is None:
        if not HEAVY_FILE.exists():
            raise SystemExit(f"{HEAVY_FILE} is missing: run bench/load_interactions.py first")
        heavy = json.loads(HEAVY_FILE.read_text())
        database = psycopg.conninfo.conninfo_to_dict(psycopg_url(args.database_url)).get("dbname")
        if heavy.get("database") not in (None, database):
            raise SystemExit(f"{HEAVY_FILE} is of database {heavy['database']}, not {database}")
        args.citizen_id = heavy["citizen_id"]
    url = args.database_url
    credentials = {
        p: bench_client(url, s, name=f"bench-overview-{p}") for p, s in PRINCIPALS.items()
    }
    paths = endpoints(args.citizen_id, args.limit)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; citizen "
        f"{args.citizen_id}; {args.warmup} warm-up rounds, {args.requests} measured; "
        f"load {os.getloadavg()}"
    )
    timings: dict[tuple[str, str], list[float]] = {}
    statuses: dict[tuple[str, str], dict[int, int]] = {}
    sizes: dict[tuple[str, str], int] = {}
    with gunicorn("wsgi:app", quiet_app_env(url), extra_args=QUIET_GUNICORN) as base:
        tokens = {p: fetch_token(base, *c) for p, c in credentials.items()}
        variants = [(e, p) for e in paths for p in tokens]
        for endpoint, principal in list(variants):
            _, status, body = get(base, paths[endpoint], tokens[principal])
            if status in (404, 405) and endpoint == "overview":
                print(f"{endpoint} ({principal}): HTTP {status}, endpoint absent; skipped")
                variants.remove((endpoint, principal))
            elif status != 200:
                print(f"{endpoint} ({principal}): HTTP {status}: {body[:300]!r}")
        for variant in variants:
            timings[variant], statuses[variant] = [], {}
        for round_no in range(args.warmup + args.requests):
            for endpoint, principal in variants:
                seconds, status, body = get(base, paths[endpoint], tokens[principal])
                if round_no >= args.warmup:
                    key = (endpoint, principal)
                    timings[key].append(seconds)
                    statuses[key][status] = statuses[key].get(status, 0) + 1
                    sizes[key] = len(body)
    rows = []
    for (endpoint, principal), values in timings.items():
        summary = latency_summary(values)
        rows.append(
            {
                "server": f"{endpoint} ({principal})",
                **summary,
                "statuses": statuses[(endpoint, principal)],
                "bytes": sizes[(endpoint, principal)],
            }
        )
    columns = [
        ("server", "request"),
        ("n", "n"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("mean_ms", "mean ms"),
        ("max_ms", "max ms"),
        ("bytes", "bytes"),
        ("statuses", "statuses"),
    ]
    print("\n" + markdown_table(rows, columns))
    for row in rows:
        if row["server"].startswith("overview"):
            verdict = "meets" if row["p95_ms"] < TARGET_P95_MS else "misses"
            print(
                f"{row['server']}: p95 {row['p95_ms']} ms {verdict} the "
                f"{TARGET_P95_MS:.0f} ms target"
            )
    breakdowns = {}
    if not args.skip_breakdown:
        for principal, creds in credentials.items():
            app, client, headers = token_client(url, creds)
            for endpoint in [e for e, p in variants if p == principal]:
                send = lambda path, c=client, h=headers: c.get(path, headers=h)  # noqa: E731
                # As many as measured over HTTP, at most 100, after the same warm-up.
                items = [paths[endpoint]] * (args.warmup + min(args.requests, 100))
                result = sql_breakdown(app, send, items, warmup=args.warmup)
                breakdowns[f"{endpoint} ({principal})"] = result
                print_breakdown(f"{endpoint} ({principal})", result)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {
                "args": vars(args),
                "machine": machine_summary(),
                "results": rows,
                "in_process": breakdowns,
            },
            handle,
            indent=1,
            default=str,
        )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
