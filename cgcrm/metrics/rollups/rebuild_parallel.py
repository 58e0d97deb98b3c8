"""The rebuild's contact parts computed at once, on several connections sharing one snapshot.

Each part of ``rebuild_sql`` is one sort or hash over millions of contacts, and PostgreSQL runs
each in one process (a window function never runs in parallel workers). So, as ``pg_dump -j``
does, the rebuild's transaction, once it holds its locks, exports its snapshot; worker
connections import it (REPEATABLE READ, read-only), so they see exactly the rows the
transaction sees, each computes one part and streams its buckets (a few hundred thousand rows
at most) back in COPY's binary format, and the transaction writes them into its temporary tables.
The rest of the rebuild is unchanged: a failure in any worker raises here and the transaction,
which alone writes, rolls back.

The rows a part counts depend on the pending events and on whether any contact lies outside the
range; both are read in the statement that exports the snapshot, so they agree with what the
workers see.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from cgcrm.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Part:
    """One statement whose rows go to a temporary table of the rebuild's transaction."""

    table: str
    query: str
    # Local settings of the statement's transaction (set_config names and values).
    settings: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """What the exported snapshot holds that the parts' statements depend on."""

    name: str
    pending: list[Any]
    any_outside: bool


# pg_export_snapshot() names a snapshot like 00000003-0000001B-1; it is written into SET
# TRANSACTION SNAPSHOT, which takes no parameters, so it is checked first.
_SNAPSHOT_NAME = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def export_snapshot(pending_query: str, any_outside_query: str, params: dict[str, Any]) -> Snapshot:
    """Export the transaction's snapshot, with the pending contacts and whether any contact lies
    outside the range as that same snapshot sees them (one statement: one snapshot)."""
    row = db.session.execute(
        text(f"SELECT pg_export_snapshot(), ARRAY({pending_query}), ({any_outside_query})"),
        params,
    ).one()
    name = str(row[0])
    if not _SNAPSHOT_NAME.fullmatch(name):
        raise RuntimeError(f"unexpected snapshot name {name!r}")
    return Snapshot(name, sorted(row[1]), bool(row[2]))


# The citizen ids that cut the contacts into equal hundredths, from the planner's statistics.
_CITIZEN_HISTOGRAM = """SELECT CAST(CAST(histogram_bounds AS text) AS uuid[]) FROM pg_stats
    WHERE schemaname = current_schema() AND tablename = 'interactions'
        AND attname = 'citizen_id'"""


def citizen_ranges(slices: int) -> list[str]:
    """Conditions (``AND …`` on i.citizen_id) that split the citizens into ``slices`` ranges of
    about as many contacts each (one condition, empty, without statistics). The follow-ups of
    each range are one part: a range of the citizen history index, so no part reads another's
    rows, and a citizen's contacts are all in one."""
    if slices <= 1:
        return [""]
    bounds: list[Any] = db.session.scalar(text(_CITIZEN_HISTOGRAM)) or []
    if len(bounds) < 2 * slices:
        return [""]
    cuts = [str(bounds[len(bounds) * k // slices]) for k in range(1, slices)]
    conditions = [f"AND i.citizen_id < CAST('{cuts[0]}' AS uuid)"]
    conditions += [
        f"AND i.citizen_id >= CAST('{low}' AS uuid) AND i.citizen_id < CAST('{high}' AS uuid)"
        for low, high in pairwise(cuts)
    ]
    conditions.append(f"AND i.citizen_id >= CAST('{cuts[-1]}' AS uuid)")
    return conditions


@dataclass
class _Workers:
    """The worker connections in use, so that a failure can cancel the others' statements."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: list[Any] = field(default_factory=list)
    cancelled: bool = False

    def add(self, connection: Any) -> None:
        with self.lock:
            if self.cancelled:
                raise RuntimeError("the rebuild was cancelled")
            self.connections.append(connection)

    def remove(self, connection: Any) -> None:
        with self.lock:
            self.connections.remove(connection)

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            for connection in self.connections:
                connection.cancel_safe()


def compute_parts(
    parts: Sequence[Part], params: dict[str, Any], snapshot: Snapshot, connections: int
) -> None:
    """Fill one temporary table (dropped at commit) per part, ``connections`` parts at a time."""
    session_connection = db.session.connection()
    for table, part in {part.table: part for part in parts}.items():
        session_connection.execute(text(f"DROP TABLE IF EXISTS {table}"))
        # Planned only: the table gets the statement's columns and types, which the binary COPY
        # needs to match exactly.
        create = f"CREATE TEMPORARY TABLE {part.table} ON COMMIT DROP AS {part.query} WITH NO DATA"
        session_connection.execute(text(create), params)
    engine = db.engine
    workers = _Workers()
    target = session_connection.connection.driver_connection
    with ThreadPoolExecutor(max_workers=connections, thread_name_prefix="rebuild") as pool:
        futures: dict[Future[list[bytes]], Part] = {
            pool.submit(_copy_out, engine, workers, snapshot.name, part, params): part
            for part in parts
        }
        try:
            remaining = set(futures)
            while remaining:
                done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                for future in done:
                    part = futures[future]
                    chunks = future.result()
                    _copy_in(target, part.table, chunks)
                    log.debug("rebuild: part %s done (%d bytes)", part.table, sum(map(len, chunks)))
        except BaseException:
            workers.cancel()
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _copy_out(
    engine: Engine, workers: _Workers, snapshot: str, part: Part, params: dict[str, Any]
) -> list[bytes]:
    """The part's rows, in COPY's binary format, as the exported snapshot sees them."""
    # COPY takes no parameters: psycopg merges them into the statement (as literals).
    query = text(part.query).compile(dialect=engine.dialect)
    statement = f"COPY ({query}) TO STDOUT (FORMAT BINARY)"
    chunks: list[bytes] = []
    with engine.connect().execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    ) as connection:
        driver: Any = connection.connection.driver_connection
        workers.add(driver)
        try:
            with driver.cursor() as cursor:
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
                for name, value in part.settings:
                    cursor.execute("SELECT set_config(%s, %s, true)", (name, value))
                with cursor.copy(statement, params) as copy:
                    for chunk in copy:
                        chunks.append(bytes(chunk))
            driver.rollback()
        except psycopg.Error as error:
            # As SQLAlchemy raises it on the serial path (DataError, OperationalError, …).
            raise DBAPIError.instance(statement, params, error, psycopg.Error) from error
        finally:
            workers.remove(driver)
    return chunks


def _copy_in(driver: Any, table: str, chunks: list[bytes]) -> None:
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
        for chunk in chunks:
            copy.write(chunk)
