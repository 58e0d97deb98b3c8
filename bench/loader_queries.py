"""Query-file writing for the bulk loader.

``bench/out/queries.jsonl``: one typo'd query per sampled citizen, in the sample's order.
"""

from __future__ import annotations

import json
import random
from typing import Any

from _common import OUT_DIR, QUERIES_FILE


def write_queries(
    samples: dict[int, tuple[str, dict[str, Any]]], order: list[int], query_seed: int
) -> int:
    """One typo'd query per sampled citizen, in the sample's (seeded) order."""
    from cgcrm.citizens.synthetic import typo_query

    rng = random.Random(f"cgcrm-bench-typos-{query_seed}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    written = 0
    with QUERIES_FILE.open("w") as handle:
        for index in order:
            if index not in samples:  # refused by validation: not loaded
                continue
            citizen_id, payload = samples[index]
            addresses = payload.get("addresses") or []
            line = {
                "citizen_id": citizen_id,
                "q": typo_query(payload, rng),
                "date_of_birth": payload.get("date_of_birth"),
                "postcode": addresses[0].get("postcode") if addresses else None,
                "index": index,
                "name": f"{payload['given_name']} {payload['family_name']}",
            }
            handle.write(json.dumps(line) + "\n")
            written += 1
    return written
