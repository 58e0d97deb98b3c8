"""Latency of the KPI query over the rollups, one sequential client.

    python bench/kpi_latency.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --requests 300

Needs ``bench/load_interactions.py``. First makes sure the daily rollups of the measured period
are there: when ``interaction_daily_rollups`` has no row in it (or with ``--rebuild``), runs the
engine's rebuild over the period in-process (``--rebuild-function``, by default
``cgcrm.metrics.rollups.rebuild:rebuild_rollups``, as ``flask metrics rebuild`` does) and prints
how long it took. Then serves ``wsgi:app`` with ``gunicorn -w 2`` (sync, WARNING logs, no access
log) and, after ``--warmup`` rounds, sends ``--requests`` rounds of, in turn:

- ``GET /api/v1/metrics/kpis?from=…&to=…`` over ``--days`` days (90) ending ``--to`` (by
  default the last day with contacts, in TIME_ZONE), all services (target: p95 < 100 ms);
- the same with ``interval=week``;
- the same with ``group_by=channel``;

with the token of a new client (department CUSTOMER, ``metrics:read``). Reports
p50/p95/p99 per request, then the SQL statements of each request in-process (test client).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import sys
import time
import urllib.parse
from typing import Any

import psycopg
from _common import (
    OUT_DIR,
    QUIET_GUNICORN,
    bench_client,
    fetch_token,
    gunicorn,
    latency_summary,
    machine_summary,
    make_app,
    psycopg_url,
    quiet_app_env,
)
from _inprocess import print_breakdown, sql_breakdown, token_client
from _load import markdown_table
from overview_latency import get

REBUILD = "cgcrm.metrics.rollups.rebuild:rebuild_rollups"
# The rebuild of the rollups before issue 10, while the engine's is not there.
EARLIER_REBUILD = "cgcrm.metrics.service:recompute_rollups"
TARGET_P95_MS = 100.0
KPIS = "/api/v1/metrics/kpis"


def requests_of(day_from: dt.date, day_to: dt.date) -> dict[str, str]:
    """The measured requests: name -> path."""
    span = {"from": day_from.isoformat(), "to": day_to.isoformat()}
    extras = {
        "": {},
        " interval=week": {"interval": "week"},
        " group_by=channel": {"group_by": "channel"},
    }
    days = (day_to - day_from).days + 1
    return {
        f"kpis {days} days{name}": f"{KPIS}?{urllib.parse.urlencode({**span, **extra})}"
        for name, extra in extras.items()
    }


def resolve(path: str, fallback: str | None = None) -> tuple[str, Any]:
    """(path, function) of ``MODULE:FUNCTION``, or of ``fallback`` when it cannot be imported."""
    module, _, attribute = path.partition(":")
    try:
        return path, getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        if fallback is None:
            raise
        print(f"{path} is not there (yet): using {fallback}")
        return resolve(fallback)


def last_day(database_url: str) -> dt.date:
    """The day, in the app's TIME_ZONE, of the latest contact."""
    from zoneinfo import ZoneInfo

    app = make_app(database_url)
    zone = ZoneInfo(app.config["TIME_ZONE"])
    with psycopg.connect(psycopg_url(database_url)) as conn:
        found = conn.execute("SELECT max(started_at) FROM interactions").fetchone()
    if not found or found[0] is None:
        raise SystemExit("no interactions: run bench/load_interactions.py first")
    latest: dt.datetime = found[0]
    return latest.astimezone(zone).date()


def ensure_rollups(
    database_url: str, day_from: dt.date, day_to: dt.date, force: bool, function: str
) -> dict[str, Any]:
    """Rebuild the period's rollups when they are missing (or ``force``); what was done."""
    with psycopg.connect(psycopg_url(database_url)) as conn:
        found = conn.execute(
            "SELECT count(*), coalesce(sum(interactions), 0) FROM interaction_daily_rollups "
            "WHERE day BETWEEN %s AND %s",
            (day_from, day_to),
        ).fetchone()
    buckets, contacts = found if found else (0, 0)
    if buckets and not force:
        print(f"rollups present: {buckets:,} buckets, {contacts:,} contacts in the period")
        return {"rebuilt": False, "buckets": buckets, "contacts": contacts}
    fallback = EARLIER_REBUILD if function == REBUILD else None
    function, rebuild = resolve(function, fallback)
    app = make_app(database_url)
    with app.app_context():
        from cgcrm.extensions import db

        started = time.perf_counter()
        result = rebuild(day_from, day_to)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    print(f"rebuilt the rollups of {day_from} … {day_to} with {function}: {seconds:.1f} s")
    return {"rebuilt": True, "seconds": round(seconds, 2), "result": str(result)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300, help="per request kind")
    parser.add_argument("--warmup", type=int, default=20, help="rounds before measuring")
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--to", help="last day (ISO); default: the day of the latest contact")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the period's rollups")
    parser.add_argument("--rebuild-function", default=REBUILD, help="MODULE:FUNCTION")
    parser.add_argument("--skip-breakdown", action="store_true")
    parser.add_argument("--output", default=str(OUT_DIR / "kpi_latency.json"))
    args = parser.parse_args(argv)
    url = args.database_url
    day_to = dt.date.fromisoformat(args.to) if args.to else last_day(url)
    day_from = day_to - dt.timedelta(days=args.days - 1)
    rollups = ensure_rollups(url, day_from, day_to, args.rebuild, args.rebuild_function)
    credentials = bench_client(url, "metrics:read", name="bench-kpis")
    paths = requests_of(day_from, day_to)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; {day_from} … {day_to}; "
        f"{args.warmup} warm-up rounds, {args.requests} measured; load {os.getloadavg()}"
    )
    timings: dict[str, list[float]] = {}
    statuses: dict[str, dict[int, int]] = {}
    sizes: dict[str, int] = {}
    with gunicorn("wsgi:app", quiet_app_env(url), extra_args=QUIET_GUNICORN) as base:
        token = fetch_token(base, *credentials)
        names = list(paths)
        for name in list(names):
            _, status, body = get(base, paths[name], token)
            if status in (404, 405):
                print(f"{name}: HTTP {status}, endpoint absent; skipped")
                names.remove(name)
            elif status != 200:
                print(f"{name}: HTTP {status}: {body[:300]!r}")
            else:
                totals = json.loads(body).get("totals", {})
                print(
                    f"{name}: totals contacts {totals.get('contacts')}, "
                    f"completed {totals.get('transactions_completed')}"
                )
        for name in names:
            timings[name], statuses[name] = [], {}
        for round_no in range(args.warmup + args.requests):
            for name in names:
                seconds, status, body = get(base, paths[name], token)
                if round_no >= args.warmup:
                    timings[name].append(seconds)
                    statuses[name][status] = statuses[name].get(status, 0) + 1
                    sizes[name] = len(body)
    rows = [
        {
            "request": name,
            **latency_summary(values),
            "bytes": sizes.get(name, 0),
            "statuses": statuses[name],
        }
        for name, values in timings.items()
    ]
    columns = [
        ("request", "request"),
        ("n", "n"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("mean_ms", "mean ms"),
        ("max_ms", "max ms"),
        ("bytes", "bytes"),
        ("statuses", "statuses"),
    ]
    if rows:
        print("\n" + markdown_table(rows, columns))
        first = rows[0]
        verdict = "meets" if first["p95_ms"] < TARGET_P95_MS else "misses"
        print(
            f"{first['request']}: p95 {first['p95_ms']} ms {verdict} the "
            f"{TARGET_P95_MS:.0f} ms target"
        )
    breakdowns = {}
    if not args.skip_breakdown and names:
        app, client, headers = token_client(url, credentials)
        for name in names:
            send = lambda path, c=client, h=headers: c.get(path, headers=h)  # noqa: E731
            items = [paths[name]] * (args.warmup + min(args.requests, 100))
            breakdowns[name] = sql_breakdown(app, send, items, warmup=args.warmup)
            print_breakdown(name, breakdowns[name])
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {
                "args": vars(args),
                "period": [day_from.isoformat(), day_to.isoformat()],
                "machine": machine_summary(),
                "load": os.getloadavg(),
                "rollups": rollups,
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
