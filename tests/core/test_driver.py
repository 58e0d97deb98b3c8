"""Statements sent through the driver keep SQLAlchemy's errors and the session's transaction."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, ProgrammingError

from cgcrm.core.driver import execute_prepared, force_generic_plans, note_generic_plans
from cgcrm.extensions import db


def test_rows_come_back_in_the_session_transaction(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver path is PostgreSQL's")
        db.session.execute(text("SELECT set_config('application_name', 'driver-test', true)"))
        assert execute_prepared("SELECT current_setting('application_name'), %s", (2,)) == [
            ("driver-test", 2)
        ]
        db.session.rollback()


def test_a_driver_error_is_the_one_sqlalchemy_raises(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver path is PostgreSQL's")
        with pytest.raises(ProgrammingError) as raised:
            execute_prepared("SELECT * FROM no_such_table WHERE id = %s", (1,))
        assert isinstance(raised.value, DBAPIError)
        assert not raised.value.connection_invalidated
        db.session.rollback()
        assert execute_prepared("SELECT %s::int", (1,)) == [(1,)]
        db.session.rollback()


def _plan_mode() -> str:
    return str(db.session.execute(text("SELECT current_setting('plan_cache_mode')")).scalar())


def test_generic_plans_hold_for_the_transaction_and_are_set_again_in_the_next(
    app: Flask,
) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver path is PostgreSQL's")
        force_generic_plans()
        assert _plan_mode() == "force_generic_plan"
        db.session.commit()
        assert _plan_mode() == "auto"
        force_generic_plans()
        assert _plan_mode() == "force_generic_plan"
        db.session.rollback()


def test_a_statement_that_set_generic_plans_saves_the_round_trip(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver path is PostgreSQL's")
        db.session.execute(text("SELECT 1"))
        note_generic_plans()
        force_generic_plans()
        # Noted as set, so not sent again (this transaction's statement did not set it).
        assert _plan_mode() == "auto"
        db.session.rollback()


def test_a_compiled_statement_sends_what_sqlalchemy_would(app: Flask) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from sqlalchemy import Integer, bindparam, literal_column, select

    from cgcrm.core.driver import execute_compiled
    from cgcrm.core.types import JSONDocument, UTCDateTime

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver path is PostgreSQL's")
        statement = select(
            bindparam("doc", type_=JSONDocument).label("doc"),
            bindparam("at", type_=UTCDateTime).label("at"),
            (bindparam("n", type_=Integer) + bindparam("n", type_=Integer)).label("twice"),
            literal_column("'50%'").label("percent"),
            bindparam("fixed", value="kept").label("fixed"),
        )
        moment = datetime(2026, 1, 2, 3, 4, tzinfo=timezone(timedelta(hours=10)))
        params = {"doc": {"a": [1, "b"]}, "at": moment, "n": 21}
        row = execute_compiled(statement, params).fetchone()
        expected = db.session.execute(statement, params).one()
        assert tuple(row) == tuple(expected)
        assert row.doc == {"a": [1, "b"]} and row.twice == 42 and row.fixed == "kept"
        assert row.at == moment.astimezone(UTC) and row.percent == "50%"
        # The types' checks run as SQLAlchemy's would: a naive moment is refused.
        with pytest.raises(ValueError, match="naive"):
            execute_compiled(statement, {**params, "at": datetime(2026, 1, 2)})
        with pytest.raises(KeyError):
            execute_compiled(statement, {"doc": {}, "at": moment})
        db.session.rollback()


def test_a_compiled_statement_is_seen_by_cursor_listeners_and_keeps_sqlalchemy_errors(
    app: Flask,
) -> None:
    from sqlalchemy import event

    from cgcrm.core.driver import execute_compiled

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the driver path is PostgreSQL's")
        seen: list[str] = []

        def count(conn: object, cursor: object, statement: str, *args: object) -> None:
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            execute_compiled(text("SELECT CAST(:x AS int) AS x"), {"x": 1})
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert seen == ["SELECT CAST($1 AS int) AS x"]
        with pytest.raises(ProgrammingError):
            execute_compiled(text("SELECT * FROM no_such_table WHERE id = :id"), {"id": 1})
        db.session.rollback()
        assert execute_compiled(text("SELECT CAST(:x AS int) AS x"), {"x": 2}).fetchone().x == 2
        db.session.rollback()
