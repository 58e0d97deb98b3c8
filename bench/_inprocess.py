"""The real app in-process (Flask's test client): a token, and SQL time per statement kind."""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from _common import make_app


def statement_kind(statement: str) -> str:
    """``SELECT … FROM citizens`` / ``INSERT INTO interactions`` / ``UPDATE …``: verb and the
    first table, which tells one request's statements apart."""
    text = " ".join(statement.split()).lower()
    if text.startswith("select"):
        match = re.search(r"\bfrom\s+(\w+)", text)
        where = re.search(r"\bwhere\s+(\w+\.\w+)", text)
        suffix = f" WHERE {where.group(1)}" if where else ""
        return f"SELECT … FROM {match.group(1) if match else '?'}{suffix}"
    match = re.match(r"(insert into|update|delete from)\s+(\w+)", text)
    if match:
        return f"{match.group(1).upper()} {match.group(2)}"
    return text[:50]


class SqlTimer:
    """Wall time and calls per statement kind (execute + fetch into the driver), and COMMIT."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        started: list[float] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            started.append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            kind = statement_kind(statement)
            self.seconds[kind] += time.perf_counter() - started.pop()
            self.calls[kind] += 1

        original = engine.dialect.do_commit

        def timed_commit(dbapi_connection: Any) -> None:
            begun = time.perf_counter()
            original(dbapi_connection)
            self.seconds["COMMIT"] += time.perf_counter() - begun
            self.calls["COMMIT"] += 1

        engine.dialect.do_commit = timed_commit

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def report(self, requests: int, total_seconds: float) -> list[dict[str, Any]]:
        rows = [
            {
                "kind": kind,
                "ms_per_request": round(seconds / requests * 1000, 2),
                "calls_per_request": round(self.calls[kind] / requests, 2),
            }
            for kind, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])
        ]
        outside = total_seconds - sum(self.seconds.values())
        rows.append(
            {
                "kind": "outside SQL (Flask, auth, ORM, schemas, pool, BEGIN)",
                "ms_per_request": round(outside / requests * 1000, 2),
                "calls_per_request": 0,
            }
        )
        return rows


def token_client(
    database_url: str, credentials: tuple[str, str]
) -> tuple[Any, Any, dict[str, str]]:
    """(app, test client, bearer headers) of the real app bound to ``database_url``."""
    app = make_app(database_url)
    client = app.test_client()
    response = client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=credentials
    )
    return app, client, {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def sql_breakdown(
    app: Any, send: Callable[[Any], Any], items: Sequence[Any], warmup: int = 30
) -> dict[str, Any]:
    """Call ``send(item)`` (one request, returning the response) for every item, sequentially,
    after ``warmup`` of them; SQL statements counted and timed per kind."""
    from cgcrm.extensions import db

    with app.app_context():
        timer = SqlTimer(db.engine)
    for item in items[:warmup]:
        send(item)
    timer.reset()
    measured = items[warmup:]
    statuses: Counter[int] = Counter()
    started = time.perf_counter()
    for item in measured:
        statuses[send(item).status_code] += 1
    elapsed = time.perf_counter() - started
    return {
        "requests": len(measured),
        "statuses": dict(statuses),
        "ms_per_request": round(elapsed / max(len(measured), 1) * 1000, 2),
        "breakdown": timer.report(max(len(measured), 1), elapsed),
    }


def print_breakdown(title: str, result: dict[str, Any]) -> None:
    print(
        f"\n{title} in-process (test client, sequential): {result['ms_per_request']} ms per "
        f"request, statuses {result['statuses']}; SQL per request:"
    )
    statements = sum(row["calls_per_request"] for row in result["breakdown"])
    for row in result["breakdown"]:
        print(
            f"  {row['kind'][:70]:<70}{row['ms_per_request']:>7.2f} ms"
            f"{row['calls_per_request']:>6.2f} calls"
        )
    print(f"  {statements:.2f} statements (COMMIT included) per request")
