"""Derive the name-frequency files of this folder from their public sources (see README.md).

    python cgcrm/citizens/synthetic/data/derive_names.py \\
        --census-json surnames-2010.lookup.json --ssa-dir names/

Reads the US Census 2010 surname counts (``{"SMITH": [rank, count], ...}``, a JSON form of
``Names_2010Census.csv``) and the SSA national baby-name files (``yobYYYY.txt``:
``Name,Sex,Count``), and writes:

- ``family_names.csv.gz``: ``name,count`` for every surname counted at least ``--min-count``
  times, in the Census's spelling restored to mixed case (``MCDONALD`` -> ``McDonald``,
  ``OBRIEN`` -> ``O'Brien`` for the Irish stems of ``GAELIC_O_STEMS``);
- ``given_names.csv.gz``: ``era,sex,name,count``: SSA births summed over the birth years of
  each era of the generator (``older`` before 1970, ``middle`` 1970-1994, ``young`` from 1995),
  the names of at least ``--min-given`` births in that era, most frequent first.

Deterministic: the same inputs give byte-identical outputs (gzip without a timestamp).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ERAS = (("older", 1920, 1969), ("middle", 1970, 1994), ("young", 1995, 2023))
# Irish surnames the Census writes without their apostrophe (OBRIEN). Only the spelling is
# restored; every frequency comes from the Census. Other O-names (Ochoa, Otero) stay as they are.
GAELIC_O_STEMS = frozenset(
    [
        "BANNON",
        "BOYLE",
        "BRIEN",
        "BRYAN",
        "BRYANT",
        "CALLAGHAN",
        "CONNELL",
        "CONNER",
        "CONNOR",
        "DAY",
        "DEA",
        "DELL",
        "DOHERTY",
        "DONNELL",
        "DONOGHUE",
        "DONOVAN",
        "DOWD",
        "DWYER",
        "FARRELL",
        "FLAHERTY",
        "GARA",
        "GORMAN",
        "GRADY",
        "HALLORAN",
        "HANLON",
        "HARA",
        "HARE",
        "KANE",
        "KEEFE",
        "KEEFFE",
        "KELLY",
        "LEARY",
        "LOUGHLIN",
        "MALLEY",
        "MARA",
        "MEARA",
        "NEAL",
        "NEIL",
        "NEILL",
        "QUINN",
        "REILLY",
        "ROURKE",
        "SHEA",
        "SHAUGHNESSY",
        "SULLIVAN",
        "TOOLE",
    ]
)


def mixed_case(upper: str) -> str:
    """Census surnames are upper case without punctuation; restore the usual spelling."""
    if upper.startswith("MC") and len(upper) > 3:
        return "Mc" + upper[2:].capitalize()
    if upper.startswith("O") and upper[1:] in GAELIC_O_STEMS:
        return "O'" + upper[1:].capitalize()
    return upper.capitalize()


def write_gzip_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.getvalue().encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--census-json", type=Path, required=True)
    parser.add_argument("--ssa-dir", type=Path, required=True)
    parser.add_argument("--min-count", type=int, default=100)
    parser.add_argument("--min-given", type=int, default=100)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()

    census: dict[str, list[int]] = json.loads(args.census_json.read_text())
    families = Counter[str]()
    for upper, (_rank, count) in census.items():
        if count >= args.min_count and upper.isalpha():
            families[mixed_case(upper)] += count
    rows: list[list[object]] = [[name, n] for name, n in families.most_common()]
    write_gzip_csv(args.out / "family_names.csv.gz", ["name", "count"], rows)
    print(f"family names: {len(rows):,} ({sum(families.values()):,} people)")

    given_rows: list[list[object]] = []
    for era, first, last in ERAS:
        by_sex: dict[str, Counter[str]] = {"F": Counter(), "M": Counter()}
        for year in range(first, last + 1):
            for line in (args.ssa_dir / f"yob{year}.txt").read_text().splitlines():
                name, sex, count = line.strip().split(",")
                by_sex[sex][name] += int(count)
        for sex in ("F", "M"):
            kept = [(n, c) for n, c in by_sex[sex].most_common() if c >= args.min_given]
            given_rows.extend([era, sex, n, c] for n, c in kept)
            print(f"given names {era} {sex}: {len(kept):,}")
    write_gzip_csv(args.out / "given_names.csv.gz", ["era", "sex", "name", "count"], given_rows)


if __name__ == "__main__":
    main()
