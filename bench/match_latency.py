"""Real-time match latency on a loaded database, and create throughput with and without matching.

    python bench/match_latency.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_eval_1m

Needs a database loaded by bench/load_citizens.py (a million citizens for the issue's target).
It gains the citizens the throughput part creates; use a database of your own (not
cgcrm_bench).

1. **Match latency**: ``--queries`` loaded citizens (random, seed ``--seed``) are read back
   (names, date of birth, current address, email, phone) and corrupted as another office would
   type them (bench/matching_data.py: typos, nicknames, transposed dates, moves, missing
   fields...). Each is sent to ``POST /api/v1/citizens/match``, one at a time: in-process
   through Flask's test client (the app's own cost) and over HTTP against ``gunicorn -w 2``.
   Prints p50/p95/p99 and whether the true citizen was the best candidate (and in the top 10).
2. **Create throughput, A/B in one run**: ``wsgi:app`` (creates match first) and
   ``match_off_app:app`` (the same app without the match look-up, as before issue 11), each under
   ``gunicorn -w 2`` for ``--duration`` s at ``--connections`` connections, in turn for
   ``--rounds`` rounds, each server creating new people of its own (a generator stream of
   another seed, identifiers left out so none is already recorded). Prints
   creates/s of each and their ratio (the issue's target: with matching at least half).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from typing import Any

import matching_data
import psycopg
from _common import (
    OUT_DIR,
    app_env,
    bench_client,
    fetch_token,
    gunicorn,
    latency_summary,
    nproc,
    psycopg_url,
)
from _inprocess import token_client
from _load import python_load

from cgcrm.citizens.synthetic import generate_citizens

MATCH_PATH = "/api/v1/citizens/match"
SAMPLE_SQL = """
SELECT c.id, c.given_name, c.middle_names, c.family_name, c.date_of_birth,
       (SELECT value FROM contact_points p WHERE p.citizen_id = c.id AND p.kind = 'email'
         ORDER BY position LIMIT 1) AS email,
       (SELECT value FROM contact_points p WHERE p.citizen_id = c.id AND p.kind = 'phone'
         ORDER BY position LIMIT 1) AS phone,
       a.line1, a.locality, a.region, a.postcode
FROM citizens c
LEFT JOIN LATERAL (SELECT line1, locality, region, postcode FROM addresses
                    WHERE citizen_id = c.id AND valid_to IS NULL LIMIT 1) a ON true
WHERE c.status = 'active' AND c.id >= %s
ORDER BY c.id
LIMIT 1
"""


def sample_people(database_url: str, count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """(citizen id, create-shaped body) of ``count`` random loaded citizens."""
    rng = random.Random(seed)
    people: dict[str, dict[str, Any]] = {}
    with psycopg.connect(psycopg_url(database_url)) as conn:
        first = conn.execute("SELECT id::text FROM citizens ORDER BY id LIMIT 1").fetchone()
        last = conn.execute("SELECT id::text FROM citizens ORDER BY id DESC LIMIT 1").fetchone()
        if not first or not last:
            raise SystemExit("no citizens: run bench/load_citizens.py first")
        low, high = (int(b[0].replace("-", ""), 16) for b in (first, last))
        attempts = 0
        while len(people) < count and attempts < count * 5:
            attempts += 1
            point = low + int(rng.random() * (high - low))
            start = f"{point:032x}"
            start = f"{start[:8]}-{start[8:12]}-{start[12:16]}-{start[16:20]}-{start[20:]}"
            row = conn.execute(SAMPLE_SQL, (start,)).fetchone()
            if row is None or str(row[0]) in people:
                continue
            body: dict[str, Any] = {
                "given_name": row[1],
                "middle_names": row[2],
                "family_name": row[3],
                "date_of_birth": row[4].isoformat() if row[4] else None,
                "contact_points": [
                    {"kind": kind, "value": value}
                    for kind, value in (("email", row[5]), ("phone", row[6]))
                    if value
                ],
                "addresses": [
                    {
                        "line1": row[7],
                        "locality": row[8],
                        "region": row[9],
                        "postcode": row[10],
                        "country": "AU",
                        "valid_from": None,
                        "valid_to": None,
                    }
                ]
                if row[7]
                else [],
                "identifiers": [],
            }
            people[str(row[0])] = body
    return list(people.items())


def corrupted_queries(
    people: list[tuple[str, dict[str, Any]]], seed: int
) -> list[tuple[str, dict[str, Any]]]:
    donors = [body for _, body in people]
    corruptor = matching_data.Corruptor(random.Random(seed), matching_data.load_nicknames(), donors)
    queries = []
    for citizen_id, body in people:
        copied, _ = matching_data.corrupt(body, corruptor)
        queries.append((citizen_id, matching_data.create_body(copied)))
    return queries


def measure_in_process(
    database_url: str, credentials: tuple[str, str], queries: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    _, client, headers = token_client(database_url, credentials)
    for _, body in queries[:20]:  # warm-up: caches, connections, the model
        client.post(MATCH_PATH, json=body, headers=headers)
    seconds: list[float] = []
    top1 = top10 = 0
    cpu_started = time.process_time()
    for citizen_id, body in queries:
        started = time.perf_counter()
        response = client.post(MATCH_PATH, json=body, headers=headers)
        seconds.append(time.perf_counter() - started)
        candidates = (response.get_json(silent=True) or {}).get("candidates") or []
        ids = [c["citizen_id"] for c in candidates]
        top1 += bool(ids) and ids[0] == citizen_id
        top10 += citizen_id in ids
    # The app's own CPU per match (PostgreSQL's is not counted): on a busy machine the wall
    # time also holds the time this process waited for a CPU.
    cpu_ms = (time.process_time() - cpu_started) / len(queries) * 1000
    return {
        **latency_summary(seconds),
        "app_cpu_ms_mean": round(cpu_ms, 2),
        "true_citizen_first": round(top1 / len(queries), 4),
        "true_citizen_in_top10": round(top10 / len(queries), 4),
    }


def measure_http(
    database_url: str, credentials: tuple[str, str], queries: list[tuple[str, dict[str, Any]]]
) -> dict[str, Any]:
    """One client, one request at a time, against gunicorn -w 2."""
    import http.client
    import urllib.parse

    with gunicorn("wsgi:app", app_env(database_url), workers=2) as base:
        token = fetch_token(base, *credentials)
        parsed = urllib.parse.urlsplit(base)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        seconds: list[float] = []
        for index, (_, body) in enumerate([*queries[:20], *queries]):
            payload = json.dumps(body)
            started = time.perf_counter()
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
            conn.request("POST", MATCH_PATH, body=payload, headers=headers)
            conn.getresponse().read()
            conn.close()
            if index >= 20:
                seconds.append(time.perf_counter() - started)
    return latency_summary(seconds)


def new_people(count: int, seed: int) -> list[dict[str, Any]]:
    """People the database does not have: another seed's stream, without identifiers (those of
    another stream may collide with the loaded ones)."""
    return [
        matching_data.create_body({**body, "identifiers": []})
        for body in generate_citizens(count, seed=seed)
    ]


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def _server_pids(base: str) -> list[int]:
    """gunicorn's master and workers serving ``base`` (their command line names its port)."""
    bind = base.split("//", 1)[1]
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if bind.encode() in handle.read():
                        pids.append(int(entry))
            except OSError:
                continue
    return pids


def _backend_pids(database_url: str) -> list[int]:
    with psycopg.connect(psycopg_url(database_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def measure_creates(
    database_url: str,
    credentials: tuple[str, str],
    people: list[dict[str, Any]],
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    results = []
    per_run = len(people) // (2 * args.rounds)  # each run its own people
    servers = (("with matching", "wsgi:app"), ("without matching", "match_off_app:app"))
    runs = [server for _ in range(args.rounds) for server in servers]
    for number, (label, spec) in enumerate(runs):
        bodies = people[number * per_run : (number + 1) * per_run]
        requests = [("POST", "/api/v1/citizens", json.dumps(b).encode()) for b in bodies]
        with gunicorn(spec, app_env(database_url), workers=args.workers) as base:
            token = fetch_token(base, *credentials)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            servers_cpu = _cpu_seconds(_server_pids(base))
            backends = {pid: _cpu_seconds([pid]) for pid in _backend_pids(database_url)}
            result = python_load(base, requests, headers, args.duration, args.connections)
            # CPU of the server (master and workers) and of the database's backends during the
            # run, per create: what a shared machine's load does not change much (the rate
            # falls with the CPU the other work takes).
            app_cpu = _cpu_seconds(_server_pids(base)) - servers_cpu
            postgres_cpu = sum(
                _cpu_seconds([pid]) - backends.get(pid, 0.0) for pid in _backend_pids(database_url)
            )
            created = max(result["requests"], 1)
            result["app_cpu_ms"] = round(app_cpu / created * 1000, 2)
            result["postgres_cpu_ms"] = round(postgres_cpu / created * 1000, 2)
        if result["requests"] > len(bodies):
            print(f"  note: {label} sent {result['requests']} creates for {len(bodies)} people")
        results.append({"server": label, "app": spec, **result})
        print(
            f"  {label:<18} {result['req_per_s']:>8.1f} creates/s  p50 {result['p50_ms']:.1f} ms"
            f"  p95 {result['p95_ms']:.1f} ms  non-2xx {result['non_2xx']}  CPU a create: app "
            f"{result['app_cpu_ms']} ms, PostgreSQL {result['postgres_cpu_ms']} ms"
        )
    return results


def measure_matches(
    args: argparse.Namespace,
    credentials: tuple[str, str],
    report: dict[str, Any],
) -> None:
    people = sample_people(args.database_url, args.queries, args.seed)
    queries = corrupted_queries(people, args.seed)
    print(f"{len(queries)} corrupted copies of loaded citizens")
    report["queries"] = len(queries)
    report["match_in_process"] = measure_in_process(args.database_url, credentials, queries)
    r = report["match_in_process"]
    print(
        f"match in-process: p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  p99 {r['p99_ms']} ms "
        f"(app CPU {r['app_cpu_ms_mean']} ms a match); "
        f"true citizen first {r['true_citizen_first']:.1%}, in top 10 "
        f"{r['true_citizen_in_top10']:.1%}"
    )
    if not args.skip_http:
        report["match_http"] = measure_http(args.database_url, credentials, queries)
        r = report["match_http"]
        print(
            f"match over HTTP (gunicorn -w 2, one client): p50 {r['p50_ms']} ms  "
            f"p95 {r['p95_ms']} ms"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-match", action="store_true", help="the create runs only")
    parser.add_argument("--skip-creates", action="store_true")
    parser.add_argument("--duration", type=int, default=20, help="seconds per create run")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--people",
        type=int,
        default=0,
        help="new people the create runs share out (at least "
        "enough that no connection repeats another's)",
    )
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)

    load_before = os.getloadavg()
    with psycopg.connect(psycopg_url(args.database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM citizens").fetchone()
        population = int(row[0]) if row else 0
    print(f"{population:,} citizens")
    credentials = bench_client(args.database_url)
    report: dict[str, Any] = {"citizens": population}
    if not args.skip_match:
        measure_matches(args, credentials, report)

    if not args.skip_creates:
        print(
            f"creates: {args.rounds} rounds x 2 servers, {args.duration} s at "
            f"{args.connections} connections, gunicorn -w {args.workers}"
        )
        # A seed of its own per run: every run creates people nobody has created yet.
        # The load generator's connection k starts at body k * 997 (bench/_load.py): enough
        # bodies per run that no two connections send the same person (a second copy of a
        # person is a 409 with matching and a duplicate record without).
        needed = 2 * args.rounds * (args.connections * 997 + 1000)
        fresh = new_people(max(args.people, needed), seed=int(time.time()))
        creates = measure_creates(args.database_url, credentials, fresh, args)
        report["creates"] = creates
        with_m = sum(r["req_per_s"] for r in creates if r["app"] == "wsgi:app")
        without = sum(r["req_per_s"] for r in creates if r["app"] != "wsgi:app")
        report["create_ratio"] = round(with_m / without, 3) if without else None
        print(f"create with matching / without: {report['create_ratio']}")
    report["load_average"] = {"before": load_before, "after": os.getloadavg(), "cpus": nproc()}
    path = OUT_DIR / "match_latency.json"
    path.write_text(json.dumps(report, indent=1))
    print(f"load average before {load_before}, after {os.getloadavg()}; written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
