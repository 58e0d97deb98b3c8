"""Reading an import file into citizen bodies shaped like ``POST /api/v1/citizens``.

NDJSON: one create body per line. CSV: a header row, then one citizen per row; a mapping
names the target of each column (columns it does not name are ignored), or, without a
mapping, the header cells are the targets themselves. Targets:

- ``given_name``, ``middle_names``, ``family_name``, ``preferred_name``, ``date_of_birth``;
- ``email``, ``phone`` (a contact point each; several columns may map to one);
- ``address.line1`` … ``address.line2``, ``locality``, ``region``, ``postcode``, ``country``,
  ``valid_from``, ``valid_to`` (one address);
- ``identifier.<SYSTEM>`` (the department's identifier in that system, e.g.
  ``identifier.RATES_ACCOUNT``).

Several columns may map to one name or address part: their cells are joined with a space in
the header's order (a house number and its street, say).

Rows are numbered from 1: the first data row of a CSV (after its header), the first non-blank
line of an NDJSON file. An empty cell is a missing field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from cgcrm.core.errors import ValidationError

SCALAR_TARGETS = ("given_name", "middle_names", "family_name", "preferred_name", "date_of_birth")
CONTACT_TARGETS = ("email", "phone")
ADDRESS_PARTS = (
    "line1",
    "line2",
    "locality",
    "region",
    "postcode",
    "country",
    "valid_from",
    "valid_to",
)
IDENTIFIER_TARGET = re.compile(r"^identifier\.([A-Z][A-Z0-9_]{1,39})$")
CSV_TYPE = "text/csv"
NDJSON_TYPE = "application/x-ndjson"
FORMATS = {CSV_TYPE: "csv", NDJSON_TYPE: "ndjson"}
# A CSV cell or an NDJSON line longer than this is not a citizen (and csv's own limit, 128 KiB,
# would raise mid-file).
MAX_FIELD = 64 * 1024


@dataclass(frozen=True)
class ParsedRow:
    """One row of the file: its body, or why it could not be read as one."""

    number: int
    body: dict[str, Any] | None
    errors: dict[str, Any] | None = None


def is_target(name: str) -> bool:
    """Whether ``name`` is a field a CSV column can fill."""
    if name in SCALAR_TARGETS or name in CONTACT_TARGETS:
        return True
    if name.startswith("address."):
        return name.removeprefix("address.") in ADDRESS_PARTS
    return IDENTIFIER_TARGET.fullmatch(name) is not None


def decode(content: bytes) -> str:
    """The file as text (UTF-8, with or without a byte order mark).

    :raises ValidationError: not UTF-8.
    """
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            "the file is not UTF-8 text", errors={"file": [f"not UTF-8 at byte {exc.start}"]}
        ) from exc


def _reader(text: str) -> Iterator[list[str]]:
    csv.field_size_limit(MAX_FIELD)
    return csv.reader(io.StringIO(text, newline=""))


def check_csv(content: bytes, mapping: Mapping[str, str] | None) -> dict[str, str]:
    """Check a CSV's header against the mapping and return the mapping to store.

    :raises ValidationError: not UTF-8, no header, a target that is not a field, a mapped
        column missing from the header, or no column that names a citizen.
    """
    text = decode(content)
    try:
        header = next(_reader(text), None)
    except csv.Error as exc:
        raise ValidationError("the CSV header cannot be read", errors={"file": [str(exc)]}) from exc
    if not header or not any(cell.strip() for cell in header):
        raise ValidationError("the CSV has no header row", errors={"file": ["no header row"]})
    columns = [cell.strip() for cell in header]
    if mapping is None:
        unknown = [column for column in columns if column and not is_target(column)]
        if unknown:
            raise ValidationError(
                "without a mapping the header must name fields",
                errors={"file": [f"not a field: {', '.join(unknown[:20])}"]},
            )
        chosen = {column: column for column in columns if column}
    else:
        # Header cells are read trimmed ("rec_id, given_name"): so are the names mapped.
        mapping = {column.strip(): target.strip() for column, target in mapping.items()}
        errors: dict[str, list[str]] = {}
        for column, target in mapping.items():
            if not is_target(target):
                errors[column] = [f"{target!r} is not a field a column can fill"]
            elif column not in columns:
                errors[column] = ["no such column in the header"]
        if errors:
            raise ValidationError("invalid mapping", errors={"mapping": errors})
        chosen = dict(mapping)
    if not any(t in ("given_name", "family_name") for t in chosen.values()):
        raise ValidationError(
            "no column gives a name",
            errors={"mapping": ["map a column to given_name or family_name"]},
        )
    return chosen


def _joined(earlier: str | None, value: str) -> str:
    return f"{earlier} {value}" if earlier else value


def _csv_body(cells: dict[str, str], mapping: Mapping[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    address: dict[str, str] = {}
    for column, value in cells.items():
        target = mapping.get(column)
        value = value.strip()
        if target is None or not value:
            continue
        if target in SCALAR_TARGETS:
            body[target] = _joined(body.get(target), value)
        elif target in CONTACT_TARGETS:
            body.setdefault("contact_points", []).append({"kind": target, "value": value})
        elif target.startswith("address."):
            part = target.removeprefix("address.")
            address[part] = _joined(address.get(part), value)
        else:
            system = target.removeprefix("identifier.")
            body.setdefault("identifiers", []).append({"system": system, "value": value})
    if address:
        body["addresses"] = [address]
    return body


def csv_rows(content: bytes, mapping: Mapping[str, str]) -> Iterator[ParsedRow]:
    """Every data row of a CSV (checked by ``check_csv``) as a body."""
    rows = _reader(decode(content))
    header = [cell.strip() for cell in next(rows, [])]
    number = 0
    while True:
        try:
            cells = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield ParsedRow(number, None, {"row": [f"unreadable CSV: {exc}"]})
            continue
        if not any(cell.strip() for cell in cells):
            continue
        number += 1
        if len(cells) > len(header):
            yield ParsedRow(
                number, None, {"row": [f"{len(cells)} cells, header has {len(header)}"]}
            )
            continue
        yield ParsedRow(number, _csv_body(dict(zip(header, cells, strict=False)), mapping))


def ndjson_rows(content: bytes) -> Iterator[ParsedRow]:
    """Every non-blank line of an NDJSON file as a body."""
    number = 0
    for line in decode(content).splitlines():
        if not line.strip():
            continue
        number += 1
        if len(line) > MAX_FIELD:
            yield ParsedRow(number, None, {"row": ["line too long"]})
            continue
        try:
            body = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield ParsedRow(number, None, {"row": [f"not JSON: {exc}"[:200]]})
            continue
        if not isinstance(body, dict):
            yield ParsedRow(number, None, {"row": ["not a JSON object"]})
            continue
        yield ParsedRow(number, body)


def parse_rows(
    file_format: str, content: bytes, mapping: Mapping[str, str] | None
) -> list[ParsedRow]:
    """Every row of a stored import file, in order."""
    if file_format == "csv":
        return list(csv_rows(content, mapping or {}))
    return list(ndjson_rows(content))
