"""Name keys keep the roles they have had (given, family), and the real-time match probes a
(family, given) pair only in the orders those roles allow: without losing anyone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cgcrm.citizens.models import NameToken
from cgcrm.citizens.name_dictionary import FAMILY, GIVEN, name_dictionary
from cgcrm.extensions import db
from tests.conftest import new_citizen_payload

CITIZENS = "/api/v1/citizens"
MATCH = "/api/v1/citizens/match"


def _create(api: Any, **overrides: Any) -> str:
    response = api.post(CITIZENS + "?on_match=create", json=new_citizen_payload(**overrides))
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


def _roles(api: Any) -> dict[str, tuple[bool, bool]]:
    with api.app.app_context():
        rows = db.session.execute(
            select(NameToken.token, NameToken.used_as_given, NameToken.used_as_family)
        )
        return {token: (given, family) for token, given, family in rows}


def test_a_key_keeps_every_role_it_has_had(staff: Any) -> None:
    _create(staff)
    assert _roles(staff)["john"] == (True, False)
    assert _roles(staff)["smith"] == (False, True)
    # The match loads this process's copy: what it holds from the table is what a later
    # create need not write again.
    staff.post(MATCH, json={"given_name": "John", "family_name": "Smith"})
    _create(staff, given_name="Smith", family_name="Jones", date_of_birth="1970-01-01")
    roles = _roles(staff)
    assert roles["smith"] == (True, True)
    assert roles["jones"] == (False, True)
    with staff.app.app_context():
        name_dictionary.clear()
        assert name_dictionary.stored_roles(["smith", "jones", "nobody"]) == {
            "smith": GIVEN | FAMILY,
            "jones": FAMILY,
            "nobody": 0,
        }


def test_a_swapped_name_with_a_typo_is_found_through_the_roles_it_has(staff: Any) -> None:
    # Stored as given Mary, family Jones; asked as given Jones, family "Marry": only the
    # (Mary, Jones) pair read the other way round can find it (no date, contact or address).
    mary = _create(
        staff,
        given_name="Mary",
        family_name="Jones",
        date_of_birth=None,
        contact_points=[],
        addresses=[],
    )
    _create(staff, given_name="Marry", family_name="Brown", date_of_birth="1950-05-05")
    response = staff.post(MATCH, json={"given_name": "Jones", "family_name": "Marry"})
    assert response.status_code == 200, response.get_json()
    assert mary in [c["citizen_id"] for c in response.get_json()["candidates"]]
