"""An import row's create body validated: a fast path for plainly valid rows, marshmallow else.

A bulk import validates every row with ``CitizenCreateSchema``; the schema's machinery (hooks,
the error store, a nested schema loaded per contact point and address) cost more than its
rules. ``plain_load`` applies the same schema's own fields to a body whose shape it knows
(every key one of the schema's, every nested item a dict of its schema's keys), each field's
``deserialize`` with its validators (printable ASCII text checked inline, as ``Text`` does it),
the nested defaults and the schemas' own whole-item rules, and gives up (``None``) at the first
thing that is not plainly valid. A row it gives up on is loaded by marshmallow, so every
rejection and its messages are the schema's; a row it accepts is what the schema returns
(``tests/integrations/test_import_validation.py`` compares both on generated and corrupted
rows and on hand-made odd ones).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from marshmallow.utils import missing

from cgcrm.citizens.schemas import (
    AddressInSchema,
    CitizenCreateSchema,
    PreviousNameSchema,
    check_a_name,
    check_a_place,
    check_period,
)
from cgcrm.core.fields import BoundedList, JsonBoolean, Text

# A field's loader: the value loaded, or _GIVE_UP.
_GIVE_UP = object()
_Loader = Callable[[Any], Any]


def _text_loader(field: Text) -> _Loader:
    """``Text.deserialize``, with its printable-ASCII path inline (any other text, or None,
    goes through the field itself)."""
    most, least, through_field = field.max_length, field.min_length, _field_loader(field)
    blank_as_none = field.blank_as_none
    if field.validators or not _plain(field):
        return through_field

    def load(value: Any) -> Any:
        if type(value) is str and len(value) <= most and value.isascii() and value.isprintable():
            text = value.strip()
            if not text and blank_as_none:
                return None
            return text if len(text) >= least else _GIVE_UP
        return through_field(value)

    return load


def _plain(field: fields.Field) -> bool:
    """Whether ``deserialize`` is only the type's own work and the validators (no processors)."""
    return not (field.pre_load or field.post_load)


def _string_loader(field: fields.String) -> _Loader:
    """A code (``fields.String`` with ``OneOf`` or ``FullMatch``): a str, then the validators;
    None and anything else through the field."""
    validators, through_field = tuple(field.validators), _field_loader(field)

    def load(value: Any) -> Any:
        if type(value) is not str:
            return through_field(value)
        try:
            for check in validators:
                check(value)
        except ValidationError:
            return _GIVE_UP
        return value

    return load


def _boolean_loader(field: JsonBoolean) -> _Loader:
    through_field = _field_loader(field)
    return lambda value: value if type(value) is bool else through_field(value)


def _field_loader(field: fields.Field) -> _Loader:
    deserialize = field.deserialize

    def load(value: Any) -> Any:
        try:
            return deserialize(value)
        except ValidationError:
            return _GIVE_UP

    return load


def _nested_list(field: fields.Field) -> bool:
    """A ``BoundedList`` of plain ``Nested`` items whose only rule is its length."""
    if not (isinstance(field, BoundedList) and type(field.inner) is fields.Nested):
        return False
    only_length = all(
        type(rule) is validate.Length
        and (rule.min, rule.max, rule.equal) == (None, field.max_items, None)
        for rule in field.validators
    )
    plain = _plain(field) and _plain(field.inner) and not field.inner.validators
    return only_length and plain


def _nested_list_loader(field: BoundedList) -> _Loader:
    """A ``BoundedList`` of ``Nested`` items: the length rule, then each item plainly."""
    inner = field.inner
    assert isinstance(inner, fields.Nested)
    load_item = _schema_loader(inner.schema)
    most = field.max_items

    def load(value: Any) -> Any:
        if type(value) is not list or len(value) > most:
            return _GIVE_UP
        items = []
        for item in value:
            loaded = load_item(item)
            if loaded is _GIVE_UP:
                return _GIVE_UP
            items.append(loaded)
        return items

    return load


def _loader(field: fields.Field) -> _Loader:
    if isinstance(field, Text):
        return _text_loader(field)
    if _nested_list(field):
        return _nested_list_loader(field)  # type: ignore[arg-type]
    if type(field) is fields.Nested and _plain(field) and not field.validators:
        return _schema_loader(field.schema)
    plain = _plain(field) and not isinstance(field, Text)
    if plain and type(field) is fields.String:
        return _string_loader(field)
    if plain and type(field) is JsonBoolean and not field.validators:
        return _boolean_loader(field)
    return _field_loader(field)


def _check_address(data: dict[str, Any]) -> None:
    check_period(data)
    check_a_place(data)


# The schemas' own rules on a whole item (``validates_schema``), run as they would be.
_ITEM_RULES: dict[type[Schema], Callable[[dict[str, Any]], None]] = {
    PreviousNameSchema: check_period,
    AddressInSchema: _check_address,
    CitizenCreateSchema: check_a_name,
}


def _schema_loader(schema: Schema) -> _Loader:
    """A dict loaded field by field in the schema's order, defaults filled in as ``load``
    does; ``_GIVE_UP`` for an unknown key, a missing required field or any field error."""
    rule = _ITEM_RULES.get(type(schema))
    hooks = {tag for tag, found in schema._hooks.items() if found}
    # Only whole-item rules this module knows how to run; anything else goes to marshmallow.
    assert hooks <= {"validates_schema"} and (rule is not None or not hooks), schema
    assert not schema.many and not schema.partial and schema.unknown == "raise", schema
    plan = []
    for name, field in schema.load_fields.items():
        assert field.data_key in (None, name) and field.attribute in (None, name), name
        plan.append((name, _loader(field), field.required, field.load_default))
    known = frozenset(name for name, *_ in plan)

    def load(value: Any) -> Any:
        if type(value) is not dict or not known.issuperset(value):
            return _GIVE_UP
        data: dict[str, Any] = {}
        for name, load_field, required, default in plan:
            if name in value:
                loaded = load_field(value[name])
                if loaded is _GIVE_UP:
                    return _GIVE_UP
                data[name] = loaded
            elif required:
                return _GIVE_UP
            elif default is not missing:
                data[name] = default() if callable(default) else default
        if rule is not None:
            try:
                rule(data)
            except ValidationError:
                return _GIVE_UP
        return data

    return load


_PLAIN_CREATE: _Loader | None = None


def plain_load(body: Any) -> dict[str, Any] | None:
    """``CitizenCreateSchema().load(body)`` if the body is plainly valid, else None (then the
    schema decides: it may still accept it, or says why not)."""
    global _PLAIN_CREATE
    if _PLAIN_CREATE is None:
        _PLAIN_CREATE = _schema_loader(CitizenCreateSchema())
    loaded = _PLAIN_CREATE(body)
    return None if loaded is _GIVE_UP else loaded
