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

from _common import OUT_DIR
from matching_corruption import (
    REFERENCE,
    Corruptor,
    corrupt,
    load_nicknames,
    parse_date,
)

from cgcrm.citizens.synthetic import generate_citizens

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
    dob = parse_date(person.get("date_of_birth")) or date(1980, 1, 1)
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
