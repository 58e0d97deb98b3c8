"""Bulk-load N synthetic citizens into PostgreSQL with COPY, as the service layer would store them.

    python bench/load_citizens.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench \\
        --count 1000000 --reset

Steps: (re)create the database, run the Alembic migrations, load the catalog, drop the
secondary indexes and constraints of the citizen tables, COPY the citizens from worker
processes, recreate the very same indexes and constraints (same names, same definitions, read
from the catalog before dropping them), VACUUM ANALYZE, and write ``bench/out/queries.jsonl``.

Each payload of ``cgcrm.citizens.synthetic.generate_citizens(count, seed)`` goes through the
path of ``POST /api/v1/citizens``: ``CitizenCreateSchema().load`` then the row building of
``cgcrm.citizens.service.create_citizen`` (contact points and addresses through
``cgcrm.citizens.record``, names and identifiers with ``cgcrm.citizens.normalize`` and the
app's cipher). What is not written: audit events and outbox events of the creation (a bulk
import is not 1M API calls), and consents (the generator makes none).

Worker ``k`` of ``W`` generates the whole deterministic stream and keeps the chunks
``chunk_no % W == k``, so the output does not depend on ``--workers``; only the ids (UUIDv7,
time-based) and the Fernet tokens (random IV) differ between runs.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from typing import Any

import loader_copy
import psycopg
from _common import OUT_DIR, QUERIES_FILE, make_app, psycopg_url
from loader_copy import WorkerResult, WorkerTask, _run_workers, _worker
from loader_ddl import (
    SecondaryDDL,
    _admin_dsn,
    drop_secondary,
    load_name_tokens,
    migrate_and_seed_catalog,
    prepare_database,
    read_secondary_ddl,
    recreate_secondary,
)
from loader_queries import write_queries
from loader_rows import COLUMNS, LOADED_TABLES, RowBuilder

__all__ = [
    "COLUMNS",
    "LOADED_TABLES",
    "RowBuilder",
    "SecondaryDDL",
    "WorkerResult",
    "WorkerTask",
    "_admin_dsn",
    "_run_workers",
    "_worker",
    "drop_secondary",
    "load_name_tokens",
    "main",
    "migrate_and_seed_catalog",
    "prepare_database",
    "read_secondary_ddl",
    "recreate_secondary",
    "write_queries",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database")
    parser.add_argument("--seed", type=int, default=2026, help="generate_citizens seed")
    parser.add_argument("--query-seed", type=int, default=7, help="sample and typo seed")
    parser.add_argument("--queries", type=int, default=1000, help="sample queries to write")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=2000)
    args = parser.parse_args(argv)

    dsn = psycopg_url(args.database_url)
    t0 = time.perf_counter()
    prepare_database(dsn, args.reset)
    app = make_app(args.database_url)
    loader_copy.set_app(app)  # before the workers fork: they inherit it
    existing = migrate_and_seed_catalog(app)
    if existing:
        print(f"{existing:,} citizens already loaded; run with --reset to reload", file=sys.stderr)
        return 2
    t_schema = time.perf_counter()
    print(f"schema and catalog: {t_schema - t0:.1f} s")

    sample_rng = random.Random(args.query_seed)
    order = sample_rng.sample(range(args.count), min(args.queries, args.count))
    tasks = [
        WorkerTask(w, args.workers, args.count, args.seed, args.chunk_size, dsn, frozenset(order))
        for w in range(args.workers)
    ]

    with psycopg.connect(dsn) as conn:
        ddl = read_secondary_ddl(conn)
        (OUT_DIR).mkdir(parents=True, exist_ok=True)
        (OUT_DIR / "secondary_ddl.json").write_text(json.dumps(ddl.__dict__, indent=1))
        drop_secondary(conn, ddl)
        print(
            f"dropped {len(ddl.indexes)} indexes, {len(ddl.unique)} unique and "
            f"{len(ddl.foreign_keys)} foreign-key constraints (saved to out/secondary_ddl.json)"
        )
        try:
            print(f"loading {args.count:,} citizens with {args.workers} workers")
            results, totals = _run_workers(tasks, args.count)
            t_copy = time.perf_counter()
            tokens: dict[str, int] = {}
            for result in results:
                for token, roles in result.tokens.items():
                    tokens[token] = tokens.get(token, 0) | roles
            inserted = load_name_tokens(conn, tokens)
            totals["name_tokens"] = inserted
        finally:
            print("recreating indexes and constraints")
            t_index0 = time.perf_counter()
            conn.rollback()
            recreate_secondary(conn, ddl)
            t_index = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE)")
        t_vacuum = time.perf_counter()

    samples: dict[int, tuple[str, dict[str, Any]]] = {}
    skipped: list[tuple[int, str]] = []
    for result in results:
        samples.update(result.samples)
        skipped.extend(result.skipped)
    queries = write_queries(samples, order, args.query_seed) if order else 0

    copy_seconds = t_copy - t_schema
    rows = sum(totals.values())
    loaded = args.count - len(skipped)
    print("\nrows written:")
    for table, n in totals.items():
        print(f"  {table:<22}{n:>12,}")
    print(f"  {'total':<22}{rows:>12,}")
    if skipped:
        print(f"skipped {len(skipped)} payloads the API would refuse, e.g. {skipped[:3]}")
    print(
        f"COPY phase: {copy_seconds:.1f} s = {loaded / copy_seconds:,.0f} citizens/s, "
        f"{rows / copy_seconds:,.0f} rows/s"
    )
    print(
        f"indexes and constraints: {t_index - t_index0:.1f} s; VACUUM ANALYZE: "
        f"{t_vacuum - t_index:.1f} s"
    )
    total = time.perf_counter() - t0
    print(
        f"total: {total:.1f} s for {loaded:,} citizens "
        f"({loaded / total:,.0f} citizens/s, {rows / total:,.0f} rows/s end to end)"
    )
    if queries:
        print(f"wrote {queries} queries to {QUERIES_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
