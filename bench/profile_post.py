"""Where one ``POST`` spends its CPU: cProfile of the real app in-process.

    python bench/profile_post.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench
    python bench/profile_post.py --endpoint citizens [--no-match] \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench_m

``interactions`` (the default) sends ``--requests`` contacts through Flask's test client,
sequentially, after a warm-up, under cProfile; rows it wrote are deleted at the end. Works on
any migrated database with a catalog and citizens (``flask seed`` is enough).

``citizens`` creates new people (a generator stream of another seed, as
bench/match_latency.py's create runs: creates that match first and find nobody), with the
match look-up or, with ``--no-match``, without it (bench/match_off_app.py). Before profiling it
times ``--requests`` creates without cProfile and reports CPU-ms per create of this process
and of the PostgreSQL backends of the database (from /proc, so run it on the database's
machine); the people it creates stay.

Both print the SQL statements per request and the functions with the most cumulative and own
time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

import psycopg
from _common import OUT_DIR, bench_client, make_app, psycopg_url
from _inprocess import print_breakdown, sql_breakdown, token_client
from sqlalchemy import select

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _sample(database_url: str) -> tuple[list[str], list[str]]:
    from cgcrm.catalog.models import Service
    from cgcrm.citizens.models import Citizen
    from cgcrm.extensions import db

    app = make_app(database_url)
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(select(Citizen.id).limit(2000))]
        codes = list(db.session.scalars(select(Service.code).order_by(Service.code)))
        db.session.remove()
        db.engine.dispose()
    return ids, codes


def backend_cpu_seconds(database_url: str) -> float:
    """CPU seconds (user + system) of every PostgreSQL backend connected to the database,
    this monitoring connection's own excluded."""
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    total = 0
    for (pid,) in rows:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (after the state field)
    return total / CLOCK_TICKS


def timed_run(database_url: str, send: Callable[[Any], Any], bodies: list[Any]) -> dict[str, Any]:
    """CPU-ms per request of this process and of the database's backends, no profiler."""
    backend_before = backend_cpu_seconds(database_url)
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    statuses: dict[int, int] = {}
    for body in bodies:
        status = send(body).status_code
        statuses[status] = statuses.get(status, 0) + 1
    app_cpu = time.process_time() - cpu_before
    wall = time.perf_counter() - wall_before
    backend = backend_cpu_seconds(database_url) - backend_before
    count = max(len(bodies), 1)
    return {
        "requests": len(bodies),
        "statuses": statuses,
        "wall_ms": round(wall / count * 1000, 2),
        "app_cpu_ms": round(app_cpu / count * 1000, 2),
        "postgres_cpu_ms": round(backend / count * 1000, 2),
        "cpu_ms": round((app_cpu + backend) / count * 1000, 2),
        "load_average": os.getloadavg(),
    }


def backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends connected to the database (the app's pooled connection)."""
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def _process_cpu(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def ab_run(
    database_url: str, app: Any, send: Callable[[Any], Any], bodies: list[Any]
) -> dict[str, Any]:
    """Creates with and without matching in turn, request by request, in one process: both
    sides measured under the same load (a shared machine's load moves CPU times by a third).
    PostgreSQL's CPU is read from /proc around each request (10 ms ticks: exact in sum)."""
    from cgcrm.citizens import match_links

    lookup = app.extensions[match_links._EXTENSION]
    pids = backend_pids(database_url)
    sides = {"with": [0.0, 0.0, 0], "without": [0.0, 0.0, 0]}
    for index, body in enumerate(bodies):
        side = "with" if index % 2 == 0 else "without"
        if side == "with":
            app.extensions[match_links._EXTENSION] = lookup
        else:
            app.extensions.pop(match_links._EXTENSION, None)
        backend, cpu = _process_cpu(pids), time.process_time()
        send(body)
        sides[side][0] += time.process_time() - cpu
        sides[side][1] += _process_cpu(pids) - backend
        sides[side][2] += 1
    app.extensions[match_links._EXTENSION] = lookup
    result: dict[str, Any] = {}
    for side, (app_cpu, backend_cpu, count) in sides.items():
        result[side] = {
            "app_cpu_ms": round(app_cpu / count * 1000, 2),
            "postgres_cpu_ms": round(backend_cpu / count * 1000, 2),
            "cpu_ms": round((app_cpu + backend_cpu) / count * 1000, 2),
        }
    result["cpu_ratio_without_over_with"] = round(
        result["without"]["cpu_ms"] / result["with"]["cpu_ms"], 3
    )
    result["load_average"] = os.getloadavg()
    return result


def _interactions(args: argparse.Namespace) -> tuple[Any, Callable[[Any], Any], list[Any]]:
    from interaction_throughput import SCOPES, make_bodies

    ids, codes = _sample(args.database_url)
    credentials = bench_client(args.database_url, SCOPES, name="bench-profile")
    app, client, headers = token_client(args.database_url, credentials)
    headers["Content-Type"] = "application/json"
    bodies = make_bodies(ids, codes, args.requests * 2 + 450, seed=5)
    args.client_id = credentials[0]

    def send(body: str) -> object:
        return client.post("/api/v1/interactions", data=body, headers=headers)

    return app, send, bodies


def _citizens(args: argparse.Namespace) -> tuple[Any, Callable[[Any], Any], list[Any]]:
    from match_latency import new_people

    from cgcrm.citizens import match_links

    credentials = bench_client(args.database_url, name="bench-profile")
    app, client, headers = token_client(args.database_url, credentials)
    if args.no_match:
        app.extensions.pop(match_links._EXTENSION, None)
    headers["Content-Type"] = "application/json"
    bodies = [
        json.dumps(body)
        for body in new_people(args.requests * 2 + 450, seed=args.seed or int(time.time()))
    ]

    def send(body: str) -> object:
        return client.post("/api/v1/citizens", data=body, headers=headers)

    return app, send, bodies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--endpoint", choices=("interactions", "citizens"), default="interactions")
    parser.add_argument("--no-match", action="store_true", help="citizens: without matching")
    parser.add_argument("--seed", type=int, default=0, help="citizens: people (0: the time)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--no-profile", action="store_true", help="the timed run only")
    parser.add_argument(
        "--ab",
        action="store_true",
        help="citizens: creates with and without matching in turn (same load), no profile",
    )
    args = parser.parse_args(argv)

    since = dt.datetime.now(dt.UTC)
    app, send, bodies = (_citizens if args.endpoint == "citizens" else _interactions)(args)
    title = f"POST /{args.endpoint}" + (" without matching" if args.no_match else "")
    print_breakdown(title, sql_breakdown(app, send, bodies[:400]))
    if args.ab:
        measured = bodies[400 : 400 + 2 * args.requests]
        result = ab_run(args.database_url, app, send, measured)
        print(f"\nwith / without matching in turn: {json.dumps(result)}")
        return 0
    timed = timed_run(args.database_url, send, bodies[400 : 400 + args.requests])
    print(f"\ntimed (no profiler): {json.dumps(timed)}")
    if not args.no_profile:
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for body in bodies[400 + args.requests : 400 + 2 * args.requests]:
            send(body)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"\nprofiled: {elapsed / args.requests * 1000:.2f} ms per request (with cProfile)")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())
        OUT_DIR.mkdir(exist_ok=True)
        suffix = "_without_matching" if args.no_match else ""
        profiler.dump_stats(OUT_DIR / f"profile_post_{args.endpoint}{suffix}.pstats")
    if args.endpoint == "interactions":
        from interaction_throughput import cleanup

        print(cleanup(args.database_url, since, [f"client:{args.client_id}"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
