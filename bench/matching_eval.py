"""Precision, recall and F1 of identity resolution through the API, against known truth.

    python bench/matching_eval.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_eval --people 1000

``--database-url`` is a loaded database (bench/load_citizens.py): its citizens are the
background population the records are matched among; it is used as a template and never
changed. Each path runs in a scratch copy of it (``CREATE DATABASE … TEMPLATE``, dropped after
unless ``--keep``), through the real app's HTTP layer in-process (Flask's test client, a bearer
token of a new client of department CUSTOMER):

- **real time**: the records of ``dedupe.ndjson`` (bench/matching_data.py) arrive one by one:
  ``POST /api/v1/citizens/match`` (its candidates say whether the true record was found, and
  in which band), then ``POST /api/v1/citizens``: 409 naming an existing record puts the
  record in that record's cluster, 201 starts a cluster of its own (a ``possible`` best
  candidate files a review item, counted apart).
- **linkage**: file A is created (``?on_match=create``), then each record of file B is matched
  (``POST /api/v1/citizens/match``): a ``match`` candidate links it to that record.
- **scan**: the dedupe records are created without matching (the app's match look-up set aside,
  as before issue 11: a pair a create filed would not be filed again by the scan), a duplicate
  scan is started (``POST /api/v1/duplicates/scans``), its job (the one a worker takes from
  the ``imports`` queue) runs in this process, and the ``match`` pairs it filed
  (``duplicate_pairs``, source ``scan``) are the predicted duplicates, joined into clusters
  (``possible`` ones are review items, counted apart).

Pairwise precision, recall and F1: every pair of records is predicted "same person" when they
end in one predicted cluster (real time, scan: connected components) or are linked (linkage),
and compared with the truth. Blocking recall: the share of records whose true earlier record
was among the candidates (any band). Outputs ``out/matching_eval.json`` (figures) and
``out/matching_errors.jsonl`` (every wrong decision with both records and the explanation).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import matching_data
import psycopg
from _common import OUT_DIR, bench_client, latency_summary, psycopg_url
from _inprocess import token_client
from matching_report import print_examples, save
from matching_scores import UnionFind, clusters_pairs, prf
from matching_scratch import background_count, scratch_copy

SCAN_SCOPES = "citizens:read citizens:write admin"


# --- the API --------------------------------------------------------------------------------


class Api:
    def __init__(self, database_url: str, scope: str) -> None:
        credentials = bench_client(database_url, scope=scope, name=f"eval-{uuid.uuid4().hex[:6]}")
        self.app, self.client, self.headers = token_client(database_url, credentials)

    def post(self, path: str, body: Any) -> tuple[int, Any, float]:
        started = time.perf_counter()
        response = self.client.post(path, json=body, headers=self.headers)
        elapsed = time.perf_counter() - started
        return response.status_code, response.get_json(silent=True), elapsed

    def get(self, path: str, **query: Any) -> tuple[int, Any, dict[str, str]]:
        response = self.client.get(path, query_string=query, headers=self.headers)
        return response.status_code, response.get_json(silent=True), dict(response.headers)

    def close(self) -> None:
        from cgcrm.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()


def candidates_of(payload: Any) -> list[dict[str, Any]]:
    if isinstance(payload, dict):
        return list(payload.get("candidates") or [])
    return []


def existing_id(problem: Any) -> str | None:
    if isinstance(problem, dict):
        for key in ("existing_citizen_id", "existing_citizen", "citizen_id", "existing_id"):
            if problem.get(key):
                return str(problem[key])
    return None


# --- paths ----------------------------------------------------------------------------------


def run_realtime(
    api: Api, records: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> dict[str, Any]:
    """Records arrive one by one: match, then create; 409 joins the existing record's cluster."""
    by_id = {r["record_id"]: r for r in records}
    citizen_of: dict[str, str] = {}  # record -> citizen it became or joined
    record_of_citizen: dict[str, str] = {}  # citizen -> first record that created it
    cluster_citizens: dict[int, set[str]] = defaultdict(set)
    outcomes: Counter[str] = Counter()
    blocking: Counter[str] = Counter()
    match_seconds: list[float] = []
    create_seconds: list[float] = []
    reviews: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for record in records:
        body = matching_data.create_body(record["body"])
        cluster = record["cluster"]
        true_ids = cluster_citizens[cluster]
        status, payload, seconds = api.post("/api/v1/citizens/match", body)
        match_seconds.append(seconds)
        candidates = candidates_of(payload) if status == 200 else []
        best = candidates[0] if candidates else None
        if true_ids:
            found = [c for c in candidates if c["citizen_id"] in true_ids]
            blocking["found" if found else "missed"] += 1
            if best is not None and best["citizen_id"] in true_ids:
                blocking["top1"] += 1
        status, created, seconds = api.post("/api/v1/citizens", body)
        create_seconds.append(seconds)
        statuses[status] += 1
        if status == 201:
            citizen = str(created["id"])
            record_of_citizen[citizen] = record["record_id"]
            if best is not None and best["band"] == "possible":
                truly = best["citizen_id"] in true_ids
                reviews["true" if truly else "false"] += 1
        elif status == 409 and existing_id(created):
            citizen = existing_id(created) or ""
        else:
            outcomes[f"refused:{status}"] += 1
            errors.append(
                {
                    "path": "realtime",
                    "kind": f"refused:{status}",
                    "record": record,
                    "problem": created,
                }
            )
            citizen = f"refused:{record['record_id']}"
        citizen_of[record["record_id"]] = citizen
        linked_to_other = status == 409 and citizen not in true_ids
        if status == 409 and citizen in true_ids:
            outcomes["linked_correctly"] += 1
        elif status == 201 and not true_ids:
            outcomes["created_correctly"] += 1
        elif status == 201 and true_ids:
            outcomes["missed_duplicate"] += 1
            true_candidate = next((c for c in candidates if c["citizen_id"] in true_ids), None)
            errors.append(
                {
                    "path": "realtime",
                    "kind": "false_negative",
                    "record": record,
                    "true_record": by_id.get(record_of_citizen.get(next(iter(true_ids)), ""), {}),
                    "true_candidate": true_candidate,
                    "best_candidate": best,
                    "best_candidate_record": by_id.get(
                        record_of_citizen.get(best["citizen_id"], ""), {}
                    )
                    if best
                    else None,
                }
            )
        elif linked_to_other:
            outcomes["linked_wrongly"] += 1
            other = record_of_citizen.get(citizen)
            errors.append(
                {
                    "path": "realtime",
                    "kind": "false_positive",
                    "record": record,
                    "linked_record": by_id.get(other, {"background_citizen": citizen})
                    if other
                    else {"background_citizen": citizen},
                    "candidate": best,
                }
            )
        if status in (201, 409) and citizen:
            cluster_citizens[cluster].add(citizen)
    predicted = clusters_pairs(citizen_of)
    true = clusters_pairs({r["record_id"]: str(r["cluster"]) for r in records})
    looked_up = blocking["found"] + blocking["missed"]
    return {
        **prf(predicted, true),
        "records": len(records),
        "outcomes": dict(outcomes),
        "statuses": dict(statuses),
        "review_items_filed": dict(reviews),
        "blocking_recall": round(blocking["found"] / looked_up, 4) if looked_up else None,
        "top1_is_true_record": round(blocking["top1"] / looked_up, 4) if looked_up else None,
        "records_with_an_earlier_true_record": looked_up,
        "match_latency": latency_summary(match_seconds),
        "create_latency": latency_summary(create_seconds),
    }


def create_all(
    api: Api, records: list[dict[str, Any]]
) -> tuple[dict[str, str], list[float], Counter[int]]:
    """Create every record anyway (``?on_match=create``); record -> citizen id."""
    citizen_of: dict[str, str] = {}
    seconds: list[float] = []
    statuses: Counter[int] = Counter()
    for record in records:
        status, created, elapsed = api.post(
            "/api/v1/citizens?on_match=create", matching_data.create_body(record["body"])
        )
        seconds.append(elapsed)
        statuses[status] += 1
        if status == 201:
            citizen_of[record["record_id"]] = str(created["id"])
    return citizen_of, seconds, statuses


def run_linkage(
    api: Api,
    a_records: list[dict[str, Any]],
    b_records: list[dict[str, Any]],
    truth: dict[str, str],
    errors: list[dict[str, Any]],
) -> dict[str, Any]:
    a_by_id = {r["record_id"]: r for r in a_records}
    started = time.perf_counter()
    citizen_of, create_seconds, statuses = create_all(api, a_records)
    load_seconds = time.perf_counter() - started
    record_of = {citizen: record for record, citizen in citizen_of.items()}
    predicted: set[tuple[str, str]] = set()
    seconds: list[float] = []
    blocking: Counter[str] = Counter()
    possible: Counter[str] = Counter()
    started = time.perf_counter()
    for record in b_records:
        status, payload, elapsed = api.post(
            "/api/v1/citizens/match", matching_data.create_body(record["body"])
        )
        seconds.append(elapsed)
        candidates = candidates_of(payload) if status == 200 else []
        true_a = truth.get(record["record_id"]) or ""
        true_citizen = citizen_of.get(true_a)
        if true_citizen:
            blocking[
                "found" if any(c["citizen_id"] == true_citizen for c in candidates) else "missed"
            ] += 1
        best = candidates[0] if candidates else None
        if best is None:
            linked = None
        elif best["band"] == "match":
            linked = record_of.get(best["citizen_id"], f"background:{best['citizen_id']}")
            predicted.add((record["record_id"], linked))
        else:
            linked = None
            if best["band"] == "possible":
                possible["true" if best["citizen_id"] == true_citizen else "false"] += 1
        if linked != (true_a or None):
            kind = "false_negative" if linked is None else "false_positive"
            true_candidate = next((c for c in candidates if c["citizen_id"] == true_citizen), None)
            errors.append(
                {
                    "path": "linkage",
                    "kind": kind,
                    "record": record,
                    "true_record": a_by_id.get(true_a),
                    "linked_record": a_by_id.get(linked or "", {"background_citizen": linked})
                    if linked
                    else None,
                    "best_candidate": best,
                    "true_candidate": true_candidate,
                }
            )
    match_seconds = time.perf_counter() - started
    true = {(b, a) for b, a in truth.items() if a}
    looked_up = blocking["found"] + blocking["missed"]
    return {
        **prf(predicted, true),
        "a_records": len(a_records),
        "b_records": len(b_records),
        "a_create_statuses": dict(statuses),
        "possible_not_linked": dict(possible),
        "blocking_recall": round(blocking["found"] / looked_up, 4) if looked_up else None,
        "a_load_records_per_s": round(len(a_records) / load_seconds, 1) if load_seconds else None,
        "b_match_records_per_s": round(len(b_records) / match_seconds, 1)
        if match_seconds
        else None,
        "create_latency": latency_summary(create_seconds),
        "match_latency": latency_summary(seconds),
    }


def run_scan(
    api: Api, database_url: str, records: list[dict[str, Any]], errors: list[dict[str, Any]]
) -> dict[str, Any]:
    """Create every record without matching, scan, compare the pairs the scan filed."""
    by_id = {r["record_id"]: r for r in records}
    # The creates must not match first: a pair a create filed is not filed again by the scan.
    lookup = api.app.extensions.pop("cgcrm.match_lookup", None)
    try:
        citizen_of, _, statuses = create_all(api, records)
    finally:
        if lookup is not None:
            api.app.extensions["cgcrm.match_lookup"] = lookup
    record_of = {citizen: record for record, citizen in citizen_of.items()}
    status, scan, _ = api.post("/api/v1/duplicates/scans", {})
    if status not in (200, 201, 202) or not isinstance(scan, dict):
        return {"available": False, "status": status, "answer": scan}
    # The job a worker would take from the imports queue, run here.
    from cgcrm.matching.scan_jobs import apply_scan

    started = time.perf_counter()
    with api.app.app_context():
        outcome = apply_scan(str(scan["id"]))
    scan_seconds = time.perf_counter() - started
    _, state, _ = api.get(f"/api/v1/duplicates/scans/{scan['id']}")

    union = UnionFind()
    review: Counter[str] = Counter()
    background_matches = 0
    with psycopg.connect(psycopg_url(database_url)) as conn:
        rows = conn.execute(
            "SELECT citizen_id::text, other_citizen_id::text, band, score, explanation "
            "FROM duplicate_pairs WHERE source = 'scan'"
        ).fetchall()
    background_examples: list[dict[str, Any]] = []
    for citizen_a, citizen_b, band, score, explanation in rows:
        a, b = record_of.get(citizen_a), record_of.get(citizen_b)
        same = a is not None and b is not None and by_id[a]["cluster"] == by_id[b]["cluster"]
        if band != "match":
            review["true" if same else "false"] += 1
            continue
        if a is None or b is None:
            background_matches += 1
            if len(background_examples) < 20:
                background_examples.append(
                    {"citizens": [citizen_a, citizen_b], "score": score, "explanation": explanation}
                )
            continue
        union.union(a, b)
        if not same:
            errors.append(
                {
                    "path": "scan",
                    "kind": "false_positive",
                    "record": by_id[a],
                    "linked_record": by_id[b],
                    "candidate": {"score": score, "band": band, "explanation": explanation},
                }
            )
    predicted = clusters_pairs({r: union.find(r) for r in citizen_of})
    # Only the stored records: a copy carrying an identifier already recorded was refused
    # (409), so no scan can find it.
    true = clusters_pairs({r: str(by_id[r]["cluster"]) for r in citizen_of})
    filed = {
        tuple(sorted((x, y)))
        for x, y in ((record_of.get(p[0]), record_of.get(p[1])) for p in rows)
        if x and y
    }
    for a, b in sorted(true - predicted)[:500]:
        errors.append(
            {
                "path": "scan",
                "kind": "false_negative",
                "record": by_id[a],
                "true_record": by_id[b],
                # The scan files match and possible pairs only: "not filed" is a pair scored
                # non_match or never compared (blocking).
                "true_candidate": {"band": "possible" if (a, b) in filed else "not filed"},
            }
        )
    result = prf(predicted, true)
    with_background = result["predicted_pairs"] + background_matches
    return {
        "available": True,
        **result,
        "precision_with_background": round(result["true_positives"] / with_background, 4)
        if with_background
        else 1.0,
        "records": len(records),
        "create_statuses": dict(statuses),
        "pairs_filed": len(rows),
        "match_pairs_with_background": background_matches,
        "possible_review_items": dict(review),
        "background_match_examples": describe_citizens(database_url, background_examples),
        "scan_outcome": outcome,
        "scan_seconds": round(scan_seconds, 1),
        "scan_state": state,
    }


def describe_citizens(database_url: str, examples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Name, date of birth and address of the citizens of each example pair (for the report)."""
    with psycopg.connect(psycopg_url(database_url)) as conn:
        for example in examples:
            example["who"] = [
                conn.execute(
                    "SELECT c.given_name, c.family_name, c.date_of_birth::text, "
                    "(SELECT line1 || ' ' || coalesce(postcode, '') FROM addresses a "
                    " WHERE a.citizen_id = c.id AND a.valid_to IS NULL LIMIT 1) "
                    "FROM citizens c WHERE c.id = %s",
                    (citizen,),
                ).fetchone()
                for citizen in example["citizens"]
            ]
    return examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="loaded database, used as a template")
    parser.add_argument("--people", type=int, default=1000, help="people of the generated truth")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--data", type=Path, help="files of bench/matching_data.py (else generated)"
    )
    parser.add_argument("--paths", default="realtime,linkage,scan")
    parser.add_argument("--examples", type=int, default=4, help="wrong decisions printed per kind")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    args = parser.parse_args(argv)

    data = args.data or OUT_DIR / "matching"
    if args.data is None:
        after = background_count(args.database_url)
        summary = matching_data.generate(args.people, args.seed, data, after=after)
        print(
            f"generated {summary['dedupe_records']} dedupe records in "
            f"{summary['clusters']} clusters ({summary['dedupe_true_pairs']} true pairs), "
            f"linkage {summary['linkage_a']} x {summary['linkage_b']}; "
            f"background: {after:,} citizens"
        )
    records = list(matching_data.read_ndjson(data / "dedupe.ndjson"))
    a_records = list(matching_data.read_ndjson(data / "linkage_a.ndjson"))
    b_records = list(matching_data.read_ndjson(data / "linkage_b.ndjson"))
    truth: dict[str, str] = {}
    with (data / "linkage_truth.csv").open() as handle:
        next(handle)
        for line in handle:
            b, _, a = line.strip().partition(",")
            truth[b] = a

    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    results: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for path in paths:
        started = time.perf_counter()
        with scratch_copy(args.database_url, path, args.keep) as url:
            api = Api(url, SCAN_SCOPES)
            try:
                if path == "realtime":
                    results[path] = run_realtime(api, records, errors)
                elif path == "linkage":
                    results[path] = run_linkage(api, a_records, b_records, truth, errors)
                elif path == "scan":
                    results[path] = run_scan(api, url, records, errors)
                else:
                    raise SystemExit(f"unknown path {path}")
            finally:
                api.close()
        results[path]["seconds"] = round(time.perf_counter() - started, 1)
        shown = {k: v for k, v in results[path].items() if k not in ("scan_state", "answer")}
        print(f"\n{path}: {json.dumps(shown)}")

    save(OUT_DIR, "matching", results, errors)
    print("\nsummary (pairwise):")
    for path in paths:
        r = results[path]
        if r.get("available") is False:
            print(f"  {path:<9} not available: HTTP {r.get('status')}")
            continue
        print(
            f"  {path:<9} precision {r['precision']:.4f}  recall {r['recall']:.4f}  "
            f"F1 {r['f1']:.4f}  blocking recall {r.get('blocking_recall')}"
        )
    print("\nerrors:", json.dumps(results["errors"], indent=1))
    print("\nexamples:")
    print_examples(errors, args.examples)
    print(f"\nwrote {OUT_DIR / 'matching_eval.json'} and {OUT_DIR / 'matching_errors.jsonl'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
