"""Database side of the bulk loader: creation, migrations and catalog, secondary DDL, name tokens.

The secondary indexes and unique/foreign-key constraints of the loaded tables are read from the
catalog (as PostgreSQL prints them), dropped before the COPY, and recreated identically after it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import psycopg
from _common import PROJECT_ROOT
from loader_rows import LOADED_TABLES
from psycopg import sql


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


def read_secondary_ddl(
    conn: psycopg.Connection[Any], tables: tuple[str, ...] = LOADED_TABLES
) -> SecondaryDDL:
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
        (list(tables),),
    ).fetchall()
    constraints = conn.execute(
        """
        SELECT c.contype, t.relname, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace
          AND c.contype IN ('u', 'f')
        ORDER BY c.conname
        """,
        (list(tables),),
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


def recreate_secondary(
    conn: psycopg.Connection[Any], ddl: SecondaryDDL, tables: tuple[str, ...] = LOADED_TABLES
) -> None:
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
    after = read_secondary_ddl(conn, tables)
    conn.commit()
    if after.snapshot() != ddl.snapshot():
        raise RuntimeError(
            f"recreated indexes/constraints differ: {after.snapshot() ^ ddl.snapshot()}"
        )


def load_name_tokens(conn: psycopg.Connection[Any], tokens: dict[str, int]) -> int:
    """record.remember_tokens for the whole load: insert new keys with their Metaphone and
    their roles (``tokens``' bits: 1 given, 2 family)."""
    from cgcrm.citizens.normalize import phonetic_key

    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE new_tokens (token text, phonetic text, given bool, family bool) "
            "ON COMMIT DROP"
        )
        with cur.copy("COPY new_tokens (token, phonetic, given, family) FROM STDIN") as copy:
            for token, roles in sorted(tokens.items()):
                copy.write_row((token, phonetic_key(token), bool(roles & 1), bool(roles & 2)))
        cur.execute(
            "INSERT INTO name_tokens (token, phonetic, used_as_given, used_as_family) "
            "SELECT token, phonetic, given, family FROM new_tokens "
            "ON CONFLICT DO NOTHING"
        )
        inserted = cur.rowcount
    conn.commit()
    return inserted
