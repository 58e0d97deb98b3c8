"""Name frequencies from public sources, read once from the gzipped CSVs in ``data/``.

``family_names.csv.gz``: US Census 2010 surnames with their counts (162,253 names, each borne by
at least 100 people); ``given_names.csv.gz``: US Social Security Administration baby-name
counts summed over each birth era of the generator, by sex. Drawing with these counts gives
the long tail of a real population: most people share their family name with few others.
How the files were derived, their sources and licences: ``data/README.md``.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

from cgcrm.citizens.synthetic.base import Weighted

DATA = Path(__file__).resolve().parent / "data"


def _rows(filename: str) -> list[list[str]]:
    with gzip.open(DATA / filename, "rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        next(reader)  # header
        return list(reader)


def census_family_names() -> Weighted[str]:
    """Every Census 2010 surname, weighted by how many people bear it."""
    return Weighted([(name, float(count)) for name, count in _rows("family_names.csv.gz")])


def ssa_given_names() -> dict[tuple[str, str], Weighted[str]]:
    """Given names by (era, sex), weighted by the births that received them in that era."""
    pairs: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for era, sex, name, count in _rows("given_names.csv.gz"):
        pairs.setdefault((era, sex), []).append((name, float(count)))
    return {key: Weighted(value) for key, value in pairs.items()}
