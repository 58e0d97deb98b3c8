"""Latency and recall of typo-tolerant citizen search, in-process and over HTTP.

    python bench/search_latency.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench

Reads ``bench/out/queries.jsonl`` (written by load_citizens.py; the output directory is
``$CGCRM_BENCH_OUT`` when set): each line is a loaded citizen's id and a 'Given Family' query
with one typo per part. For every query, once by name only and once with the citizen's date of
birth as a block:

(a) in-process: ``cgcrm.citizens.search.search_citizens(Actor(SYSTEM, "bench"), q=..., limit=10)``
    inside an app context (the session is removed after each call, as after a request);
(b) over HTTP: ``GET /api/v1/citizens/search?q=...&limit=10`` against gunicorn (2 sync workers)
    running ``wsgi:app``, with a bearer token of a fresh client "bench" from ``/oauth/token``;
    one request at a time, a new connection each (sync workers close after each response).

Reports p50/p95/p99 latency, recall@1 and recall@10 (the citizen the query was made from is
first / among the results), name@1 (the first result has the true name: right even when several
people share it), and, in-process, where the time went by SQL statement kind. Per-query
outcomes go to ``bench/out/search-<run>.jsonl``. Searches write audit rows (one per returned
citizen): that is part of the cost measured.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import importlib
import io
import json
import os
import pstats
import re
import sys
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from _common import (
    DEFAULT_DATABASE_URL,
    OUT_DIR,
    QUERIES_FILE,
    app_env,
    bench_client,
    fetch_token,
    gunicorn,
    latency_summary,
    load_queries,
    make_app,
    nproc,
)

MODES = ("name", "name+dob")
WARMUP = 50


def _dob(query: dict[str, Any], mode: str) -> date | None:
    if mode == "name+dob" and query.get("date_of_birth"):
        return date.fromisoformat(query["date_of_birth"])
    return None


class Tally:
    """Per-query outcomes of one run; summarised as latency percentiles and recall."""

    def __init__(self, run: str) -> None:
        self.run = run
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        query: dict[str, Any],
        seconds: float,
        ids: list[str],
        names: list[str],
        candidates: int | None = None,
        status: int = 200,
    ) -> None:
        truth = query["citizen_id"]
        self.rows.append(
            {
                "q": query["q"],
                "name": query.get("name"),
                "ms": round(seconds * 1000, 2),
                "status": status,
                "rank": ids.index(truth) + 1 if truth in ids else None,
                # The top hit carries the true name: right even when the person is ambiguous.
                "name_at_1": bool(names) and names[0] == query.get("name"),
                "true_name_in_results": names.count(query.get("name") or ""),
                "candidates": candidates,
                "top": names[:3],
            }
        )

    def summary(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        n = len(self.rows)
        ranks = [r["rank"] for r in self.rows]
        result = {"run": self.run, **latency_summary([r["ms"] / 1000 for r in self.rows])}
        result["recall@1"] = round(sum(x == 1 for x in ranks) / n, 4) if n else 0.0
        result["recall@10"] = round(sum(x is not None for x in ranks) / n, 4) if n else 0.0
        result["name@1"] = round(sum(r["name_at_1"] for r in self.rows) / n, 4) if n else 0.0
        result["errors"] = sum(r["status"] != 200 for r in self.rows)
        candidates = [r["candidates"] for r in self.rows if r["candidates"] is not None]
        if candidates:
            result["mean_candidates"] = round(sum(candidates) / len(candidates), 1)
            result["max_candidates"] = max(candidates)
        return result | (extra or {})

    def write(self, tag: str = "") -> None:
        slug = re.sub(r"[^a-z0-9]+", "-", f"{tag} {self.run}".lower()).strip("-")
        with (OUT_DIR / f"search-{slug}.jsonl").open("w") as handle:
            for row in self.rows:
                handle.write(json.dumps(row) + "\n")


# ---------------------------------------------------------------------------------------------
# SQL timing: which statements the search spends its time in
# ---------------------------------------------------------------------------------------------

_SELECTIN = re.compile(
    r" as (citizen_names|contact_points|addresses|external_identifiers|consents)_"
)


def _statement_kind(statement: str) -> str:
    s = " ".join(statement.split()).lower()
    if "from revoked_tokens" in s:
        return "auth: revoked-token check"
    if "from name_tokens" in s:
        return "similar_tokens (name_tokens KNN + phonetic)"
    if _SELECTIN.search(s):
        return "selectin children (names, contacts, addresses, ids, consents)"
    if s.startswith("select citizen_names.citizen_id"):
        return "name candidates (citizen_names pairs)"
    if "from contact_points" in s:
        return "exact: contact_points"
    if "from external_identifiers" in s:
        return "exact: external_identifiers"
    if s.startswith("select citizens."):
        return "fetch citizens (ranked hits / the one read)"
    if "audit_events" in s:
        return "audit (one event row per citizen)"
    return "other: " + s[:40]


class SqlTimer:
    """Wall time per statement kind (execute + fetch into the driver), plus COMMIT."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._started: list[float] = []

    def install(self, engine: Any) -> None:
        from sqlalchemy import event

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            self._started.append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            kind = _statement_kind(statement)
            self.seconds[kind] += time.perf_counter() - self._started.pop()
            self.calls[kind] += 1

        # COMMIT (the WAL flush of the audit rows) is timed around the DBAPI call.
        dialect = engine.dialect
        original = dialect.do_commit

        def timed_commit(dbapi_connection: Any) -> None:
            started = time.perf_counter()
            original(dbapi_connection)
            self.seconds["COMMIT"] += time.perf_counter() - started
            self.calls["COMMIT"] += 1

        dialect.do_commit = timed_commit

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def report(self, queries: int, total_seconds: float) -> list[dict[str, Any]]:
        rows = [
            {
                "kind": kind,
                "ms_per_search": round(seconds / queries * 1000, 2),
                "calls_per_search": round(self.calls[kind] / queries, 2),
                "share": round(seconds / total_seconds, 3),
            }
            for kind, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])
        ]
        outside = total_seconds - sum(self.seconds.values())
        rows.append(
            {
                "kind": "Python outside SQL (Flask, ORM, schemas, scoring)",
                "ms_per_search": round(outside / queries * 1000, 2),
                "calls_per_search": 0,
                "share": round(outside / total_seconds, 3),
            }
        )
        return rows


# ---------------------------------------------------------------------------------------------
# (a) in-process
# ---------------------------------------------------------------------------------------------


class GcPauses:
    """Durations of the garbage collector's runs, by generation (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = defaultdict(list)
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    @contextmanager
    def recording(self) -> Iterator[None]:
        self.pauses.clear()
        gc.callbacks.append(self)
        try:
            yield
        finally:
            gc.callbacks.remove(self)

    def summary(self) -> dict[str, Any]:
        full = self.pauses.get(2, [])
        return {
            "gc_full_collections": len(full),
            "gc_full_total_ms": round(sum(full) * 1000, 1),
            "gc_full_max_ms": round(max(full, default=0.0) * 1000, 1),
            "gc_tracked_objects": len(gc.get_objects()),
        }


@contextmanager
def _maybe_profile(enabled: bool, label: str) -> Iterator[None]:
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        path = OUT_DIR / f"profile-{re.sub(r'[^a-z0-9]+', '-', label)}.txt"
        path.write_text(out.getvalue())
        print(f"  cProfile written to {path}")


def run_in_process(
    database_url: str,
    queries: list[dict[str, Any]],
    profile: bool,
    search_fn: Callable[..., Any],
    gc_freeze: bool = False,
    tag: str = "",
) -> list[dict[str, Any]]:
    from cgcrm.core.principal import SYSTEM, Actor
    from cgcrm.extensions import db

    app = make_app(database_url)
    if gc_freeze:  # as wsgi.py does: what start-up loaded is never scanned by the collector
        gc.freeze()
    actor = Actor(SYSTEM, "bench")
    summaries: list[dict[str, Any]] = []
    with app.app_context():
        timer = SqlTimer()
        timer.install(db.engine)
        for query in queries[:WARMUP]:  # warm the pool, the caches and PostgreSQL's buffers
            search_fn(actor, q=query["q"], limit=10)
            db.session.remove()
        for mode in MODES:
            timer.reset()
            tally = Tally(f"in-process {mode}")
            gc_pauses = GcPauses()
            with _maybe_profile(profile, f"in-process {mode}"), gc_pauses.recording():
                for query in queries:
                    dob = _dob(query, mode)
                    started = time.perf_counter()
                    outcome = search_fn(actor, q=query["q"], date_of_birth=dob, limit=10)
                    elapsed = time.perf_counter() - started
                    hits = outcome.results
                    tally.add(
                        query,
                        elapsed,
                        [str(hit.citizen_id) for hit in hits],
                        [f"{hit.citizen.given_name} {hit.citizen.family_name}" for hit in hits],
                        outcome.candidates_considered,
                    )
                    db.session.remove()
            tally.write(tag)
            total = sum(row["ms"] for row in tally.rows) / 1000
            extra = {"breakdown": timer.report(len(queries), total)} | gc_pauses.summary()
            summaries.append(tally.summary(extra))
        db.session.remove()
        db.engine.dispose()
    return summaries


def run_ab(
    database_url: str,
    queries: list[dict[str, Any]],
    first: Callable[..., Any],
    second: Callable[..., Any],
    gc_freeze: bool = False,
) -> list[dict[str, Any]]:
    """Both searches on every query, in one process, alternating which runs first, so that the
    machine's noise and the cache warmth fall on both alike."""
    from cgcrm.core.principal import SYSTEM, Actor
    from cgcrm.extensions import db

    app = make_app(database_url)
    if gc_freeze:
        gc.freeze()
    actor = Actor(SYSTEM, "bench")
    summaries: list[dict[str, Any]] = []
    functions = {"A cgcrm": first, "B other": second}
    with app.app_context():
        for query in queries[:WARMUP]:
            for function in functions.values():
                function(actor, q=query["q"], limit=10)
                db.session.remove()
        for mode in MODES:
            tallies = {name: Tally(f"A/B {name} {mode}") for name in functions}
            for index, query in enumerate(queries):
                order = list(functions) if index % 2 == 0 else list(reversed(functions))
                for name in order:
                    dob = _dob(query, mode)
                    started = time.perf_counter()
                    outcome = functions[name](actor, q=query["q"], date_of_birth=dob, limit=10)
                    elapsed = time.perf_counter() - started
                    hits = outcome.results
                    tallies[name].add(
                        query,
                        elapsed,
                        [str(hit.citizen_id) for hit in hits],
                        [f"{hit.citizen.given_name} {hit.citizen.family_name}" for hit in hits],
                        outcome.candidates_considered,
                    )
                    db.session.remove()
            summaries += [tally.summary() for tally in tallies.values()]
        db.session.remove()
        db.engine.dispose()
    return summaries


# ---------------------------------------------------------------------------------------------
# (b) HTTP
# ---------------------------------------------------------------------------------------------


def _get(host: str, port: int, path: str, token: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _search_path(query: dict[str, Any], mode: str) -> str:
    params = {"q": query["q"], "limit": "10"}
    dob = _dob(query, mode)
    if dob is not None:
        params["date_of_birth"] = dob.isoformat()
    return "/api/v1/citizens/search?" + urllib.parse.urlencode(params)


def run_http(
    database_url: str, queries: list[dict[str, Any]], app_spec: str = "wsgi:app", tag: str = ""
) -> list[dict[str, Any]]:
    client_id, client_secret = bench_client(database_url)
    summaries: list[dict[str, Any]] = []
    with gunicorn(app_spec, app_env(database_url)) as base:
        token = fetch_token(base, client_id, client_secret)
        parsed = urllib.parse.urlsplit(base)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
        for query in queries[:WARMUP]:
            _get(host, port, _search_path(query, "name"), token)
        for mode in MODES:
            tally = Tally(f"HTTP {mode}")
            for query in queries:
                path = _search_path(query, mode)
                started = time.perf_counter()
                status, body = _get(host, port, path, token)
                elapsed = time.perf_counter() - started
                hits = json.loads(body)["results"] if status == 200 else []
                tally.add(
                    query,
                    elapsed,
                    [hit["citizen"]["id"] for hit in hits],
                    [f"{h['citizen']['given_name']} {h['citizen']['family_name']}" for h in hits],
                    status=status,
                )
            tally.write(tag)
            summaries.append(tally.summary())
    return summaries


# ---------------------------------------------------------------------------------------------


def print_summaries(summaries: list[dict[str, Any]]) -> None:
    print(
        f"{'run':<26}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'mean ms':>9}"
        f"{'recall@1':>10}{'recall@10':>11}{'name@1':>8}{'errors':>8}"
    )
    for s in summaries:
        print(
            f"{s['run']:<26}{s['n']:>6}{s['p50_ms']:>9.1f}{s['p95_ms']:>9.1f}{s['p99_ms']:>9.1f}"
            f"{s['mean_ms']:>9.1f}{s['recall@1']:>10.3f}{s['recall@10']:>11.3f}"
            f"{s['name@1']:>8.3f}{s['errors']:>8}"
        )
    for s in summaries:
        if "breakdown" in s:
            print(
                f"\nwhere the time goes, {s['run']} "
                f"(candidates: mean {s['mean_candidates']}, max {s['max_candidates']}):"
            )
            print(
                f"  (garbage collector: {s['gc_full_collections']} full collections, "
                f"{s['gc_full_total_ms']} ms in all, longest {s['gc_full_max_ms']} ms; "
                f"{s['gc_tracked_objects']:,} objects tracked)"
            )
            for row in s["breakdown"]:
                print(
                    f"  {row['kind']:<62}{row['ms_per_search']:>8.2f} ms"
                    f"{row['calls_per_search']:>6.1f} calls {row['share'] * 100:>5.1f}%"
                )


def _search_function(spec: str | None) -> Callable[..., Any]:
    """The search to measure: cgcrm's, or ``module:function`` (a variant on a scratch branch)."""
    if not spec:
        from cgcrm.citizens.search import search_citizens

        return search_citizens
    module_name, _, function = spec.partition(":")
    found: Callable[..., Any] = getattr(importlib.import_module(module_name), function)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="search latency and recall")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--limit-queries", type=int, default=None, help="use the first N only")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-in-process", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process runs")
    parser.add_argument(
        "--search",
        default=None,
        help="in-process only: module:function to measure instead of cgcrm's search_citizens",
    )
    parser.add_argument(
        "--gc-freeze", action="store_true", help="in-process only: gc.freeze() after create_app"
    )
    parser.add_argument(
        "--app-spec",
        default="wsgi:app",
        help="HTTP only: the WSGI app gunicorn serves (MODULE:app)",
    )
    parser.add_argument(
        "--ab",
        default=None,
        metavar="MODULE:FUNCTION",
        help="instead of the runs above: cgcrm's search and this one on every query, "
        "alternately, in one process",
    )
    parser.add_argument("--tag", default="", help="prefix of the per-query output files")
    parser.add_argument("--output", default=str(OUT_DIR / "search_latency.json"))
    args = parser.parse_args(argv)

    queries = load_queries()[: args.limit_queries]
    load_before = os.getloadavg()
    print(f"{len(queries)} queries from {QUERIES_FILE}; {WARMUP} warm-up searches first")
    summaries: list[dict[str, Any]] = []
    if args.ab:
        args.skip_in_process = args.skip_http = True
        summaries += run_ab(
            args.database_url,
            queries,
            _search_function(None),
            _search_function(args.ab),
            args.gc_freeze,
        )
    if not args.skip_in_process:
        search_fn = _search_function(args.search)
        summaries += run_in_process(
            args.database_url, queries, args.profile, search_fn, args.gc_freeze, args.tag
        )
    if not args.skip_http:
        summaries += run_http(args.database_url, queries, args.app_spec, args.tag)
    print_summaries(summaries)
    load_after = os.getloadavg()
    print(f"\nload average (1/5/15 min) before {load_before}, after {load_after} on {nproc()} CPUs")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {
                "args": vars(args),
                "load_average_before": load_before,
                "load_average_after": load_after,
                "results": summaries,
            },
            handle,
            indent=1,
        )
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
