"""Server time of the staff console's journey pages: opening a case, taking a cash payment, and
the pages they lead to (the case, the payment, the forms, the duplicates list and comparison).

    python bench/console_journeys.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_h7_bench --requests 100

Signs a front-office officer in through the real flow (``console_latency.sign_in``), then,
through the Flask test client (no socket; the console reaches the API in-process), runs one
request at a time:

- ``open case``: ``POST /console/citizens/<id>/cases/new`` (a new form render's key each time)
  and the redirect's case page; ``take cash``: ``POST …/payments/new`` (counter, cash, a till)
  and its payment page; both write what they say, as a counter would;
- ``case page``, ``payment page``, ``case form``, ``payment form``, ``duplicates``,
  ``compare``: GETs of pages those journeys and the review use (target p95 < 300 ms, issue 14).

Wall time is ``time.perf_counter`` around the request (a POST and its redirected GET together);
CPU time is ``time.process_time`` of this process over the same span (the console, the API
under it and the drivers; PostgreSQL's own CPU is not in it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import re
import sys
import time
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import psycopg
from _common import OUT_DIR, latency_summary, machine_summary, make_app, psycopg_url
from _load import markdown_table
from console_latency import session_token, sign_in

TARGET_MS = 300.0
SERVICE = "RATES-PAY"


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    if not match:
        raise SystemExit(f"no {name} on the page")
    return unescape(match.group(1))


def citizens(url: str, count: int) -> list[str]:
    with psycopg.connect(psycopg_url(url)) as conn:
        rows = conn.execute(
            "SELECT id FROM citizens WHERE status = 'active' ORDER BY id LIMIT %s", (count,)
        ).fetchall()
    if not rows:
        raise SystemExit("no citizens: flask seed first")
    return [str(r[0]) for r in rows]


def visible_pairs(app: Any, client: Any) -> list[str]:
    """Open review items the officer may see (the API's list, best score first)."""
    bearer = {"Authorization": f"Bearer {session_token(app, client)}"}
    found = client.get("/api/v1/duplicates?limit=200", headers=bearer).get_json()
    return [str(pair["id"]) for pair in found]


def file_pairs(app: Any, client: Any, people: list[str], count: int) -> None:
    """A second record of ``count`` citizens, as another department might make: each create
    files a review item (the matcher runs in the create)."""
    bearer = {"Authorization": f"Bearer {session_token(app, client)}"}
    for citizen_id in people[:count]:
        record = client.get(f"/api/v1/citizens/{citizen_id}", headers=bearer).get_json()
        copy = {
            key: record[key]
            for key in ("given_name", "family_name", "date_of_birth")
            if record.get(key)
        }
        copy["contact_points"] = [
            {"kind": c["kind"], "value": c["value"]} for c in record.get("contact_points") or []
        ]
        created = client.post("/api/v1/citizens?on_match=create", json=copy, headers=bearer)
        if created.status_code != 201:
            raise SystemExit(f"duplicate of {citizen_id}: {created.get_data(as_text=True)}")


def _post_form(client: Any, url: str, data: dict[str, str]) -> tuple[float, float, str]:
    """Draw the form (untimed: the officer reads it), then time the POST and its redirect."""
    html = client.get(url).get_data(as_text=True)
    fields = {"csrf_token": _hidden(html, "csrf_token")}
    fields["idempotency_key"] = _hidden(html, "idempotency_key")
    wall, cpu = time.perf_counter(), time.process_time()
    posted = client.post(url, data={**fields, **data})
    if posted.status_code != 303:
        raise SystemExit(f"{url}: {posted.status_code} {posted.get_data(as_text=True)[:2000]}")
    target = urlsplit(posted.headers["Location"])
    landed = client.get(target.path + (f"?{target.query}" if target.query else ""))
    landed.get_data()
    return time.perf_counter() - wall, time.process_time() - cpu, target.path


def _get(client: Any, path: str) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    response.get_data()
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=100, help="per journey and page")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--output", default=str(OUT_DIR / "console_journeys.json"))
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    app = make_app(args.database_url)
    # The console's API client logs every request at INFO: not what is measured here.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    client = sign_in(app)
    total = args.warmup + args.requests
    people = citizens(args.database_url, total)
    load = os.getloadavg()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; load {load}; "
        f"{args.warmup} warm-up, {args.requests} measured each; in-process"
    )
    if not visible_pairs(app, client):
        file_pairs(app, client, people, 20)
    timings: dict[str, list[tuple[float, float]]] = {}
    made: dict[str, list[str]] = {"case": [], "payment": []}

    def keep(name: str, index: int, wall: float, cpu: float) -> None:
        if index >= args.warmup:
            timings.setdefault(name, []).append((wall, cpu))

    for index in range(total):
        person = people[index % len(people)]
        wall, cpu, path = _post_form(
            client,
            f"/console/citizens/{person}/cases/new",
            {"service_code": SERVICE, "summary": "Rates notice not received", "priority": "normal"},
        )
        keep("open case", index, wall, cpu)
        made["case"].append(path)
        amount = f"{rng.randrange(10, 500)}.{rng.randrange(100):02d}"
        wall, cpu, path = _post_form(
            client,
            f"/console/citizens/{person}/payments/new",
            {"service_code": SERVICE, "method": "cash", "amount": amount, "till_reference": "T1"},
        )
        keep("take cash", index, wall, cpu)
        made["payment"].append(path)
    gets = {
        "case page": made["case"],
        "payment page": made["payment"],
        "case form": [f"/console/citizens/{p}/cases/new" for p in people],
        "payment form": [f"/console/citizens/{p}/payments/new" for p in people],
        "duplicates": ["/console/duplicates"] * total,
        "compare": [f"/console/duplicates/{p}" for p in visible_pairs(app, client)],
    }
    for name, paths in gets.items():
        if not paths:
            print(f"{name}: nothing to read (no open duplicate pairs)")
            continue
        for index in range(total):
            keep(name, index, *_get(client, paths[index % len(paths)]))
    rows = []
    for name, measured in timings.items():
        cpu = latency_summary([c for _, c in measured])
        rows.append(
            {
                "page": name,
                **latency_summary([w for w, _ in measured]),
                "cpu_p50_ms": cpu["p50_ms"],
                "cpu_p95_ms": cpu["p95_ms"],
                "target_p95_ms": TARGET_MS,
            }
        )
    columns = [
        ("page", "page"),
        ("n", "n"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("cpu_p50_ms", "CPU p50 ms"),
        ("cpu_p95_ms", "CPU p95 ms"),
        ("target_p95_ms", "target p95 ms"),
    ]
    print(markdown_table(rows, columns))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump({"load": load, "machine": machine_summary(), "rows": rows}, handle, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
