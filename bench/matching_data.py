"""Ground truth for identity resolution: synthetic people, their corrupted copies and look-alikes.

    python bench/matching_data.py --people 2000 --seed 11 --after 1000000

Writes to ``bench/out/matching/`` (``--out``):

- ``dedupe.ndjson``: records in arrival order, each ``{"record_id", "cluster", "kind",
  "corruptions", "body"}``; records of one cluster are one person. ``dedupe.csv`` is the same
  records flattened to the columns a department's file would have (for a bulk import).
- ``linkage_a.ndjson`` and ``linkage_b.ndjson``: two files without duplicates inside either;
  ``linkage_truth.csv`` (``b_record_id,a_record_id``, empty when B's person is not in A).
- ``summary.json``: the counts of clusters, records, corruptions and look-alikes.

People come from ``cgcrm.citizens.synthetic.generate_citizens`` (names with the frequencies of
the US Census and SSA counts). A duplicate is the person's record as another office typed it:
one to three corruptions among typos (keyboard, OCR, insertion, deletion, transposition,
phonetic), a nickname or the formal name behind one, given and family names swapped, day and
month of birth transposed, one digit of the date wrong, a move to a new address, missing
fields, a hyphenated or multi-part family name written another way, a married name, phone and
email written differently or replaced. Hard negatives are people of their own: twins (same
family name, date of birth and address, another given name) and household members (same family
name and address, another given name and date of birth, sometimes the same given name: a
father and son). Everything is drawn from ``random.Random(seed)``: same seed, same files.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import random
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _common import OUT_DIR, PROJECT_ROOT

from cgcrm.citizens.synthetic import generate_citizens, make_typo

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
        dob = _date(body.get("date_of_birth"))
        if dob is None or dob.day > 12 or dob.day == dob.month:
            return None
        body["date_of_birth"] = date(dob.year, dob.day, dob.month).isoformat()
        return "dob:day_month"

    def digit_dob(self, body: dict[str, Any]) -> str | None:
        dob = _date(body.get("date_of_birth"))
        if dob is None:
            return None
        text = dob.isoformat()
        for _ in range(10):
            position = self.pick([2, 3, 5, 6, 8, 9])  # a digit of the year, month or day
            digit = str(self.pick([d for d in "0123456789" if d != text[position]]))
            candidate = _date(text[:position] + digit + text[position + 1 :])
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
        dob = _date(body.get("date_of_birth"))
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


def _date(text: Any) -> date | None:
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


# --- look-alikes: people of their own --------------------------------------------------------


def twin(person: dict[str, Any], stranger: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The person's twin: same family name, date of birth and address; the stranger's given
    name, contacts and identifiers."""
    body = copy.deepcopy(stranger)
    body["family_name"] = person["family_name"]
    body["date_of_birth"] = person["date_of_birth"]
    body["addresses"] = copy.deepcopy(person["addresses"])
    body["previous_names"] = []
    if body["given_name"] == person["given_name"]:
        body["given_name"] = body["given_name"] + "a" if rng.random() < 0.5 else "Alex"
    return body


def household_member(
    person: dict[str, Any], stranger: dict[str, Any], rng: random.Random
) -> tuple[dict[str, Any], str]:
    """A spouse, child or parent: same family name and address, another date of birth; one in
    five children bears the parent's given name (a Jr.)."""
    body = copy.deepcopy(stranger)
    body["family_name"] = person["family_name"]
    body["addresses"] = copy.deepcopy(person["addresses"])
    body["previous_names"] = []
    dob = _date(person.get("date_of_birth")) or date(1980, 1, 1)
    u = rng.random()
    if u < 0.45:
        kind = "spouse"
        shift = int((rng.random() * 10 - 5) * 365) or 200
    else:
        kind = "child" if dob.year < 1995 else "parent"
        shift = int((22 + rng.random() * 15) * 365) * (1 if kind == "child" else -1)
        if rng.random() < 0.2:
            body["given_name"] = person["given_name"]
            body["middle_names"] = None
            kind += ":same_given"
    new = dob + timedelta(days=shift)
    body["date_of_birth"] = min(new, REFERENCE - timedelta(days=30)).isoformat()
    # A shared landline, sometimes.
    landlines = [
        p
        for p in person.get("contact_points", [])
        if p["kind"] == "phone"
        and not p["value"].replace(" ", "").replace("+61", "0").startswith("04")
    ]
    if landlines and rng.random() < 0.5:
        body["contact_points"] = [p for p in body["contact_points"] if p["kind"] == "email"] + [
            dict(landlines[0])
        ]
    return body, kind


# --- the data sets ------------------------------------------------------------------------------


def duplicate_counts(rng: random.Random) -> int:
    """How many more records of one person arrive: most people once."""
    u = rng.random()
    return 0 if u < 0.6 else 1 if u < 0.85 else 2 if u < 0.96 else 3


def build_population(
    people: int, seed: int, after: int, stream_seed: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(people with cluster ids and kinds, donors). Look-alikes are added as people of their own.

    People are the citizens ``after`` onwards of ``generate_citizens(seed=stream_seed)``: a
    database loaded with the first ``after`` of that stream (bench/load_citizens.py, same seed)
    is their background, and no identifier or email of theirs is already recorded there.
    """
    rng = random.Random(seed)
    stream = generate_citizens(after + people * 3, seed=stream_seed)
    for _ in range(after):
        next(stream)
    base = [next(stream) for _ in range(people)]
    strangers = list(stream)
    population: list[dict[str, Any]] = []
    for body in base:
        population.append({"kind": "person", "body": body})
    extra = iter(strangers)
    for index in range(people):
        person = base[index]
        u = rng.random()
        if u < 0.03 and person.get("date_of_birth"):
            population.append({"kind": "twin", "of": index, "body": twin(person, next(extra), rng)})
        elif u < 0.13 and person.get("addresses"):
            body, kind = household_member(person, next(extra), rng)
            population.append({"kind": f"household:{kind}", "of": index, "body": body})
    donors = list(extra)
    for cluster, entry in enumerate(population):
        entry["cluster"] = cluster
    return population, donors


def dedupe_records(population: list[dict[str, Any]], corruptor: Corruptor) -> list[dict[str, Any]]:
    rng = corruptor.rng
    records: list[dict[str, Any]] = []
    for entry in population:
        records.append(
            {
                "cluster": entry["cluster"],
                "kind": entry["kind"],
                "corruptions": [],
                "body": entry["body"],
            }
        )
        for _ in range(duplicate_counts(rng)):
            body, labels = corrupt(entry["body"], corruptor)
            records.append(
                {
                    "cluster": entry["cluster"],
                    "kind": entry["kind"],
                    "corruptions": labels,
                    "body": body,
                }
            )
    rng.shuffle(records)
    for number, record in enumerate(records):
        record["record_id"] = f"d{number:07d}"
    return records


def linkage_records(
    population: list[dict[str, Any]], corruptor: Corruptor, overlap: float
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str]]]:
    """File A: one record per person of the first two thirds of the population; file B: a
    corrupted copy of ``overlap`` of A's people, and the people of the last third (some of them
    look-alikes of A's people)."""
    rng = corruptor.rng
    cut = len(population) * 2 // 3
    a_people, b_only = population[:cut], population[cut:]
    a_records, b_records, truth = [], [], []
    for entry in a_people:
        a_id = f"a{len(a_records):07d}"
        a_records.append(
            {
                "record_id": a_id,
                "cluster": entry["cluster"],
                "kind": entry["kind"],
                "corruptions": [],
                "body": entry["body"],
            }
        )
        if rng.random() < overlap:
            body, labels = corrupt(entry["body"], corruptor)
            b_records.append(
                {
                    "cluster": entry["cluster"],
                    "kind": entry["kind"],
                    "corruptions": labels,
                    "body": body,
                    "truth": a_id,
                }
            )
    for entry in b_only:
        b_records.append(
            {
                "cluster": entry["cluster"],
                "kind": entry["kind"],
                "corruptions": [],
                "body": entry["body"],
                "truth": "",
            }
        )
    rng.shuffle(b_records)
    for number, record in enumerate(b_records):
        record["record_id"] = f"b{number:07d}"
        truth.append((record["record_id"], record.pop("truth")))
    return a_records, b_records, truth


CSV_COLUMNS = (
    "record_id",
    "cluster",
    "given_name",
    "middle_names",
    "family_name",
    "date_of_birth",
    "email",
    "phone",
    "line1",
    "locality",
    "region",
    "postcode",
)


def flat(record: dict[str, Any]) -> dict[str, Any]:
    body = record["body"]
    points = body.get("contact_points") or []
    current = [a for a in body.get("addresses") or [] if a.get("valid_to") is None] or [{}]
    first = lambda kind: next((p["value"] for p in points if p["kind"] == kind), "")  # noqa: E731
    return {
        "record_id": record["record_id"],
        "cluster": record["cluster"],
        "given_name": body.get("given_name") or "",
        "middle_names": body.get("middle_names") or "",
        "family_name": body.get("family_name") or "",
        "date_of_birth": body.get("date_of_birth") or "",
        "email": first("email"),
        "phone": first("phone"),
        "line1": current[0].get("line1") or "",
        "locality": current[0].get("locality") or "",
        "region": current[0].get("region") or "",
        "postcode": current[0].get("postcode") or "",
    }


def create_body(body: dict[str, Any]) -> dict[str, Any]:
    """The record as a create body: None values and empty lists left out."""
    return {k: v for k, v in body.items() if v not in (None, [], {})}


def write_ndjson(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_ndjson(path: Path) -> Iterator[dict[str, Any]]:
    with path.open() as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def generate(
    people: int, seed: int, out: Path, overlap: float = 0.5, after: int = 0, stream_seed: int = 2026
) -> dict[str, Any]:
    population, donors = build_population(people, seed, after, stream_seed)
    corruptor = Corruptor(random.Random(seed + 1), load_nicknames(), donors)
    records = dedupe_records(population, corruptor)
    a_records, b_records, truth = linkage_records(population, corruptor, overlap)

    out.mkdir(parents=True, exist_ok=True)
    write_ndjson(out / "dedupe.ndjson", records)
    with (out / "dedupe.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(flat(r) for r in records)
    write_ndjson(out / "linkage_a.ndjson", a_records)
    write_ndjson(out / "linkage_b.ndjson", b_records)
    with (out / "linkage_truth.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["b_record_id", "a_record_id"])
        writer.writerows(truth)

    sizes = Counter(r["cluster"] for r in records)
    corruptions: Counter[str] = Counter(
        label.split(":")[0] + (":" + label.split(":")[1] if ":" in label else "")
        for r in records
        for label in r["corruptions"]
    )
    summary = {
        "seed": seed,
        "stream": {"seed": stream_seed, "after": after},
        "people": people,
        "clusters": len(population),
        "lookalikes": dict(Counter(e["kind"] for e in population if e["kind"] != "person")),
        "dedupe_records": len(records),
        "dedupe_true_pairs": sum(n * (n - 1) // 2 for n in sizes.values()),
        "dedupe_cluster_sizes": dict(sorted(Counter(sizes.values()).items())),
        "linkage_a": len(a_records),
        "linkage_b": len(b_records),
        "linkage_true_links": sum(1 for _, a in truth if a),
        "corruptions": dict(corruptions.most_common()),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2000, help="people before look-alikes")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--overlap", type=float, default=0.5, help="share of A's people in B")
    parser.add_argument("--out", type=Path, default=OUT_DIR / "matching")
    parser.add_argument(
        "--after",
        type=int,
        default=1_000_000,
        help="skip this many citizens of the stream: the background database's (load_citizens)",
    )
    parser.add_argument("--stream-seed", type=int, default=2026, help="load_citizens' --seed")
    args = parser.parse_args(argv)
    summary = generate(args.people, args.seed, args.out, args.overlap, args.after, args.stream_seed)
    print(json.dumps(summary, indent=1))
    print(f"wrote dedupe.ndjson, dedupe.csv, linkage_a.ndjson, linkage_b.ndjson to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
