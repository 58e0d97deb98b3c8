"""The evaluation's wrong decisions, described, summarised and printed (matching_eval.py)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

# --- report ---------------------------------------------------------------------------------


def save(out: Path, prefix: str, results: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    """``results`` with the errors' summary to ``<prefix>_eval.json``, every wrong decision
    to ``<prefix>_errors.jsonl``."""
    results["errors"] = error_summary(errors)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{prefix}_eval.json").write_text(json.dumps(results, indent=1, default=str))
    with (out / f"{prefix}_errors.jsonl").open("w") as handle:
        for error in errors:
            handle.write(json.dumps(error, default=str) + "\n")


def error_summary(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """What the wrong decisions have in common: corruptions of missed duplicates, kinds of the
    people wrongly joined."""
    summary: dict[str, Any] = {}
    for path in ("realtime", "linkage", "scan"):
        of_path = [e for e in errors if e["path"] == path]
        if not of_path:
            continue
        misses = [e for e in of_path if e["kind"] == "false_negative"]
        wrong = [e for e in of_path if e["kind"] == "false_positive"]
        summary[path] = {
            "false_negatives": len(misses),
            "fn_corruptions": dict(
                Counter(
                    c for e in misses for c in e["record"]["corruptions"] or ["(original)"]
                ).most_common()
            ),
            "fn_true_record_not_a_candidate": sum(
                1 for e in misses if e.get("true_candidate") is None and "true_candidate" in e
            ),
            "fn_true_record_band": dict(
                Counter((e.get("true_candidate") or {}).get("band", "absent") for e in misses)
            ),
            "false_positives": len(wrong),
            "fp_kinds": dict(
                Counter(
                    f"{e['record']['kind']} ~ "
                    f"{(e.get('linked_record') or {}).get('kind', 'background')}"
                    for e in wrong
                )
            ),
            "refused": sum(1 for e in of_path if e["kind"].startswith("refused")),
        }
    return summary


def brief(record: dict[str, Any] | None) -> str:
    if not record:
        return "-"
    if "background_citizen" in record:
        return f"background citizen {record['background_citizen']}"
    body = record["body"]
    address = next((a for a in body.get("addresses") or [] if a.get("valid_to") is None), {})
    contacts = ",".join(p["value"] for p in body.get("contact_points") or [])
    return (
        f"{body.get('given_name')} | {body.get('family_name')} | {body.get('date_of_birth')} | "
        f"{address.get('line1')} {address.get('postcode')} | {contacts} "
        f"[{record['kind']}; {','.join(record['corruptions'])}]"
    )


def print_examples(errors: list[dict[str, Any]], per_kind: int) -> None:
    shown: Counter[tuple[str, str]] = Counter()
    for error in errors:
        key = (error["path"], error["kind"])
        if shown[key] >= per_kind:
            continue
        shown[key] += 1
        other = error.get("true_record") or error.get("linked_record")
        candidate = (
            error.get("true_candidate") or error.get("best_candidate") or error.get("candidate")
        )
        print(f"  {key[0]} {key[1]}:")
        print(f"    record: {brief(error['record'])}")
        print(f"    other:  {brief(other)}")
        if candidate:
            explanation = ", ".join(
                f"{field}={value.get('level')}:{value.get('weight', 0):+.1f}"
                for field, value in (candidate.get("explanation") or {}).items()
            )
            print(f"    score {candidate.get('score')} {candidate.get('band')}: {explanation}")
        if error.get("problem"):
            print(f"    problem: {json.dumps(error['problem'])[:300]}")
