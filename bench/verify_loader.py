"""Check that bench/load_citizens.py writes what the service layer writes.

Loads the first N synthetic citizens twice, into two scratch databases: once with the bulk
loader (one worker, so ids follow the generation order) and once through
``CitizenCreateSchema().load`` + ``cgcrm.citizens.service.create_citizen`` (as ``flask seed``
does). Then compares every loaded table row by row, with ids replaced by the citizen's
position, timestamps left out, and identifier ciphertexts decrypted.

    python bench/verify_loader.py --count 300
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import psycopg
from _common import PROJECT_ROOT, make_app, psycopg_url
from psycopg import sql

BASE = "postgresql://postgres@127.0.0.1:5432/"
SKIP_COLUMNS = {"id", "created_at", "updated_at", "value_encrypted"}


def _recreate(name: str) -> None:
    with psycopg.connect(BASE + "postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _drop(name: str) -> None:
    with psycopg.connect(BASE + "postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def load_with_service(url: str, count: int, seed: int) -> None:
    from flask_migrate import upgrade

    from cgcrm.catalog.seed import load_catalog
    from cgcrm.citizens.schemas import CitizenCreateSchema
    from cgcrm.citizens.service import create_citizen
    from cgcrm.citizens.synthetic import generate_citizens
    from cgcrm.core.principal import SYSTEM, Actor
    from cgcrm.extensions import db

    app = make_app(url)
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        load_catalog(PROJECT_ROOT / "config" / "seed" / "catalog.yaml")
        actor = Actor(SYSTEM, "verify")
        schema = CitizenCreateSchema()
        for payload in generate_citizens(count, seed=seed):
            create_citizen(actor, schema.load(payload))
        db.session.remove()
        db.engine.dispose()


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every loaded table, ids replaced by the owning citizen's creation rank."""
    import load_citizens

    app = make_app(url)
    cipher = app.extensions["cgcrm.cipher"]
    result: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(psycopg_url(url)) as conn:
        ranks = {
            cid: rank
            for rank, (cid,) in enumerate(
                conn.execute("SELECT id FROM citizens ORDER BY created_at, id")
            )
        }
        for table, columns in load_citizens.COLUMNS.items():
            query = sql.SQL("SELECT {} FROM {}").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table)
            )
            rows = []
            for row in conn.execute(query):
                record = dict(zip(columns, row, strict=True))
                if table == "citizens":
                    record["rank"] = ranks[record["id"]]
                else:
                    record["citizen_id"] = ranks[record["citizen_id"]]
                if table == "external_identifiers":
                    record["plain"] = cipher.decrypt(record["value_encrypted"])
                rows.append(
                    tuple(sorted((k, v) for k, v in record.items() if k not in SKIP_COLUMNS))
                )
            result[table] = sorted(rows, key=repr)
        result["name_tokens"] = sorted(
            conn.execute("SELECT token, phonetic, used_as_given, used_as_family FROM name_tokens")
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="compare bulk loader and service rows")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument(
        "--database-prefix",
        default="cgcrm_verify",
        help="the scratch databases are PREFIX_bulk and PREFIX_service",
    )
    args = parser.parse_args(argv)

    import load_citizens

    bulk, service = f"{args.database_prefix}_bulk", f"{args.database_prefix}_service"
    _recreate(service)
    load_with_service(BASE + service, args.count, args.seed)
    status = load_citizens.main(
        [
            "--database-url",
            BASE + bulk,
            "--count",
            str(args.count),
            "--reset",
            "--workers",
            "1",
            "--seed",
            str(args.seed),
            "--queries",
            "0",
        ]
    )
    if status:
        return status
    left, right = snapshot(BASE + bulk), snapshot(BASE + service)
    failures = 0
    for table in left:
        same = left[table] == right[table]
        print(
            f"{table:<22} bulk {len(left[table]):>6}  service {len(right[table]):>6}  "
            f"{'identical' if same else 'DIFFERENT'}"
        )
        if not same:
            failures += 1
            only_bulk = [r for r in left[table] if r not in right[table]][:3]
            only_service = [r for r in right[table] if r not in left[table]][:3]
            print(f"  only bulk:    {only_bulk}\n  only service: {only_service}")
    if not args.keep:
        _drop(bulk)
        _drop(service)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
