"""Scratch copies of a loaded database for one evaluation path (``bench/matching_eval.py``)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import psycopg
from _common import psycopg_url
from psycopg import sql

# --- scratch databases -------------------------------------------------------------------------


def _server_and_name(database_url: str) -> tuple[str, str]:
    dsn = psycopg_url(database_url)
    server, _, name = dsn.rpartition("/")
    return server, name.split("?")[0]


@contextlib.contextmanager
def scratch_copy(database_url: str, label: str, keep: bool) -> Iterator[str]:
    """A copy of the database (``CREATE DATABASE … TEMPLATE``); its URL. Dropped afterwards."""
    server, template = _server_and_name(database_url)
    name = f"{template}_{label}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    try:
        yield f"{server}/{name}"
    finally:
        if not keep:
            from cgcrm.extensions import db

            with contextlib.suppress(Exception):
                db.engine.dispose()
            with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


def background_count(database_url: str) -> int:
    with psycopg.connect(psycopg_url(database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM citizens").fetchone()
        return int(row[0]) if row else 0
