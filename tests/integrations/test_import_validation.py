"""The import's fast row validation gives the schema's answers (``imports.validation``).

``plain_load`` may accept a body only as ``CitizenCreateSchema().load`` would, to the same dict
(keys in the same order); everything else it must leave to the schema (None), so a rejected
row's reasons are always the schema's. Checked on generated people and on every field of
them changed into something odd.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

from flask import Flask
from marshmallow import ValidationError

from cgcrm.citizens.schemas import CitizenCreateSchema
from cgcrm.citizens.synthetic.generator import generate_citizens
from cgcrm.integrations.imports.validation import plain_load

# Values a department's file may hold where the schema expects something else.
ODD_VALUES: list[Any] = [
    None,
    "",
    "   ",
    " padded ",
    "Zoë",
    "Zoe\u0308",
    "a\u200bb",
    "tab\there",
    "line\nbreak",
    "x" * 101,
    "x" * 201,
    "x" * 255,
    "\ud800",
    0,
    1.5,
    True,
    [],
    {},
    ["a"],
    "1999-02-30",
    "1799-12-31",
    "2999-01-01",
    "2000-01-01",
    "2000-1-1",
    "20000101",
    "2000-01-01T00:00:00",
    "email",
    "phone",
    "fax",
    "AU",
    "au",
    "RATES_ACCOUNT",
    "rates",
    "en",
    "zh-Hant",
    "EN",
    "email_updates",
    "large_print",
    "nope",
]


def _bodies(count: int) -> list[dict[str, Any]]:
    people = generate_citizens(count, seed=11)
    return [json.loads(json.dumps(person, default=str)) for person in people]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a body a value sits (dict keys and list positions)."""
    if path:
        yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))


def _replaced(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    holder: Any = changed
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return changed


def _variants(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield body
    for path in list(_paths(body)):
        for value in ODD_VALUES:
            yield _replaced(body, path, value)
        removed = copy.deepcopy(body)
        holder: Any = removed
        for step in path[:-1]:
            holder = holder[step]
        del holder[path[-1]]
        yield removed
        if isinstance(path[-1], str):
            extra = copy.deepcopy(body)
            holder = extra
            for step in path[:-1]:
                holder = holder[step]
            holder["unexpected"] = 1
            yield extra
    yield {**body, "consents": [{"purpose": "email_updates", "granted": True, "channel": "web"}]}
    yield {**body, "consents": [{"purpose": "email_updates", "granted": 1, "channel": "web"}]}
    yield {**body, "identifiers": [{"system": "RATES_ACCOUNT", "value": "1", "masked": True}]}
    yield {**body, "addresses": body.get("addresses", []) * 21}
    yield {
        **body,
        "previous_names": [
            {"given_name": "A", "family_name": "B", "valid_from": "2001-01-01"},
            {"given_name": "A", "family_name": "B", "valid_to": "2000-01-01"},
        ],
    }
    yield {
        **body,
        "previous_names": [
            {
                "given_name": "A",
                "family_name": "B",
                "valid_from": "2001-01-01",
                "valid_to": "2000-01-01",
            }
        ],
    }
    yield {**body, "given_name": None, "family_name": None}
    yield {key: value for key, value in body.items() if key not in ("given_name", "family_name")}
    yield [body]  # type: ignore[misc]


def test_plain_load_accepts_only_what_the_schema_accepts_and_as_it_loads_it(app: Flask) -> None:
    schema = CitizenCreateSchema()
    accepted = refused = left = 0
    with app.app_context():
        for person in _bodies(12):
            for body in _variants(person):
                plain = plain_load(body)
                try:
                    loaded = schema.load(body)
                except ValidationError:
                    assert plain is None, body
                    refused += 1
                    continue
                if plain is None:
                    left += 1
                    continue
                assert plain == loaded, body
                assert list(plain) == list(loaded)
                for key, value in plain.items():
                    assert type(value) is type(loaded[key]), (key, body)
                accepted += 1
    # Most generated and changed bodies are decided by the fast path; some need the schema.
    assert accepted > 1000 and refused > 1000, (accepted, refused, left)


def test_every_generated_person_takes_the_fast_path(app: Flask) -> None:
    with app.app_context():
        for body in _bodies(200):
            assert plain_load(body) == CitizenCreateSchema().load(body)
