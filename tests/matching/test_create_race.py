"""Two creates of one person at the same moment: the second one's match sees the first.

Each round sends two ``POST /api/v1/citizens`` of one person (no identifier, no Idempotency-Key:
nothing but the matcher can tell they are one person) from two threads, each with its own
client and database connection, released together. Exactly one creates; the other is refused
(409) naming the record the first created.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.citizens.test_concurrency import OVERLAPPED, count, describe, race
from tests.conftest import new_citizen_payload

URL = "/api/v1/citizens"
ROUNDS = 6


GIVEN = ("Philippa", "Bartholomew", "Georgina", "Lysander", "Ottoline", "Evander")
FAMILY = ("Quenby", "Marchbanks", "Wetherall", "Dunstable", "Fairweather", "Ashcombe")


def _person(round_: int, prefix: str) -> dict[str, Any]:
    """A person no other round or test shares anything with but the postcode."""
    return new_citizen_payload(
        given_name=GIVEN[round_],
        family_name=f"{prefix}{FAMILY[round_]}",
        date_of_birth=f"19{50 + 7 * round_}-{round_ + 3:02d}-{11 + 3 * round_}",
        contact_points=[],
        addresses=[
            {
                "line1": f"{40 + round_} {prefix}ford Road",
                "locality": "Parramatta",
                "postcode": "2150",
            }
        ],
    )


def _check_one_created(app: Flask, first: Any, second: Any, created_before: int) -> None:
    both = f"{describe(first)} | {describe(second)}"
    assert sorted([first.status_code, second.status_code]) == [201, 409], both
    winner, loser = (first, second) if first.status_code == 201 else (second, first)
    assert loser.get_json()["existing_citizen_id"] == winner.get_json()["id"], both
    assert count(app, "SELECT count(*) FROM citizens") == created_before + 1, both


def test_simultaneous_creates_of_one_person_create_one_record(app: Flask, staff: Any) -> None:
    OVERLAPPED.clear()
    for round_ in range(ROUNDS):
        body = _person(round_, "")
        before = count(app, "SELECT count(*) FROM citizens")

        def create(client: Any, body: Any = body) -> Any:
            return client.post(URL, json=body, headers=staff.headers())

        first, second = race(app, create, create)
        _check_one_created(app, first, second, before)
    assert any(OVERLAPPED), "the two requests never overlapped"


def test_simultaneous_creates_of_one_person_with_a_typo_create_one_record(
    app: Flask, staff: Any
) -> None:
    """The copies share the date of birth and the given name, not the family name: they still
    wait for each other."""
    for round_ in range(ROUNDS):
        exact, typo = _person(round_, "Van"), _person(round_, "Van")
        typo["family_name"] = typo["family_name"].replace("a", "e", 1)
        before = count(app, "SELECT count(*) FROM citizens")

        def create(body: Any) -> Any:
            return lambda client: client.post(URL, json=body, headers=staff.headers())

        first, second = race(app, create(exact), create(typo))
        _check_one_created(app, first, second, before)
