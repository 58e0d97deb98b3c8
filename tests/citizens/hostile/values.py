"""Hostile values: naughty strings, Hypothesis strategies for arbitrary JSON and header values,
and verbatim JSON fragments that ``json.dumps`` cannot produce."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.citizens.fields import CITIZEN_FIELDS

NAUGHTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\u202e",
    "\u202egnp.exe",
    "\u200b\u200d\ufeff",
    "\x1b[2J\x07",
    "\r\n",
    "line\nbreak",
    "\t",
    "\x7f\x85",
    "A" * 10_000,
    "é" * 5_000,
    "北" * 100,
    "ß" * 20,
    "ﬃ" * 20,
    "\u0958" * 100,
    "\ufdfa" * 100,
    "İ" * 100,
    "e\u0301" * 60,
    "\U0001f600" * 100,
    "\uffff",
    "\U0010ffff",
    "'; DROP TABLE citizens; --",
    "%s%s%n",
    "{{7*7}}${7*7}",
    "<script>alert(1)</script>",
    "../../../../etc/passwd",
    "NaN",
    "null",
    "true",
    "-1",
    "1e309",
    "9" * 5_000,
    "AU\n",
    "en\n",
    "en" + "-abcdefgh" * 10,
    "a" * 60 + "\n",
    "A" * 40 + "\n",
    "1984-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "-0001-01-01",
    "2020-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "x" + "\u0301" * 300,
    "Mary\u2066Jane\u2069",
    "Ma\u00adry\u2028",
    "Ma\u200dry",
    "+61 412 345 678 ext. 99999999999999",
    "a@" + "b" * 250,
    "İ" * 64 + "@" + "a" * 60 + "." + "b" * 60 + ".com",
]
HUGE_INTS = [0, -1, 2**31, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**30), 10**4000]

any_char = st.characters(codec=None, exclude_categories=())  # surrogates and controls too
texts = st.one_of(
    st.sampled_from(NAUGHTY_STRINGS),
    st.text(max_size=40),
    st.text(any_char, max_size=120),
    st.builds(lambda ch, n: ch * n, any_char, st.integers(1, 12_000)),
)
ints = st.one_of(st.integers(), st.sampled_from(HUGE_INTS))
scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=False), texts)
FIELD_NAMES = [
    *CITIZEN_FIELDS,
    "consents",
    "kind",
    "value",
    "system",
    "purpose",
    "granted",
    "channel",
    "id",
    "status",
    "version",
    "__proto__",
    "$where",
]
keys = st.one_of(st.sampled_from(FIELD_NAMES), texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=12,
)


@dataclass(frozen=True)
class Raw:
    """A JSON fragment sent verbatim: what json.dumps cannot or will not produce."""

    text: str


def nested(depth: int, kind: str) -> Raw:
    if kind == "list":
        return Raw("[" * depth + "1" + "]" * depth)
    return Raw('{"a":' * depth + "1" + "}" * depth)


raw_fragments = st.one_of(
    st.builds(nested, st.sampled_from([50, 500, 5_000, 100_000]), st.sampled_from(["list", "d"])),
    st.sampled_from(
        [
            Raw("9" * 5_000),
            Raw("-" + "9" * 4_400),
            Raw("1e999999"),
            Raw("NaN"),
            Raw("-Infinity"),
            Raw('"\\ud800"'),
            Raw('"\\u0000"'),
            Raw('"\\udc00\\ud800"'),
        ]
    ),
)
hostile_values = st.one_of(json_values, texts, raw_fragments)


def encode(value: Any) -> str:
    """JSON text of ``value``, with any ``Raw`` fragment spliced in verbatim."""
    fragments: list[str] = []

    def swap(node: Any) -> Any:
        if isinstance(node, Raw):
            fragments.append(node.text)
            return f"@@raw{len(fragments) - 1}@@"
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    text = json.dumps(swap(value))
    for index, fragment in enumerate(fragments):
        text = text.replace(f'"@@raw{index}@@"', fragment, 1)
    return text


# Header values: what an HTTP server can deliver (latin-1, no CR/LF), and some classics.
header_chars = st.characters(codec="latin-1", exclude_characters="\r\n")
header_values = st.one_of(
    st.text(header_chars, max_size=80),
    st.builds(lambda ch, n: ch * n, header_chars, st.integers(1, 10_000)),
    st.sampled_from(
        [
            "",
            " ",
            "*",
            '"v1"',
            'W/"v1"',
            '"v0"',
            '"v-1"',
            '"v999999999999999999"',
            '"v9999999999999999999999999"',
            '"v1", "v2"',
            "v1",
            '"v1',
            "a" * 10_000,
            "é" * 300,
            "\x00",
            "ÿ" * 201,
        ]
    ),
)
authorizations = st.one_of(
    header_values,
    st.sampled_from(
        [
            "Bearer",
            "Bearer ",
            "Bearer x",
            "Bearer " * 500,
            "bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.",
            "Basic Zm9vOmJhcg==",
            "Bearer eyJ.eyJ.sig",
            "Bearer " + "A" * 10_000,
        ]
    ),
)
