"""``flask matching train``: a new active model version, estimated from the stored citizens."""

from __future__ import annotations

from typing import Any

from flask import Flask

from cgcrm.extensions import db
from cgcrm.matching.model import active_model
from cgcrm.matching.models import MatchModel
from tests.conftest import new_citizen_payload

GIVEN = ["Anna", "Ben", "Chloe", "David", "Emma", "Farid", "Grace", "Hamish", "Isla", "Jack"]
FAMILY = ["Nguyen", "Smith", "Patel", "Brown", "Wilson", "Taylor", "Lee", "Martin"]


def test_train_stores_a_new_active_version_that_scores(app: Flask, staff: Any) -> None:
    for index in range(40):
        given, family = GIVEN[index % len(GIVEN)], FAMILY[index % len(FAMILY)]
        body = new_citizen_payload(
            given_name=given,
            family_name=family,
            date_of_birth=f"19{50 + index}-0{1 + index % 9}-1{index % 10}",
            contact_points=[],
            addresses=[],
        )
        assert staff.post("/api/v1/citizens?on_match=create", json=body).status_code == 201
        if index % 4 == 0:
            # A second record of every fourth person, with a typo: EM has matches to learn from.
            body["given_name"] = given[:-1] + given[-1] * 2
            assert staff.post("/api/v1/citizens?on_match=create", json=body).status_code == 201
    runner = app.test_cli_runner()
    first = runner.invoke(args=["matching", "train", "--seeds", "20", "--random-pairs", "2000"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["matching", "train", "--seeds", "20", "--random-pairs", "2000"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        models = db.session.query(MatchModel).order_by(MatchModel.version).all()
        assert [(m.version, m.status) for m in models] == [(1, "retired"), (2, "active")]
        parameters = models[-1].parameters
        m, u = parameters["comparisons"]["family_name"]["exact"]
        assert m > u
        assert parameters["term_frequencies"]["family_name"]["smith"] > 0
        active_model.clear()
        assert active_model.get().version == 2
        db.session.query(MatchModel).delete()
        db.session.commit()
        active_model.clear()
