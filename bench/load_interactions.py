"""Bulk-load N synthetic interactions (plus one heavy citizen's) into the benchmark database.

    python bench/load_interactions.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --count 10000000

Needs the citizens of ``bench/load_citizens.py``. Steps: Alembic upgrade to head (so the rows
can carry every column of today's schema, ``transaction_ref`` among them), read the catalog and
the citizen ids, drop the secondary indexes and foreign keys of ``interactions`` (definitions
saved to ``out/interactions_secondary_ddl.json``), COPY the rows from worker processes (the heavy
citizen's 2,000 contacts among them, each in the chunk of its time, so they lie scattered in the
table as they would in production), recreate the very same indexes and foreign keys (checked
against the saved definitions), ``VACUUM (ANALYZE) interactions``, and write
``out/heavy_citizen.json``. The rows are described in ``bench/interaction_rows.py``; the output
depends only on ``--seed``, ``--until``, the loaded citizens and the catalog. Without
``--reset`` a table that already has interactions is left alone (exit status 2); with it, it is
truncated first. Prints rows/s of the COPY phase and end to end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import queue
import random
import sys
import time
import traceback
import uuid
from typing import Any

import psycopg
from _common import OUT_DIR, PROJECT_ROOT, make_app, psycopg_url
from interaction_rows import COLUMNS, RowMaker, citizen_weights, escape_copy, make_catalog
from loader_ddl import drop_secondary, read_secondary_ddl, recreate_secondary

TABLES = ("interactions",)
COPY_SQL = f"COPY interactions ({', '.join(COLUMNS)}) FROM STDIN"
HEAVY_FILE = OUT_DIR / "heavy_citizen.json"
# Built in the parent, inherited by the forked workers.
_MAKER: RowMaker | None = None
_HEAVY: list[tuple[int, str]] = []


def upgrade_to_head(database_url: str) -> tuple[str, str]:
    """Run the Alembic migrations to head; returns the revisions before and after."""
    from flask_migrate import upgrade

    def revision() -> str:
        with psycopg.connect(psycopg_url(database_url)) as conn:
            found = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return str(found[0] if found else None)

    before = revision()
    app = make_app(database_url)
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        from cgcrm.extensions import db

        db.engine.dispose()
    return before, revision()


def _worker(worker: int, chunks: list[tuple[int, int, int, int]], dsn: str, seed: int, out: Any):
    try:
        assert _MAKER is not None
        with psycopg.connect(dsn) as conn:
            conn.execute("SET synchronous_commit = off")
            for chunk_no, start_ms, end_ms, n in chunks:
                rng = random.Random(f"{seed}:{chunk_no}")
                lines = _MAKER.chunk(rng, start_ms, end_ms, n, _HEAVY)
                with conn.cursor().copy(COPY_SQL) as copy:
                    for i in range(0, len(lines), 5000):
                        copy.write("".join(lines[i : i + 5000]))
                conn.commit()
                out.put(("progress", worker, len(lines)))
        out.put(("done", worker, 0))
    except BaseException:
        out.put(("error", worker, traceback.format_exc()))
        raise


def run_workers(
    chunks: list[tuple[int, int, int, int]], workers: int, dsn: str, seed: int, total: int
) -> None:
    context = mp.get_context("fork")
    out = context.Queue()
    processes = [
        context.Process(target=_worker, args=(w, chunks[w::workers], dsn, seed, out))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    done = finished = 0
    started = last = time.perf_counter()
    try:
        while finished < workers:
            try:
                kind, worker, payload = out.get(timeout=5)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in processes):
                    raise RuntimeError("a worker died") from None
                continue
            if kind == "error":
                raise RuntimeError(f"worker {worker} failed:\n{payload}")
            if kind == "done":
                finished += 1
                continue
            done += payload
            now = time.perf_counter()
            if now - last >= 10 or done == total:
                rate = done / (now - started)
                print(f"  {done:>11,} rows {now - started:6.0f} s {rate:9,.0f} rows/s", flush=True)
                last = now
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        raise
    for process in processes:
        process.join()


def read_inputs(conn: psycopg.Connection[Any], seed: int) -> tuple[Any, bytes, int]:
    rows = conn.execute(
        "SELECT s.code, replace(s.id::text, '-', ''), replace(s.department_id::text, '-', ''), "
        "s.name FROM services s"
    ).fetchall()
    catalog = make_catalog([(c, i, d, escape_copy(n)) for c, i, d, n in rows], seed)
    ids = bytearray()
    with conn.cursor(name="citizen_ids") as cursor:
        cursor.itersize = 50_000
        cursor.execute(
            "SELECT replace(id::text, '-', '') FROM citizens WHERE status = 'active' ORDER BY id"
        )
        for (hex_id,) in cursor:
            ids += hex_id.encode()
    conn.commit()
    return catalog, bytes(ids), len(ids) // 32


def distribution(conn: psycopg.Connection[Any]) -> dict[str, Any]:
    """Contacts per known citizen and the channel mix, as loaded."""
    per = conn.execute(
        """
        SELECT count(*), percentile_disc(ARRAY[0.5, 0.9, 0.99, 0.999]) WITHIN GROUP (ORDER BY n),
               max(n)
        FROM (SELECT count(*) AS n FROM interactions WHERE citizen_id IS NOT NULL
              GROUP BY citizen_id) t
        """
    ).fetchone()
    channels = conn.execute(
        "SELECT channel_code, count(*) FROM interactions GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    anonymous = conn.execute("SELECT count(*) FROM interactions WHERE citizen_id IS NULL")
    transactions = conn.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE n > 1), sum(n)
        FROM (SELECT count(*) AS n FROM interactions WHERE transaction_ref IS NOT NULL
              GROUP BY service_id, transaction_ref) t
        """
    ).fetchone()
    assert per is not None and transactions is not None
    return {
        "citizens_with_contacts": per[0],
        "per_citizen_p50_p90_p99_p999": per[1],
        "per_citizen_max": per[2],
        "anonymous": (anonymous.fetchone() or (0,))[0],
        "channels": dict(channels),
        "refs_contacts_groups_multi": [transactions[2], transactions[0], transactions[1]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--count", type=int, default=10_000_000, help="not counting the heavy")
    parser.add_argument("--heavy", type=int, default=2000, help="the heavy citizen's contacts")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--until", default=dt.datetime.now(dt.UTC).date().isoformat())
    parser.add_argument("--days", type=int, default=730, help="length of the period")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--reset", action="store_true", help="truncate interactions first")
    parser.add_argument("--skip-stats", action="store_true", help="skip the distribution query")
    args = parser.parse_args(argv)
    global _MAKER, _HEAVY

    dsn = psycopg_url(args.database_url)
    t0 = time.perf_counter()
    before, after = upgrade_to_head(args.database_url)
    print(f"alembic: found {before}, now at {after}")
    until = dt.datetime.fromisoformat(args.until).replace(tzinfo=dt.UTC)
    end_ms = int(until.timestamp() * 1000)
    start_ms = end_ms - args.days * 86_400_000
    with psycopg.connect(dsn) as conn:
        existing = conn.execute("SELECT count(*) FROM (SELECT 1 FROM interactions LIMIT 1) t")
        if (existing.fetchone() or (0,))[0]:
            if not args.reset:
                print("interactions already loaded; run with --reset to reload", file=sys.stderr)
                return 2
            conn.execute("TRUNCATE interactions")
            conn.commit()
        catalog, ids, citizens = read_inputs(conn, args.seed)
        if not citizens:
            raise SystemExit("no citizens: run bench/load_citizens.py first")
        heavy_index = random.Random(f"{args.seed}:heavy-citizen").randrange(citizens)
        _MAKER = RowMaker(
            catalog, ids, citizen_weights(citizens, args.seed, heavy_index), args.seed, end_ms
        )
        heavy_id = _MAKER.citizen(heavy_index)
        _HEAVY = _MAKER.heavy(args.seed, heavy_id, args.heavy, start_ms, end_ms)
        t_read = time.perf_counter()
        print(f"{citizens:,} citizens, {len(catalog.services)} services: {t_read - t0:.1f} s")

        ddl = read_secondary_ddl(conn, TABLES)
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        (OUT_DIR / "interactions_secondary_ddl.json").write_text(json.dumps(ddl.__dict__, indent=1))
        drop_secondary(conn, ddl)
        print(f"dropped {len(ddl.indexes)} indexes and {len(ddl.foreign_keys)} foreign keys")
        n_chunks = max(1, -(-args.count // args.chunk_size))
        span = (end_ms - start_ms) / n_chunks
        chunks = [
            (
                c,
                start_ms + int(c * span),
                start_ms + int((c + 1) * span),
                min(args.chunk_size, args.count - c * args.chunk_size),
            )
            for c in range(n_chunks)
        ]
        try:
            print(f"loading {args.count:,} interactions with {args.workers} workers")
            run_workers(chunks, args.workers, dsn, args.seed, args.count + args.heavy)
            t_copy = time.perf_counter()
        finally:
            print("recreating indexes and foreign keys")
            t_index0 = time.perf_counter()
            conn.rollback()
            recreate_secondary(conn, ddl, TABLES)
            t_index = time.perf_counter()
        conn.autocommit = True
        conn.execute("VACUUM (ANALYZE) interactions")
        t_vacuum = time.perf_counter()
        heavy = conn.execute(
            "SELECT count(*), count(DISTINCT channel_code), count(DISTINCT department_id) "
            "FROM interactions WHERE citizen_id = %s",
            (heavy_id,),
        ).fetchone()
        assert heavy is not None
        stats = None if args.skip_stats else distribution(conn)

    rows = args.count + args.heavy
    copy_s = t_copy - t_read
    HEAVY_FILE.write_text(
        json.dumps(
            {
                "citizen_id": str(uuid.UUID(heavy_id)),
                "database": psycopg.conninfo.conninfo_to_dict(dsn).get("dbname"),
                "interactions": heavy[0],
                "channels": heavy[1],
                "departments": heavy[2],
                "seed": args.seed,
                "until": args.until,
                "count": args.count,
            },
            indent=1,
        )
    )
    print(f"heavy citizen: {heavy[0]:,} contacts, {heavy[1]} channels, {heavy[2]} departments")
    print(f"  written to {HEAVY_FILE}")
    if stats:
        print(f"distribution: {json.dumps(stats, default=str)}")
    print(f"COPY phase: {copy_s:.1f} s = {rows / copy_s:,.0f} rows/s")
    print(
        f"indexes and foreign keys: {t_index - t_index0:.1f} s; "
        f"VACUUM ANALYZE: {t_vacuum - t_index:.1f} s"
    )
    total = time.perf_counter() - t0
    print(f"total: {total:.1f} s for {rows:,} rows ({rows / total:,.0f} rows/s end to end)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
