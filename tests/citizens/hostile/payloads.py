"""Valid citizen, PATCH and consent payloads, and strategies that mutate them with hostile
values."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from tests.citizens.hostile.values import hostile_values, keys, nested

Path = tuple[str | int, ...]


def node_paths(node: Any, prefix: Path = ()) -> list[Path]:
    found: list[Path] = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += node_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += node_paths(value, (*prefix, index))
    return found


def apply_operation(payload: Any, path: Path, operation: str, value: Any) -> Any:
    """``payload`` with the node at ``path`` replaced, removed, wrapped or given a sibling."""
    result = copy.deepcopy(payload)
    *parents, last = path
    container = result
    for step in parents:
        container = container[step]
    current = container[last]
    if operation == "replace":
        container[last] = value
    elif operation == "delete":
        del container[last]
    elif operation == "wrap_list":
        container[last] = [current, current]
    elif operation == "wrap_dict":
        container[last] = {"value": current}
    elif operation == "nest":
        container[last] = nested(2_000, "list")
    elif operation == "extra_key" and isinstance(current, dict):
        current["unexpected"] = value
    elif operation == "extra_key":
        container[last] = value
    return result


OPERATIONS = [
    "replace",
    "replace",
    "replace",
    "delete",
    "wrap_list",
    "wrap_dict",
    "nest",
    "extra_key",
]


def mutations_of(payload_strategy: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A valid payload with one to three fields replaced by hostile values, wrong types,
    nested lists, deep nesting, or an unexpected member."""

    @st.composite
    def mutated(draw: Callable[..., Any]) -> Any:
        payload = draw(payload_strategy)
        for _ in range(draw(st.integers(1, 3))):
            paths = node_paths(payload)
            if not paths:
                break
            path = draw(st.sampled_from(paths))
            operation = draw(st.sampled_from(OPERATIONS))
            payload = apply_operation(payload, path, operation, draw(hostile_values))
        if draw(st.booleans()):
            payload[draw(keys)] = draw(hostile_values)
        return payload

    return mutated()


def valid_create_payload(identifier: str) -> dict[str, Any]:
    return {
        "given_name": "Mary",
        "middle_names": "Anne",
        "family_name": "O'Brien",
        "preferred_name": "Molly",
        "date_of_birth": "1975-11-23",
        "previous_names": [
            {
                "given_name": "Mary",
                "family_name": "Walsh",
                "valid_from": "1975-11-23",
                "valid_to": "2001-06-30",
            }
        ],
        "contact_points": [
            {"kind": "email", "value": "mary.obrien@example.com", "is_primary": True},
            {"kind": "phone", "value": "0412 345 678"},
        ],
        "addresses": [
            {
                "line1": "12 George Street",
                "line2": "Unit 4",
                "locality": "Parramatta",
                "region": "NSW",
                "postcode": "2150",
                "country": "AU",
                "valid_from": "2019-07-01",
                "valid_to": None,
            }
        ],
        "identifiers": [{"system": "RATES_ACCOUNT", "value": identifier}],
        "preferences": {
            "preferred_channel": "email",
            "language": "en-AU",
            "accessibility_needs": ["large_print"],
        },
        "consents": [
            {"purpose": "service_updates", "granted": True, "channel": "web", "note": "at desk"}
        ],
    }


identifiers = st.uuids().map(lambda u: f"RA-{u.hex[:12].upper()}")
create_payloads = identifiers.map(valid_create_payload)


@st.composite
def patch_payloads(draw: Callable[..., Any]) -> dict[str, Any]:
    """A valid PATCH: a non-empty subset of the fields of a valid record."""
    full = valid_create_payload(draw(identifiers))
    del full["consents"]
    chosen = draw(st.sets(st.sampled_from(sorted(full)), min_size=1))
    return {name: full[name] for name in sorted(chosen)}


consent_payloads = st.fixed_dictionaries(
    {
        "purpose": st.sampled_from(["service_updates", "whole_of_government_sharing"]),
        "granted": st.booleans(),
        "channel": st.sampled_from(["web", "phone", "counter"]),
        "note": st.sampled_from([None, "asked at the counter"]),
    }
)
