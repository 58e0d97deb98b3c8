"""How another office types a person: nicknames, typos, swaps, moves and missing fields.

A ``Corruptor`` edits a copy of a citizen body; ``corrupt`` applies one to three corruptions
and keeps at least one field besides the name intact (``bench/matching_data.py`` uses it).
"""

from __future__ import annotations

import copy
import csv
import random
from datetime import date
from pathlib import Path
from typing import Any

from _common import PROJECT_ROOT

from cgcrm.citizens.synthetic import make_typo

NICKNAMES_CSV = PROJECT_ROOT / "cgcrm" / "matching" / "data" / "nicknames.csv"
REFERENCE = date(2025, 7, 1)

# Characters an OCR pass or a hurried reader confuses, both ways.
OCR_CONFUSIONS = (
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("d", "cl"),
    ("vv", "w"),
    ("w", "vv"),
    ("li", "h"),
    ("h", "li"),
    ("e", "c"),
    ("c", "e"),
    ("i", "l"),
    ("l", "i"),
    ("o", "0"),
    ("u", "v"),
    ("n", "h"),
)
STREET_WORDS = {
    "Street": "St",
    "Road": "Rd",
    "Avenue": "Ave",
    "Drive": "Dr",
    "Place": "Pl",
    "Court": "Ct",
    "Crescent": "Cres",
    "Parade": "Pde",
    "Terrace": "Tce",
    "Lane": "Ln",
    "Highway": "Hwy",
    "Close": "Cl",
}


def load_nicknames(path: Path = NICKNAMES_CSV) -> dict[str, list[str]]:
    """Lower-case name -> the names it may be written as (nicknames, or the formal names)."""
    variants: dict[str, set[str]] = {}
    if not path.exists():
        return {}
    with path.open() as handle:
        for row in csv.DictReader(handle):
            formal, nick = row["name1"].strip().lower(), row["name2"].strip().lower()
            if formal and nick and formal != nick:
                variants.setdefault(formal, set()).add(nick)
                variants.setdefault(nick, set()).add(formal)
    return {name: sorted(names) for name, names in variants.items()}


def _title(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


# --- corruptions: each edits a body in place and returns a label, or None if it cannot apply --


class Corruptor:
    def __init__(
        self, rng: random.Random, nicknames: dict[str, list[str]], donors: list[dict[str, Any]]
    ) -> None:
        self.rng = rng
        self.nicknames = nicknames
        self.donors = donors  # other people's records, for new addresses, phones, spouses' names

    def pick(self, items: list[Any]) -> Any:
        return items[int(self.rng.random() * len(items))]

    def typo_name(self, body: dict[str, Any]) -> str | None:
        field = "family_name" if self.rng.random() < 0.5 else "given_name"
        value = body.get(field)
        if not value or len(value) < 3:
            return None
        body[field] = make_typo(value, self.rng)
        return f"typo:{field}" if body[field] != value else None

    def ocr_name(self, body: dict[str, Any]) -> str | None:
        field = "family_name" if self.rng.random() < 0.6 else "given_name"
        value = body.get(field)
        if not value or len(value) < 3:
            return None
        options = [
            (i, a, b)
            for a, b in OCR_CONFUSIONS
            for i in range(1, len(value))
            if value.lower().startswith(a, i)
        ]
        if not options:
            return None
        i, a, b = self.pick(options)
        body[field] = value[:i] + b + value[i + len(a) :]
        return f"ocr:{field}"

    def two_typos(self, body: dict[str, Any]) -> str | None:
        first, second = self.typo_name(body), self.typo_name(body)
        return "typo:twice" if first and second else (first or second)

    def nickname(self, body: dict[str, Any]) -> str | None:
        given = body.get("given_name")
        if not given:
            return None
        options = self.nicknames.get(given.lower())
        if not options:
            return None
        body["given_name"] = _title(self.pick(options))
        body["preferred_name"] = None
        return "nickname"

    def swap_names(self, body: dict[str, Any]) -> str | None:
        if not body.get("given_name") or not body.get("family_name"):
            return None
        body["given_name"], body["family_name"] = body["family_name"], body["given_name"]
        return "swapped_names"

    def transpose_dob(self, body: dict[str, Any]) -> str | None:
        dob = parse_date(body.get("date_of_birth"))
        if dob is None or dob.day > 12 or dob.day == dob.month:
            return None
        body["date_of_birth"] = date(dob.year, dob.day, dob.month).isoformat()
        return "dob:day_month"

    def digit_dob(self, body: dict[str, Any]) -> str | None:
        dob = parse_date(body.get("date_of_birth"))
        if dob is None:
            return None
        text = dob.isoformat()
        for _ in range(10):
            position = self.pick([2, 3, 5, 6, 8, 9])  # a digit of the year, month or day
            digit = str(self.pick([d for d in "0123456789" if d != text[position]]))
            candidate = parse_date(text[:position] + digit + text[position + 1 :])
            if candidate is not None and candidate < REFERENCE and candidate.year > 1915:
                body["date_of_birth"] = candidate.isoformat()
                return "dob:digit"
        return None

    def moved(self, body: dict[str, Any]) -> str | None:
        donor = self.pick(self.donors)
        current = [a for a in donor.get("addresses", []) if a.get("valid_to") is None]
        if not current:
            return None
        new = dict(current[0])
        new["valid_from"] = "2025-12-01"  # after every address the generator makes
        old = [dict(a) for a in body.get("addresses", []) if a.get("valid_to") is None]
        keep_old = self.rng.random() < 0.4 and old
        if keep_old:
            old[0]["valid_to"] = "2025-11-30"
            body["addresses"] = [new, old[0]]
        else:
            body["addresses"] = [new]
        return "moved_address" + ("+previous" if keep_old else "")

    def address_format(self, body: dict[str, Any]) -> str | None:
        addresses = body.get("addresses") or []
        if not addresses:
            return None
        first = dict(addresses[0])
        line = first["line1"]
        for long, short in STREET_WORDS.items():
            if line.endswith(" " + long):
                line = line[: -len(long)] + short
                break
        else:
            line = line.upper()
        if "/" in line and self.rng.random() < 0.5:
            unit, _, rest = line.partition("/")
            line = f"Unit {unit} {rest}"
        first["line1"] = line
        if self.rng.random() < 0.3:
            first["postcode"] = None
        body["addresses"] = [first, *addresses[1:]]
        return "address_format"

    def missing(self, body: dict[str, Any]) -> str | None:
        options = [
            f
            for f in ("date_of_birth", "contact_points", "addresses", "identifiers", "middle_names")
            if body.get(f)
        ]
        if not options:
            return None
        field = self.pick(options)
        body[field] = [] if isinstance(body[field], list) else None
        return f"missing:{field}"

    def missing_name(self, body: dict[str, Any]) -> str | None:
        # A file that lacks one name (mononyms, or a column not filled in).
        if not body.get("given_name") or not body.get("family_name"):
            return None
        field = "given_name" if self.rng.random() < 0.6 else "family_name"
        body[field] = None
        body["previous_names"] = []
        return f"missing:{field}"

    def family_parts(self, body: dict[str, Any]) -> str | None:
        family = body.get("family_name")
        if not family:
            return None
        if "-" in family:
            a, _, b = family.partition("-")
            body["family_name"] = self.pick([a, b, f"{a} {b}"])
        elif " " in family:
            a, _, b = family.partition(" ")
            body["family_name"] = self.pick([a + b, b, f"{a}-{b}"])
        else:
            other = self.pick(self.donors).get("family_name") or "Smith"
            body["family_name"] = (
                f"{family}-{other}" if self.rng.random() < 0.6 else f"{other}-{family}"
            )
        return "family_parts"

    def married(self, body: dict[str, Any]) -> str | None:
        family = body.get("family_name")
        dob = parse_date(body.get("date_of_birth"))
        if not family or not body.get("given_name") or dob is None or dob.year > 2005:
            return None
        new = self.pick(self.donors).get("family_name")
        if not new or new == family:
            return None
        body["family_name"] = new
        if self.rng.random() < 0.5:
            body["previous_names"] = [
                {
                    "given_name": body["given_name"],
                    "family_name": family,
                    "valid_from": None,
                    "valid_to": "2024-06-01",
                }
            ]
        else:
            body["previous_names"] = []
        return "married_name"

    def phone_email(self, body: dict[str, Any]) -> str | None:
        points = [dict(p) for p in body.get("contact_points") or []]
        if not points:
            return None
        point = self.pick(points)
        value = point["value"]
        if point["kind"] == "phone":
            digits = "".join(ch for ch in value if ch.isdigit())
            if digits.startswith("61"):
                digits = "0" + digits[2:]
            u = self.rng.random()
            if u < 0.35:
                point["value"] = "+61" + digits[1:]
            elif u < 0.7:
                point["value"] = (
                    f"({digits[:2]}) {digits[2:6]} {digits[6:]}"
                    if digits[1] != "4"
                    else f"{digits[:4]}-{digits[4:7]}-{digits[7:]}"
                )
            else:
                donor_phones = [
                    p
                    for p in self.pick(self.donors).get("contact_points", [])
                    if p["kind"] == "phone"
                ]
                if not donor_phones:
                    return None
                point["value"] = donor_phones[0]["value"]
                label = "phone:new"
                body["contact_points"] = [p if p["value"] != value else point for p in points]
                return label
            body["contact_points"] = [p if p["value"] != value else point for p in points]
            return "phone:format"
        local, _, domain = value.partition("@")
        u = self.rng.random()
        if u < 0.4:
            point["value"] = (
                value.upper() if self.rng.random() < 0.5 else local.capitalize() + "@" + domain
            )
            label = "email:case"
        elif u < 0.6:
            point["value"] = f"{local}+crm@{domain}"
            label = "email:tag"
        else:
            point["value"] = (
                f"{local.replace('.', '_')}{int(self.rng.random() * 90) + 10}@example.net"
            )
            label = "email:new"
        body["contact_points"] = [p if p["value"] != value else point for p in points]
        return label


def parse_date(text: Any) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


# How likely each corruption is drawn for a duplicate (relative weights).
CORRUPTIONS: tuple[tuple[str, float], ...] = (
    ("typo_name", 22),
    ("ocr_name", 6),
    ("two_typos", 4),
    ("nickname", 10),
    ("swap_names", 4),
    ("transpose_dob", 5),
    ("digit_dob", 6),
    ("moved", 12),
    ("address_format", 8),
    ("missing", 12),
    ("missing_name", 2),
    ("family_parts", 3),
    ("married", 3),
    ("phone_email", 10),
)


def _evidence(original: dict[str, Any], copied: dict[str, Any]) -> int:
    """How many things besides the name still say "same person": an unchanged date of birth,
    current address, phone or email, or identifier."""

    def current(body: dict[str, Any]) -> set[str]:
        return {
            a["line1"].lower() for a in body.get("addresses") or [] if a.get("valid_to") is None
        }

    def contacts(body: dict[str, Any]) -> set[str]:
        return {
            "".join(ch for ch in p["value"].lower() if ch.isalnum())[-9:]
            for p in body.get("contact_points") or []
        }

    def identifiers(body: dict[str, Any]) -> set[str]:
        return {f"{i['system']}:{i['value']}" for i in body.get("identifiers") or []}

    return sum(
        (
            bool(copied.get("date_of_birth"))
            and copied.get("date_of_birth") == original.get("date_of_birth"),
            bool(current(original) & current(copied)),
            bool(contacts(original) & contacts(copied)),
            bool(identifiers(original) & identifiers(copied)),
        )
    )


def corrupt(body: dict[str, Any], corruptor: Corruptor) -> tuple[dict[str, Any], list[str]]:
    """A copy of ``body`` as another office typed it: one to three corruptions, leaving at
    least one thing besides the name (a person would not match it otherwise either)."""
    for _ in range(8):
        copied, labels = _corrupt_once(body, corruptor)
        if _evidence(body, copied) >= 1:
            break
    return copied, labels


def _corrupt_once(body: dict[str, Any], corruptor: Corruptor) -> tuple[dict[str, Any], list[str]]:
    rng = corruptor.rng
    copied = copy.deepcopy(body)
    copied["identifiers"] = []  # another department's file: its own identifiers, if any
    if body.get("identifiers") and rng.random() < 0.25:
        copied["identifiers"] = [dict(body["identifiers"][0])]  # the same licence number
    wanted = 1 + (rng.random() < 0.55) + (rng.random() < 0.2)
    labels: list[str] = []
    names = [name for name, _ in CORRUPTIONS]
    weights = [weight for _, weight in CORRUPTIONS]
    for _ in range(wanted * 3):
        if len(labels) >= wanted:
            break
        name = rng.choices(names, weights)[0]
        if any(label.startswith(name.split("_")[0]) for label in labels):
            continue
        label = getattr(corruptor, name)(copied)
        if label:
            labels.append(label)
    if rng.random() < 0.3:  # case and spacing noise, which any office adds
        for field in ("given_name", "family_name"):
            if copied.get(field):
                copied[field] = (
                    copied[field].upper() if rng.random() < 0.5 else f" {copied[field]} "
                )
    if not copied.get("given_name") and not copied.get("family_name"):
        copied["family_name"] = body.get("family_name") or body.get("given_name")
    copied["preferences"] = {}
    return copied, labels
