"""A request's last transaction is committed when it only read (the driver keeps its prepared
statements), and rolled back as before when it ran anything else."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cgcrm.core.driver import execute_prepared
from cgcrm.core.read_only_end import end_if_read_only
from cgcrm.extensions import db


@pytest.fixture
def one_connection(app: Flask) -> Flask:
    """The pool emptied, so the next contexts share one connection."""
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the driver's prepared statements are PostgreSQL's")
    with app.app_context():
        db.engine.dispose()
    return app


def _backend_pid() -> int:
    return int(db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_read_after_the_last_commit_keeps_the_prepared_statements(one_connection: Flask) -> None:
    with one_connection.app_context():
        execute_prepared("SELECT %s::int AS read_only_end_probe", (1,))
        db.session.commit()
        pid = _backend_pid()  # a read after the commit: the transaction the teardown ends
    with one_connection.app_context():
        assert _backend_pid() == pid
        prepared = db.session.execute(
            text(
                "SELECT count(*) FROM pg_prepared_statements "
                "WHERE statement LIKE '%read_only_end_probe%'"
            )
        ).scalar_one()
        assert prepared == 1


def test_a_transaction_that_ran_anything_else_is_rolled_back(one_connection: Flask) -> None:
    with one_connection.app_context():
        db.session.execute(text("CREATE TEMP TABLE read_only_end_probe (x int)"))
        pid = _backend_pid()
    with one_connection.app_context():
        assert _backend_pid() == pid
        found = db.session.execute(text("SELECT to_regclass('read_only_end_probe')")).scalar()
        assert found is None


def test_only_a_transaction_of_selects_without_pending_changes_is_committed(
    one_connection: Flask,
) -> None:
    with one_connection.app_context():
        db.session.execute(text("SELECT 1"))
        end_if_read_only(db.session())
        assert not db.session().in_transaction()

        db.session.execute(text("SELECT 1"))
        execute_prepared("SELECT %s::int", (1,))  # sent around SQLAlchemy: may have written
        end_if_read_only(db.session())
        assert db.session().in_transaction()
        db.session.rollback()

        db.session.execute(text("SELECT 1"))
        db.session.execute(text("SET LOCAL application_name = 'read-only-end'"))
        end_if_read_only(db.session())
        assert db.session().in_transaction()
        db.session.rollback()


def test_a_failed_read_left_open_still_ends_and_the_next_request_works(
    one_connection: Flask,
) -> None:
    with one_connection.app_context(), pytest.raises(DBAPIError):
        db.session.execute(text("SELECT 1 / 0"))
    with one_connection.app_context():
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
