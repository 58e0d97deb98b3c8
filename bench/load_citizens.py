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
import multiprocessing as mp
import queue
import random
import sys
import time
import traceback
import types
from dataclasses import dataclass, field
from typing import Any

import psycopg
from _common import OUT_DIR, PROJECT_ROOT, QUERIES_FILE, make_app, psycopg_url
from psycopg import sql

LOADED_TABLES = ("citizens", "citizen_names", "contact_points", "addresses", "external_identifiers")
COLUMNS: dict[str, tuple[str, ...]] = {
    "citizens": (
        "id",
        "status",
        "given_name",
        "middle_names",
        "family_name",
        "preferred_name",
        "date_of_birth",
        "date_of_death",
        "preferred_channel",
        "preferred_language",
        "accessibility_needs",
        "merged_into_id",
        "created_by_department_id",
        "version",
        "created_at",
        "updated_at",
    ),
    "citizen_names": (
        "id",
        "citizen_id",
        "kind",
        "position",
        "given_name",
        "family_name",
        "valid_from",
        "valid_to",
        "given_key",
        "family_key",
    ),
    "contact_points": ("id", "citizen_id", "kind", "value", "is_primary", "position"),
    "addresses": (
        "id",
        "citizen_id",
        "position",
        "line1",
        "line2",
        "locality",
        "region",
        "postcode",
        "postcode_key",
        "country",
        "valid_from",
        "valid_to",
    ),
    "external_identifiers": (
        "id",
        "citizen_id",
        "position",
        "system",
        "value_encrypted",
        "value_index",
    ),
}

# The application, built in the parent before the workers fork (they inherit it).
_APP: Any = None


@dataclass
class WorkerTask:
    worker: int
    workers: int
    count: int
    seed: int
    chunk_size: int
    dsn: str
    sample: frozenset[int]


@dataclass
class WorkerResult:
    worker: int
    tokens: set[str] = field(default_factory=set)
    samples: dict[int, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Row building: one payload -> the rows create_citizen would insert
# ---------------------------------------------------------------------------------------------


class RowBuilder:
    """Turns API payloads into COPY rows, through the package's own schema and functions."""

    def __init__(self) -> None:
        from cgcrm.citizens import normalize, record, service
        from cgcrm.citizens.schemas import CitizenCreateSchema
        from cgcrm.core.clock import utcnow
        from cgcrm.core.crypto import cipher
        from cgcrm.core.errors import DomainError
        from cgcrm.core.ids import new_id

        self.normalize = normalize
        self.record = record
        self.service = service
        self.schema = CitizenCreateSchema()
        self.utcnow = utcnow
        self.cipher = cipher()
        self.new_id = new_id
        self.domain_error = DomainError
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in LOADED_TABLES}
        self.tokens: set[str] = set()

    def add(self, payload: dict[str, Any]) -> str:
        """Build and buffer the rows of one citizen; returns the new citizen's id.

        :raises ValueError: the API would refuse this payload (422/409); nothing is buffered.
        """
        from marshmallow import ValidationError as SchemaError

        try:
            data = self.schema.load(payload)
            rows = self._rows(data)
        except SchemaError as exc:
            raise ValueError(f"schema: {exc.messages}") from exc
        except self.domain_error as exc:
            raise ValueError(f"service: {exc.detail}") from exc
        for table, table_rows in rows.items():
            self.rows[table].extend(table_rows)
        citizen_id: str = str(rows["citizens"][0][0])
        return citizen_id

    def _rows(self, data: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
        """Mirrors cgcrm.citizens.service.create_citizen, field for field."""
        record, new_id = self.record, self.new_id
        now = self.utcnow()
        citizen_id = new_id()
        scalars = {name: data.get(name) for name in record.SCALAR_FIELDS}
        # Duck-typed stand-in for the Citizen the service builds (validate_names and
        # _apply_preferences only read and set these attributes).
        citizen = types.SimpleNamespace(
            preferred_channel=None, preferred_language=None, accessibility_needs=[], **scalars
        )
        record.validate_names(citizen)  # type: ignore[arg-type]
        self.service._apply_preferences(citizen, data.get("preferences") or {})  # type: ignore[arg-type]

        contact_rows = [
            (new_id(), citizen_id, point.kind, point.value, point.is_primary, point.position)
            for point in record.build_contact_points(data.get("contact_points", []))
        ]
        address_rows = [
            (
                new_id(),
                citizen_id,
                a.position,
                a.line1,
                a.line2,
                a.locality,
                a.region,
                a.postcode,
                a.postcode_key,
                a.country,
                a.valid_from,
                a.valid_to,
            )
            for a in record.build_addresses(data.get("addresses", []))
        ]
        identifier_rows = self._identifiers(citizen_id, data.get("identifiers", []))
        name_rows = self._names(citizen_id, scalars, data.get("previous_names", []))

        citizen_row = (
            citizen_id,
            "active",
            scalars["given_name"],
            scalars["middle_names"],
            scalars["family_name"],
            scalars["preferred_name"],
            scalars["date_of_birth"],
            None,  # date_of_death
            citizen.preferred_channel,
            citizen.preferred_language,
            json.dumps(list(citizen.accessibility_needs)),
            None,  # merged_into_id
            None,  # created_by_department_id: the SYSTEM actor has no department
            1,
            now,
            now,
        )
        return {
            "citizens": [citizen_row],
            "citizen_names": name_rows,
            "contact_points": contact_rows,
            "addresses": address_rows,
            "external_identifiers": identifier_rows,
        }

    def _identifiers(self, citizen_id: Any, items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """record.build_identifiers without its per-row SELECT: uniqueness across citizens is
        enforced by uq_external_identifiers_system_value when it is recreated after the load."""
        from cgcrm.core.errors import ValidationError

        rows: list[tuple[Any, ...]] = []
        systems: set[str] = set()
        for index, item in enumerate(items):
            if item["system"] in systems:
                raise ValidationError("one identifier per system")
            systems.add(item["system"])
            canonical = self.normalize.identifier_canonical(item["value"])
            if not canonical:
                raise ValidationError("empty identifier")
            rows.append(
                (
                    self.new_id(),
                    citizen_id,
                    index,
                    item["system"],
                    self.cipher.encrypt(item["value"]),
                    self.cipher.blind_index(canonical),
                )
            )
        return rows

    def _names(
        self, citizen_id: Any, scalars: dict[str, Any], previous: list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """record.rebuild_names: current, preferred, then previous names, with their keys."""
        name_key = self.normalize.name_key
        entries = [("current", scalars["given_name"], scalars["family_name"], None, None)]
        if scalars["preferred_name"]:
            entries.append(
                ("preferred", scalars["preferred_name"], scalars["family_name"], None, None)
            )
        entries += [
            ("previous", p["given_name"], p["family_name"], p.get("valid_from"), p.get("valid_to"))
            for p in previous
        ]
        rows: list[tuple[Any, ...]] = []
        for position, (kind, given, family, start, end) in enumerate(entries):
            given_key, family_key = name_key(given), name_key(family)
            rows.append(
                (
                    self.new_id(),
                    citizen_id,
                    kind,
                    position,
                    given,
                    family,
                    start,
                    end,
                    given_key,
                    family_key,
                )
            )
            self.tokens.update(k for k in (given_key, family_key) if k)
        return rows

    def flush(self, conn: psycopg.Connection[Any]) -> dict[str, int]:
        """COPY the buffered rows in one transaction; returns rows written per table."""
        written: dict[str, int] = {}
        with conn.cursor() as cur:
            for table in LOADED_TABLES:
                rows = self.rows[table]
                if not rows:
                    continue
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
                )
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                written[table] = len(rows)
                rows.clear()
        conn.commit()
        return written


def _worker(task: WorkerTask, messages: Any) -> None:
    """Generate the whole stream, keep this worker's chunks, COPY them chunk by chunk."""
    try:
        from cgcrm.citizens.synthetic import generate_citizens

        result = WorkerResult(task.worker)
        with _APP.app_context(), psycopg.connect(task.dsn) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.commit()
            builder = RowBuilder()
            pending = 0
            for index, payload in enumerate(generate_citizens(task.count, seed=task.seed)):
                if (index // task.chunk_size) % task.workers != task.worker:
                    continue
                try:
                    citizen_id = builder.add(payload)
                except ValueError as exc:
                    result.skipped.append((index, str(exc)))
                else:
                    if index in task.sample:
                        result.samples[index] = (citizen_id, payload)
                pending += 1
                last_of_chunk = (index + 1) % task.chunk_size == 0 or index + 1 == task.count
                if last_of_chunk:
                    written = builder.flush(conn)
                    messages.put(("progress", task.worker, pending, written))
                    pending = 0
            result.tokens = builder.tokens
        messages.put(("done", task.worker, result))
    except BaseException:  # report anything, including KeyboardInterrupt, to the parent
        messages.put(("error", task.worker, traceback.format_exc()))
        raise


# ---------------------------------------------------------------------------------------------
# Database: creation, schema, secondary indexes and constraints
# ---------------------------------------------------------------------------------------------


def _admin_dsn(dsn: str) -> tuple[str, str]:
    info = psycopg.conninfo.conninfo_to_dict(dsn)
    name = str(info.get("dbname") or "")
    if not name:
        raise SystemExit("the database URL must name a database")
    info["dbname"] = "postgres"
    return psycopg.conninfo.make_conninfo(**info), name  # type: ignore[arg-type]


def prepare_database(dsn: str, reset: bool) -> None:
    admin, name = _admin_dsn(dsn)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists and reset:
            print(f"dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            print(f"creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate_and_seed_catalog(app: Any) -> int:
    """Alembic upgrade and the catalog; returns how many citizens are already there."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from cgcrm.catalog.seed import load_catalog
    from cgcrm.citizens.models import Citizen
    from cgcrm.extensions import db

    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        added = load_catalog(PROJECT_ROOT / "config" / "seed" / "catalog.yaml")
        print(f"catalog: added {added}")
        existing = db.session.scalar(select(func.count()).select_from(Citizen)) or 0
        db.session.remove()
        db.engine.dispose()
    return int(existing)


@dataclass
class SecondaryDDL:
    """What was dropped, as PostgreSQL itself prints it, to recreate it identically."""

    indexes: list[tuple[str, str]]  # (index name, CREATE INDEX ...)
    unique: list[tuple[str, str, str]]  # (table, constraint name, definition)
    foreign_keys: list[tuple[str, str, str]]

    def snapshot(self) -> set[tuple[str, ...]]:
        return (
            {("index", *item) for item in self.indexes}
            | {("unique", *item) for item in self.unique}
            | {("fk", *item) for item in self.foreign_keys}
        )


def read_secondary_ddl(conn: psycopg.Connection[Any]) -> SecondaryDDL:
    tables = list(LOADED_TABLES)
    indexes = conn.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
          AND NOT x.indisprimary
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        (tables,),
    ).fetchall()
    constraints = conn.execute(
        """
        SELECT c.contype, t.relname, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
          AND c.contype IN ('u', 'f')
        ORDER BY c.conname
        """,
        (tables,),
    ).fetchall()
    return SecondaryDDL(
        indexes=[(name, ddl) for name, ddl in indexes],
        unique=[(t, n, d) for kind, t, n, d in constraints if kind == "u"],
        foreign_keys=[(t, n, d) for kind, t, n, d in constraints if kind == "f"],
    )


def drop_secondary(conn: psycopg.Connection[Any], ddl: SecondaryDDL) -> None:
    for table, name, _ in [*ddl.foreign_keys, *ddl.unique]:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                sql.Identifier(table), sql.Identifier(name)
            )
        )
    for name, _ in ddl.indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    conn.commit()


def recreate_secondary(conn: psycopg.Connection[Any], ddl: SecondaryDDL) -> None:
    conn.execute("SET maintenance_work_mem = '1GB'")
    conn.execute("SET max_parallel_maintenance_workers = 2")
    for name, statement in ddl.indexes:
        started = time.perf_counter()
        conn.execute(statement)  # type: ignore[arg-type]  # pg_get_indexdef output
        conn.commit()
        print(f"  index {name}: {time.perf_counter() - started:.1f} s")
    for table, name, definition in [*ddl.unique, *ddl.foreign_keys]:
        started = time.perf_counter()
        conn.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table),
                sql.Identifier(name),
                sql.SQL(definition),  # type: ignore[arg-type]
            )
        )
        conn.commit()
        print(f"  constraint {name}: {time.perf_counter() - started:.1f} s")
    after = read_secondary_ddl(conn)
    conn.commit()
    if after.snapshot() != ddl.snapshot():
        raise RuntimeError(
            f"recreated indexes/constraints differ: {after.snapshot() ^ ddl.snapshot()}"
        )


def load_name_tokens(conn: psycopg.Connection[Any], tokens: set[str]) -> int:
    """record.remember_tokens for the whole load: insert new keys with their Metaphone."""
    from cgcrm.citizens.normalize import phonetic_key

    with conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE new_tokens (token text, phonetic text) ON COMMIT DROP")
        with cur.copy("COPY new_tokens (token, phonetic) FROM STDIN") as copy:
            for token in sorted(tokens):
                copy.write_row((token, phonetic_key(token)))
        cur.execute(
            "INSERT INTO name_tokens (token, phonetic) SELECT token, phonetic FROM new_tokens "
            "ON CONFLICT DO NOTHING"
        )
        inserted = cur.rowcount
    conn.commit()
    return inserted


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def _run_workers(tasks: list[WorkerTask], count: int) -> tuple[list[WorkerResult], dict[str, int]]:
    context = mp.get_context("fork")
    messages = context.Queue()
    processes = [context.Process(target=_worker, args=(task, messages)) for task in tasks]
    for process in processes:
        process.start()
    results: list[WorkerResult] = []
    totals: dict[str, int] = dict.fromkeys(LOADED_TABLES, 0)
    done_citizens = 0
    started = last_report = time.perf_counter()
    try:
        while len(results) < len(tasks):
            try:
                message = messages.get(timeout=5)
            except queue.Empty:
                dead = [p for p in processes if p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"worker exited with {dead[0].exitcode}") from None
                continue
            kind = message[0]
            if kind == "error":
                raise RuntimeError(f"worker {message[1]} failed:\n{message[2]}")
            if kind == "done":
                results.append(message[2])
                continue
            _, _, citizens, written = message
            done_citizens += citizens
            for table, n in written.items():
                totals[table] += n
            now = time.perf_counter()
            if now - last_report >= 10 or done_citizens == count:
                elapsed = now - started
                rows = sum(totals.values())
                print(
                    f"  {done_citizens:>9,} citizens {rows:>10,} rows  {elapsed:6.0f} s  "
                    f"{done_citizens / elapsed:8,.0f} citizens/s  {rows / elapsed:9,.0f} rows/s",
                    flush=True,
                )
                last_report = now
    except BaseException:
        for process in processes:
            if process.is_alive():
                process.terminate()
        raise
    for process in processes:
        process.join()
    return results, totals


def write_queries(
    samples: dict[int, tuple[str, dict[str, Any]]], order: list[int], query_seed: int
) -> int:
    """One typo'd query per sampled citizen, in the sample's (seeded) order."""
    from cgcrm.citizens.synthetic import typo_query

    rng = random.Random(f"cgcrm-bench-typos-{query_seed}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    written = 0
    with QUERIES_FILE.open("w") as handle:
        for index in order:
            if index not in samples:  # refused by validation: not loaded
                continue
            citizen_id, payload = samples[index]
            addresses = payload.get("addresses") or []
            line = {
                "citizen_id": citizen_id,
                "q": typo_query(payload, rng),
                "date_of_birth": payload.get("date_of_birth"),
                "postcode": addresses[0].get("postcode") if addresses else None,
                "index": index,
                "name": f"{payload['given_name']} {payload['family_name']}",
            }
            handle.write(json.dumps(line) + "\n")
            written += 1
    return written


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

    global _APP
    dsn = psycopg_url(args.database_url)
    t0 = time.perf_counter()
    prepare_database(dsn, args.reset)
    _APP = make_app(args.database_url)
    existing = migrate_and_seed_catalog(_APP)
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
            tokens: set[str] = set().union(*(r.tokens for r in results))
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
        print(f"wrote {queries} queries to {QUERIES_FILE.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
