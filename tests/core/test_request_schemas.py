"""Every field of every request schema uses the bounded types of ``cgcrm.core.fields``.

Free text is ``Text``; a plain string must be an enumerated code or identifier, marked by a
``OneOf`` or ``FullMatch`` validator; dates and moments are ``BoundedDate`` and
``BoundedDateTime``; lists and mappings are ``BoundedList`` and ``BoundedDict``.
"""

from __future__ import annotations

from flask import Flask
from marshmallow import Schema, fields, validate

from cgcrm.core.fields import (
    BoundedDate,
    BoundedDateTime,
    BoundedDict,
    BoundedList,
    FullMatch,
    Text,
)
from tests.citizens.hostile.schemas import request_schemas, walk

CODE_VALIDATORS = (validate.OneOf, FullMatch)


def violation(field: fields.Field) -> str | None:
    """What is wrong with ``field`` in a request schema, or None."""
    if isinstance(field, fields.DateTime | fields.NaiveDateTime | fields.AwareDateTime):
        return None if isinstance(field, BoundedDateTime) else "a date-time not BoundedDateTime"
    if isinstance(field, fields.Date):
        return None if isinstance(field, BoundedDate) else "a date not BoundedDate"
    if isinstance(field, fields.List | fields.Tuple):
        return None if isinstance(field, BoundedList) else "a list not BoundedList"
    if isinstance(field, fields.Mapping):
        return None if isinstance(field, BoundedDict) else "a mapping not BoundedDict"
    if isinstance(field, fields.Nested) and field.many:
        return "Nested(many=True), an unbounded list: use BoundedList(Nested(...))"
    if type(field) in (fields.Raw, fields.Field):
        return "an untyped field"
    if isinstance(field, fields.UUID | Text):
        return None
    if isinstance(field, fields.String):
        if any(isinstance(v, CODE_VALIDATORS) for v in field.validators):
            return None
        return "free text not Text (or a code without OneOf/FullMatch)"
    return None


def violations(schema: Schema) -> list[str]:
    return [
        f"{'.'.join(map(str, path))}: {problem}"
        for path, field in walk(schema)
        if (problem := violation(field))
    ]


def test_every_request_schema_is_found(app: Flask) -> None:
    found = {type(parsed.schema).__name__ for parsed in request_schemas(app)}
    for expected in (
        "CitizenCreateSchema",
        "CitizenPatchSchema",
        "InteractionCreateSchema",
        "InteractionQuerySchema",
        "CaseCreateSchema",
        "CaseNoteInSchema",
        "ServiceSchema",
        "JobsQuerySchema",
    ):
        assert expected in found


def test_every_request_field_uses_a_bounded_type(app: Flask) -> None:
    problems = [
        f"{parsed.name} {line}"
        for parsed in request_schemas(app)
        for line in violations(parsed.schema)
    ]
    assert not problems, "\n".join(problems)


def test_the_walk_catches_a_plain_field() -> None:
    class Careless(Schema):
        at = fields.DateTime()
        day = fields.Date()
        note = fields.String()
        tags = fields.List(fields.String(validate=validate.OneOf(["a"])))
        extra = fields.Dict()
        anything = fields.Raw()
        many = fields.Nested(Schema.from_dict({"a": fields.Integer()}), many=True)

    class Nesting(Schema):
        inner = BoundedList(fields.Nested(Careless), max_items=2)
        code = fields.Str(validate=FullMatch(r"^[A-Z]+$"))

    assert len(violations(Nesting())) == 7
