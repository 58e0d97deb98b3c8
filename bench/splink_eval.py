"""Identity resolution on public benchmark data: Splink's ``fake_1000``, via the API.

    git -C <a clone of moj-analytical-services/splink> show \\
        HEAD:tests/datasets/fake_1000_from_splink_demos.csv > /tmp/splink/fake_1000.csv
    python bench/splink_eval.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_eval \\
        --csv /tmp/splink/fake_1000.csv

``fake_1000`` (Ministry of Justice, the demo and test set of the Splink linkage library) holds
1,000 records of 181 people made by its own generator, not ours: ``first_name``, ``surname``,
``dob``, ``city``, ``email`` and the true ``cluster``. Up to ten records a person, with typos in
every field, given and family names swapped, dates of birth moved by weeks or months, emails
mangled into invalid text, and fields left empty. A record is sent as a department would map
it: ``first_name`` → ``given_name``, ``surname`` → ``family_name``, ``dob`` → ``date_of_birth``,
``city`` → an address's ``locality`` (country GB) and ``email`` → an email contact point.
Empty fields are left out; so is an email the API refuses as not an address (``--raw-emails``
sends every one as written, to count the refusals).

Paths (bench/matching_eval.py's, in a scratch copy of ``--database-url``, whose citizens are the
background): ``realtime`` (match, then create, one by one; a 409 joins the named record's
cluster) and, with ``--scan``, the records created without matching and scanned for duplicates.
Pairwise precision, recall and F1.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path
from typing import Any

from _common import OUT_DIR
from matching_eval import SCAN_SCOPES, Api, run_realtime, run_scan
from matching_report import print_examples, save
from matching_scratch import scratch_copy

from cgcrm.citizens.normalize import normalise_email


def _email(text: str, raw: bool) -> str | None:
    if raw:
        return text
    try:
        normalise_email(text)
    except ValueError:
        return None
    return text


def body_of(row: dict[str, str], raw_emails: bool = False) -> dict[str, Any]:
    """The record as a department would send it to ``POST /api/v1/citizens``."""
    body: dict[str, Any] = {}
    if row["first_name"]:
        body["given_name"] = row["first_name"]
    if row["surname"]:
        body["family_name"] = row["surname"]
    if row["dob"]:
        body["date_of_birth"] = row["dob"]
    if row["city"]:
        body["addresses"] = [{"locality": row["city"], "country": "GB"}]
    email = _email(row["email"], raw_emails) if row["email"] else None
    if email:
        body["contact_points"] = [{"kind": "email", "value": email}]
    return body


def read_records(path: Path, raw_emails: bool) -> list[dict[str, Any]]:
    with path.open(newline="") as handle:
        rows = [{k: v.strip() for k, v in row.items()} for row in csv.DictReader(handle)]
    return [
        {
            "record_id": row["unique_id"],
            "cluster": row["cluster"],
            "body": body_of(row, raw_emails),
            "kind": "record",
            "corruptions": [],  # the set does not say which errors a record carries
        }
        for row in rows
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="background database (template)")
    parser.add_argument("--csv", type=Path, required=True, help="fake_1000_from_splink_demos.csv")
    parser.add_argument("--scan", action="store_true", help="also scan the records")
    parser.add_argument("--raw-emails", action="store_true", help="send invalid emails too")
    parser.add_argument("--examples", type=int, default=4)
    args = parser.parse_args(argv)

    records = read_records(args.csv, args.raw_emails)
    results: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name in ("realtime", "scan") if args.scan else ("realtime",):
        started = time.perf_counter()
        with scratch_copy(args.database_url, f"splink_{name}", keep=False) as url:
            api = Api(url, SCAN_SCOPES)
            try:
                if name == "scan":
                    result = run_scan(api, url, records, errors)
                else:
                    result = run_realtime(api, records, errors)
            finally:
                api.close()
        result["seconds"] = round(time.perf_counter() - started, 1)
        results[name] = result
        shown = {k: v for k, v in result.items() if "latency" not in k}
        print(f"\n{name}: {json.dumps(shown)}", flush=True)

    save(OUT_DIR, "splink", results, errors)
    print("\nsummary (pairwise):")
    for name, r in results.items():
        if name == "errors":
            continue
        print(
            f"  {name:<9} precision {r['precision']:.4f}  recall {r['recall']:.4f}  "
            f"F1 {r['f1']:.4f}  blocking recall {r.get('blocking_recall')}"
        )
    print("\nexamples:")
    print_examples(errors, args.examples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
