"""Every request schema the API parses, found from the registered routes, and its fields.

Discovered rather than listed, so a new route, schema or field is walked by every test that
uses this without anyone remembering to add it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask import Flask
from marshmallow import Schema, fields

Path = tuple[str | int, ...]
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
BODY_LOCATIONS = ("json", "form")


@dataclass(frozen=True)
class Parsed:
    """One schema one route parses from one location."""

    method: str
    rule: str
    url: str
    location: str
    schema: Schema

    @property
    def name(self) -> str:
        return f"{self.method} {self.rule} ({self.location}: {type(self.schema).__name__})"


def _sample_url(rule: str) -> str:
    def value(match: re.Match[str]) -> str:
        converter = match.group(1) or "string"
        return str(uuid.uuid4()) if converter == "uuid" else "x"

    return _CONVERTER.sub(value, rule)


def request_schemas(app: Flask) -> list[Parsed]:
    """Every (route, method, location, schema) that ``@blp.arguments`` declares."""
    found: list[Parsed] = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            handler = getattr(view_class, method.lower(), None) if view_class else view
            apidoc = getattr(handler, "_apidoc", {}) or {}
            for parameter in apidoc.get("arguments", {}).get("parameters", []):
                schema = parameter.get("schema")
                schema = schema() if isinstance(schema, type) else schema
                if isinstance(schema, Schema):
                    url = _sample_url(rule.rule)
                    found.append(Parsed(method, rule.rule, url, parameter["in"], schema))
    return found


def _key(name: str, field: fields.Field) -> str:
    return field.data_key or name


def walk(schema: Schema, prefix: Path = ()) -> Iterator[tuple[Path, fields.Field]]:
    """Every loadable field of ``schema``, nested ones included, with its path into a body.

    A list's items are at index 0; a mapping's values at key ``"k"``.
    """
    for name, field in schema.fields.items():
        if field.dump_only:
            continue
        yield from _walk_field(field, (*prefix, _key(name, field)))


def _walk_field(field: fields.Field, path: Path) -> Iterator[tuple[Path, fields.Field]]:
    yield path, field
    if isinstance(field, fields.Nested):
        nested = field.schema
        if isinstance(nested, Schema):
            yield from walk(nested, path)
    elif isinstance(field, fields.List):
        yield from _walk_field(field.inner, (*path, 0))
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        yield from _walk_field(field.value_field, (*path, "k"))


def body_with(path: Path, value: Any) -> Any:
    """The smallest body that puts ``value`` at ``path``."""
    node: Any = value
    for step in reversed(path):
        node = [node] if isinstance(step, int) else {step: node}
    return node


def every_field(app: Flask) -> Iterator[tuple[Parsed, Path, fields.Field]]:
    for parsed in request_schemas(app):
        for path, field in walk(parsed.schema):
            yield parsed, path, field


def error_paths(errors: Any, prefix: Path = ()) -> list[Path]:
    """The fields a problem's ``errors`` member names, as paths (list indexes as ints)."""
    if not isinstance(errors, dict):
        return [prefix]
    found: list[Path] = []
    for key, value in errors.items():
        step: str | int = int(key) if isinstance(key, str) and key.isdigit() else key
        found += error_paths(value, (*prefix, step))
    return found


def names(errors: Any, path: Path) -> bool:
    """Whether a problem's ``errors`` blame the field at ``path`` (or something inside it)."""
    return any(found[: len(path)] == path for found in error_paths(errors))
