"""Server time of the staff console's two busiest pages: search as you type and the 360 view.

    python bench/console_latency.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --requests 300

Signs a front-office officer (department CUSTOMER) in through the real flow (the console's
``/console/signin`` -> ``/oauth/authorize``'s sign-in form -> ``/console/callback``), then,
through the Flask test client (no socket; the console reaches the API in-process through
``httpx.WSGITransport``, as ``CONSOLE_API_URL`` empty does), times one request at a time:

- ``search``: ``GET /console/search?q=<name with a typo>`` as htmx sends it (``HX-Request``):
  the results fragment, after the ``search-as-you-type`` pause (target p95 < 150 ms);
- ``typing``: the same for each prefix of the query from 3 letters on, the requests a fast
  typist's pauses may send;
- ``360``: ``GET /console/citizens/<id>``, the whole page, over the citizens with the most
  contacts first (target p95 < 300 ms);
- ``search API`` and ``360 API``: the API requests those pages make, sent straight to the API
  with the officer's token, so the console's own share is the difference.

The loaded app is frozen (``gc.freeze``) as ``wsgi.py`` freezes it (``--no-gc-freeze`` leaves
it to the collector). Wall time is ``time.perf_counter`` around the request; CPU time is
``time.process_time`` of this process over the same span (the page, its API calls and the
drivers' work; PostgreSQL's own CPU is not in it). Queries come from ``queries.jsonl`` of
``bench/load_citizens.py`` when it is of this database, else from the database's own names
with one letter changed. Every request is real: searches and 360 reads write their audit rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import secrets
import sys
import time
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import psycopg
from _common import OUT_DIR, QUERIES_FILE, latency_summary, machine_summary, make_app, psycopg_url
from _load import markdown_table

TARGETS_MS = {"search": 150.0, "typing": 150.0, "360": 300.0, "search API": 150.0, "360 API": 300.0}
PASSWORD = "bench console passphrase"
CONSOLE_SCOPE = (
    "citizens:read citizens:write interactions:write cases:write payments:write "
    "consents:record metrics:read audit"
)


def _typo(name: str, rng: random.Random) -> str:
    if len(name) < 4:
        return name
    at = rng.randrange(1, len(name) - 1)
    return name[:at] + rng.choice("aeiou") + name[at + 1 :]


def search_queries(url: str, count: int, rng: random.Random) -> list[str]:
    """Names with a typo: the loader's queries of this database, or made from its names."""
    with psycopg.connect(psycopg_url(url)) as conn:
        if QUERIES_FILE.exists():
            lines = [json.loads(line) for line in QUERIES_FILE.read_text().splitlines() if line]
            ids = [q["citizen_id"] for q in lines[:20] if q.get("citizen_id")]
            known = conn.execute(
                "SELECT count(*) FROM citizens WHERE id = ANY(%s::uuid[])", (ids,)
            ).fetchone()
            if ids and known and known[0] == len(ids):  # the loader's file is of this database
                found = [q["q"] for q in lines if q.get("q")]
                return [found[i % len(found)] for i in range(count)]
        names = conn.execute(
            "SELECT given_name, family_name FROM citizens WHERE status = 'active' "
            "AND given_name IS NOT NULL AND family_name IS NOT NULL ORDER BY random() LIMIT %s",
            (count,),
        ).fetchall()
    if not names:
        raise SystemExit("no citizens: load some first (bench/load_citizens.py or flask seed)")
    made = [f"{_typo(g, rng)} {_typo(f, rng)}" for g, f in names]
    return [made[i % len(made)] for i in range(count)]


def busy_citizens(url: str, count: int) -> list[str]:
    """The citizens with the most contacts first (the fullest 360 views), then any."""
    with psycopg.connect(psycopg_url(url)) as conn:
        rows = conn.execute(
            "SELECT citizen_id FROM interactions WHERE citizen_id IS NOT NULL "
            "GROUP BY citizen_id ORDER BY count(*) DESC LIMIT %s",
            (count,),
        ).fetchall()
        if len(rows) < count:
            rows += conn.execute(
                "SELECT id FROM citizens WHERE status = 'active' LIMIT %s", (count - len(rows),)
            ).fetchall()
    return [str(r[0]) for r in rows]


def sign_in(app: Any) -> Any:
    """A test client signed in to the console as a new front-office officer."""
    from cgcrm.extensions import db
    from cgcrm.identity.service import create_client, create_user

    suffix = secrets.token_hex(4)
    email = f"bench.officer.{suffix}@council.example"
    with app.app_context():
        issued = create_client(
            f"bench console {suffix}",
            "CUSTOMER",
            CONSOLE_SCOPE,
            client_id=f"bench-console-{suffix}",
            redirect_uris=["http://localhost/console/callback"],
        )
        create_user(email, ["front_office"], "CUSTOMER", "Bench Officer", PASSWORD)
        db.session.remove()
    app.config.update(
        CONSOLE_CLIENT_ID=issued.client.client_id,
        CONSOLE_CLIENT_SECRET=issued.client_secret,
        CONSOLE_API_URL="",
    )
    client = app.test_client()
    start = urlsplit(client.get("/console/signin").headers["Location"])
    form = client.get(f"{start.path}?{start.query}").get_data(as_text=True)
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', form).group(1))  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form).group(1)  # type: ignore[union-attr]
    done = client.post(action, data={"email": email, "password": PASSWORD, "csrf": csrf})
    back = urlsplit(done.headers["Location"])
    landed = client.get(f"{back.path}?{back.query}")
    if landed.status_code != 302:
        raise SystemExit(f"sign-in failed: {landed.status_code} {landed.get_data(as_text=True)}")
    return client


def session_token(app: Any, client: Any) -> str:
    """The officer's access token, from the console's session in Redis (as only a bench may)."""
    import hashlib

    cookie = client.get_cookie("cgcrm_console", path="/console/")
    key = "cgcrm:console:session:" + hashlib.sha256(cookie.value.encode()).hexdigest()
    return str(json.loads(app.extensions["cgcrm.redis"].get(key))["access_token"])


def timed(client: Any, path: str, headers: dict[str, str]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    response = client.get(path, headers=headers)
    response.get_data()
    return time.perf_counter() - wall, time.process_time() - cpu, response.status_code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=300, help="per page")
    parser.add_argument("--warmup", type=int, default=20, help="requests before measuring")
    parser.add_argument("--citizens", type=int, default=100, help="distinct 360 views")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--output", default=str(OUT_DIR / "console_latency.json"))
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave the loaded app to the garbage collector (wsgi.py freezes it)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    app = make_app(args.database_url)
    if not args.no_gc_freeze:
        # As wsgi.py does: else each full collection walks the ~220,000 objects of the loaded
        # app (130 CPU-ms each on a slow machine), a cost the server does not pay.
        gc.freeze()
    client = sign_in(app)
    queries = search_queries(args.database_url, args.requests + args.warmup, rng)
    typing = [q[:n] for q in queries for n in range(3, len(q) + 1) if q[n - 1 : n] != " "]
    people = busy_citizens(args.database_url, args.citizens)
    htmx = {"HX-Request": "true"}
    bearer = {"Authorization": f"Bearer {session_token(app, client)}"}
    plans = {
        "search": [(f"/console/search?{urlencode({'q': q})}", htmx) for q in queries],
        "typing": [(f"/console/search?{urlencode({'q': q})}", htmx) for q in typing],
        "360": [
            (f"/console/citizens/{people[i % len(people)]}", {})
            for i in range(args.requests + args.warmup)
        ],
        "search API": [
            (f"/api/v1/citizens/search?{urlencode({'q': q, 'limit': 20})}", bearer) for q in queries
        ],
        "360 API": [
            (f"/api/v1/citizens/{people[i % len(people)]}/overview", bearer)
            for i in range(args.requests + args.warmup)
        ],
    }
    load = os.getloadavg()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; load {load}; "
        f"{args.warmup} warm-up requests, {args.requests} measured per page; in-process"
    )
    rows = []
    for page, plan in plans.items():
        plan = plan[: args.warmup + args.requests]
        walls, cpus, statuses = [], [], {}
        for index, (path, headers) in enumerate(plan):
            wall, cpu, status = timed(client, path, headers)
            if index >= args.warmup:
                walls.append(wall)
                cpus.append(cpu)
                statuses[status] = statuses.get(status, 0) + 1
        cpu_summary = latency_summary(cpus)
        rows.append(
            {
                "page": page,
                **latency_summary(walls),
                "cpu_mean_ms": cpu_summary["mean_ms"],
                "cpu_p95_ms": cpu_summary["p95_ms"],
                "statuses": statuses,
                "target_p95_ms": TARGETS_MS[page],
            }
        )
    columns = [
        ("page", "page"),
        ("n", "n"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("cpu_mean_ms", "CPU mean ms"),
        ("cpu_p95_ms", "CPU p95 ms"),
        ("target_p95_ms", "target p95 ms"),
        ("statuses", "statuses"),
    ]
    print("\n" + markdown_table(rows, columns))
    for row in rows:
        verdict = "meets" if row["p95_ms"] < row["target_p95_ms"] else "misses"
        target = f"{row['target_p95_ms']:.0f} ms"
        print(f"{row['page']}: p95 {row['p95_ms']} ms {verdict} the {target} target")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {"args": vars(args), "machine": machine_summary(), "load": load, "results": rows},
            handle,
            indent=1,
            default=str,
        )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
