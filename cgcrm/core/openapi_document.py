"""Passes over the finished OpenAPI document that need the whole of it.

Response bodies: marshmallow dumps every declared field of what a view returns (``None`` as
null), so every property of a schema that only ever appears in responses is always present and
is marked ``required``: a generated client then types it as a value, not as "maybe unset". A
schema a request body also uses keeps its input shape (optional fields stay optional there)
and responses refer to a copy named ``<Name>Read`` with the ``required`` list; a property a
response may leave out opts out with ``metadata={"x-optional": True}`` on its field.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

SCHEMA_PREFIX = "#/components/schemas/"
READ_SUFFIX = "Read"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            yield ref[len(SCHEMA_PREFIX) :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _closure(names: set[str], schemas: dict[str, Any]) -> set[str]:
    seen: set[str] = set()
    pending = list(names)
    while pending:
        name = pending.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        pending.extend(_refs(schemas[name]))
    return seen


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method != "parameters" and isinstance(operation, dict):
                yield operation


def _rename_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_PREFIX):
            name = ref[len(SCHEMA_PREFIX) :]
            if name in renames:
                node["$ref"] = SCHEMA_PREFIX + renames[name]
        for value in node.values():
            _rename_refs(value, renames)
    elif isinstance(node, list):
        for value in node:
            _rename_refs(value, renames)


def _mark_required(schema: dict[str, Any]) -> None:
    properties = schema.get("properties") or {}
    required = [
        name
        for name, prop in properties.items()
        if not prop.get("writeOnly") and not prop.pop("x-optional", False)
    ]
    if required:
        schema["required"] = sorted(set(required) | set(schema.get("required", [])))


def mark_response_fields_required(document: dict[str, Any]) -> None:
    """Every property of a response schema is required (see the module docstring)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    request_roots: set[str] = set()
    response_roots: set[str] = set()
    for operation in _operations(document):
        request_roots.update(_refs(operation.get("requestBody")))
        request_roots.update(_refs(operation.get("parameters")))
        for status, response in operation.get("responses", {}).items():
            if str(status).startswith("2"):
                response_roots.update(_refs(response))
    inputs = _closure(request_roots, schemas)
    outputs = _closure(response_roots, schemas)
    shared = {name for name in outputs & inputs}
    renames = {name: name + READ_SUFFIX for name in shared}
    for name in shared:
        schemas[name + READ_SUFFIX] = copy.deepcopy(schemas[name])
    for name in outputs:
        target = renames.get(name, name)
        _rename_refs(schemas[target], renames)
        _mark_required(schemas[target])
    for operation in _operations(document):
        for status, response in operation.get("responses", {}).items():
            if str(status).startswith("2"):
                _rename_refs(response, renames)
    for schema in schemas.values():  # an input schema keeps no response-only marker
        for prop in (schema.get("properties") or {}).values():
            if isinstance(prop, dict):
                prop.pop("x-optional", None)


def link_created_resources(document: dict[str, Any]) -> None:
    """OpenAPI links from each create to the operations on what it created.

    A 201 whose body has an ``id``, answered by ``POST /things``, links to every operation under
    ``/things/{thing_id}`` with that id: clients (and stateful fuzzing) follow them.
    """
    paths: dict[str, Any] = document.get("paths", {})
    schemas = document.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        created = (item.get("post") or {}).get("responses", {}).get("201")
        if not isinstance(created, dict):
            continue
        body = created.get("content", {}).get("application/json", {}).get("schema", {})
        name = str(body.get("$ref", "")).rpartition("/")[2]
        if "id" not in (schemas.get(name, {}).get("properties") or {}):
            continue
        links: dict[str, Any] = {}
        for other, other_item in paths.items():
            head, sep, rest = other.partition(path + "/{")
            if head or not sep:
                continue
            parameter = rest.split("}", 1)[0]
            for operation in other_item.values():
                if not (isinstance(operation, dict) and "operationId" in operation):
                    continue
                values = {parameter: "$response.body#/id"}
                headers = {p.get("name") for p in operation.get("parameters", [])}
                if "If-Match" in headers and "ETag" in created.get("headers", {}):
                    values["header.If-Match"] = "$response.header.ETag"
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": values,
                }
        if links:
            created["links"] = links


def finalize_document(document: dict[str, Any]) -> dict[str, Any]:
    """The served document: the spec as apispec built it, with the passes above applied."""
    mark_response_fields_required(document)
    link_created_resources(document)
    return document
