"""Two transitions with the same If-Match, run for real against PostgreSQL: one wins, one 412."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from cgcrm.extensions import db
from tests.cases.conftest import URL, open_case
from tests.citizens.test_concurrency import race

ROUNDS = 5


@pytest.fixture(autouse=True)
def _postgresql_only(app: Flask) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row-lock races need PostgreSQL")


def test_concurrent_transitions_with_the_same_if_match_let_exactly_one_win(
    app: Flask, rates: Any
) -> None:
    headers = rates.headers({"If-Match": '"v1"'})
    for _ in range(ROUNDS):
        case = open_case(rates)
        url = f"{URL}/{case['id']}/transitions"
        results = race(
            app,
            lambda client, url=url: client.post(url, json={"to": "in_progress"}, headers=headers),
            lambda client, url=url: client.post(url, json={"to": "resolved"}, headers=headers),
        )
        assert sorted(r.status_code for r in results) == [200, 412], [r.get_json() for r in results]
        with app.app_context():
            changes = db.session.execute(
                sa.text(
                    "SELECT count(*) FROM outbox_events "
                    "WHERE type = 'case.status_changed' AND aggregate_id = :id"
                ),
                {"id": case["id"]},
            ).scalar_one()
            db.session.remove()
        assert changes == 1
