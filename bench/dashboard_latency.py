"""Server time of the console's dashboard page and its CSV, one sequential signed-in client.

    python bench/dashboard_latency.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --requests 200

Needs ``bench/load_citizens.py`` and ``bench/load_interactions.py``; makes sure the daily
rollups of the measured period are there as ``bench/kpi_latency.py`` does. Registers the
console's OAuth client and an administrator, signs in through the real flow (console ->
/oauth/authorize's sign-in page -> callback), then, after ``--warmup`` rounds, sends
``--requests`` rounds of, in turn:

- the dashboard over ``--days`` days (91) ending ``--to`` (default: the day of the latest
  contact), by week: what a person opens (target: p95 < 300 ms);
- the same by day (91 points in each chart and table);
- the CSV of the first.

Then ``--shift-rounds`` (3) requests of the channel-shift section the page loads after itself,
its cache emptied before each (what the first visitor of the period waits for), and one with
the cache warm.

In-process (Flask test client): the console calls the API through ``httpx.WSGITransport``, as it
does when ``CONSOLE_API_URL`` is empty, so a request's time is the whole server's: the page and
the six API calls behind it (KPIs, channel shift, jobs, three catalog lists). Reports wall time
and this process's CPU time per request (PostgreSQL's CPU is not in it), and the time of each
API call, measured around the console's HTTP client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import secrets
import sys
import time
import urllib.parse
from collections import defaultdict
from html import unescape
from typing import Any

from _common import OUT_DIR, latency_summary, machine_summary, make_app
from _load import markdown_table
from kpi_latency import REBUILD, ensure_rollups, last_day

TARGET_P95_MS = 300.0
CALLBACK = "http://localhost/console/callback"
PASSWORD = "bench dashboard passphrase"
CONSOLE_SCOPE = (
    "citizens:read citizens:write interactions:write cases:write payments:write "
    "consents:record metrics:read audit admin cross_department identifiers:read"
)


def register(app: Any) -> str:
    """The console's OAuth client (set in the app's config) and an administrator's email."""
    from cgcrm.extensions import db
    from cgcrm.identity.service import create_client, create_user

    suffix = secrets.token_hex(4)
    email = f"bench.dashboard.{suffix}@council.example"
    with app.app_context():
        issued = create_client(
            "cgcrm staff console (bench)",
            "CUSTOMER",
            CONSOLE_SCOPE,
            client_id=f"console-bench-{suffix}",
            redirect_uris=[CALLBACK],
        )
        create_user(email, ["admin"], "CUSTOMER", "Bench administrator", PASSWORD)
        db.session.remove()
    app.config.update(
        CONSOLE_CLIENT_ID=issued.client.client_id,
        CONSOLE_CLIENT_SECRET=issued.client_secret,
        CONSOLE_API_URL="",
        CONSOLE_COOKIE_SECURE=False,
    )
    return email


def _local(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_in(app: Any, email: str) -> Any:
    """A test client signed in to the console as a person is: the sign-in page's form."""
    client = app.test_client()
    response = client.get("/console/signin")
    form = client.get(_local(response.headers["Location"])).get_data(as_text=True)
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', form).group(1))  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form).group(1)  # type: ignore[union-attr]
    response = client.post(action, data={"email": email, "password": PASSWORD, "csrf": csrf})
    while response.status_code in (301, 302, 303):
        response = client.get(_local(response.headers["Location"]))
    if response.status_code != 200:
        raise SystemExit(f"sign-in failed: HTTP {response.status_code}")
    return client


def dashboard_paths(first: dt.date, last: dt.date) -> dict[str, str]:
    dates = {"period": "custom"}
    for name, day in (("from", first), ("to", last)):
        dates |= {f"{name}-day": str(day.day), f"{name}-month": str(day.month)}
        dates[f"{name}-year"] = str(day.year)
    days = (last - first).days + 1
    by_week = urllib.parse.urlencode(dates | {"interval": "week"})
    return {
        f"dashboard {days} days by week": f"/console/dashboard?{by_week}",
        f"dashboard {days} days by day": "/console/dashboard?"
        + urllib.parse.urlencode(dates | {"interval": "day"}),
        f"dashboard.csv {days} days by week": f"/console/dashboard.csv?{by_week}",
    }


class ApiTimer:
    """Time of each API call the console makes, by path, around its shared httpx client."""

    def __init__(self) -> None:
        self.started: dict[int, float] = {}
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.on = False

    def install(self, app: Any) -> None:
        client = app.extensions["cgcrm.console.http"]
        client.event_hooks = {"request": [self._request], "response": [self._response]}

    def _request(self, request: Any) -> None:
        self.started[id(request)] = time.perf_counter()

    def _response(self, response: Any) -> None:
        began = self.started.pop(id(response.request), None)
        if self.on and began is not None:
            self.seconds[response.request.url.path].append(time.perf_counter() - began)


def measure(client: Any, paths: dict[str, str], warmup: int, rounds: int) -> dict[str, Any]:
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    sizes: dict[str, int] = {}
    for round_no in range(warmup + rounds):
        for name, path in paths.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
            if response.status_code != 200:
                raise SystemExit(f"{name}: HTTP {response.status_code}")
            if round_no >= warmup:
                wall[name].append(seconds)
                cpu[name].append(cpu_seconds)
                sizes[name] = len(response.data)
    return {"wall": wall, "cpu": cpu, "sizes": sizes}


def shift_times(app: Any, client: Any, paths: dict[str, str], rounds: int) -> dict[str, Any]:
    """Wall ms of the channel-shift section: cold (the console's cache emptied) and warm."""
    query = next(iter(paths.values())).split("?", 1)[1]
    path = f"/console/dashboard/channel-shift?{query}"
    cold = []
    for _ in range(rounds):
        app.extensions.pop("cgcrm.console.channel_shift", None)
        started = time.perf_counter()
        response = client.get(path, headers={"HX-Request": "true"})
        cold.append(round((time.perf_counter() - started) * 1000, 1))
        if response.status_code != 200:
            raise SystemExit(f"channel shift: HTTP {response.status_code}")
    started = time.perf_counter()
    client.get(path, headers={"HX-Request": "true"})
    warm = round((time.perf_counter() - started) * 1000, 1)
    return {"cold_ms": cold, "warm_ms": warm}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=200, help="per request kind")
    parser.add_argument("--warmup", type=int, default=10, help="rounds before measuring")
    parser.add_argument("--days", type=int, default=91)
    parser.add_argument("--to", help="last day (ISO); default: the day of the latest contact")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the period's rollups")
    parser.add_argument("--shift-rounds", type=int, default=3, help="cold channel shifts")
    parser.add_argument("--output", default=str(OUT_DIR / "dashboard_latency.json"))
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per API call otherwise
    url = args.database_url
    last = dt.date.fromisoformat(args.to) if args.to else last_day(url)
    first = last - dt.timedelta(days=args.days - 1)
    rollups = ensure_rollups(url, first, last, args.rebuild, REBUILD)
    app = make_app(url)
    client = sign_in(app, register(app))
    paths = dashboard_paths(first, last)
    timer = ApiTimer()
    client.get(next(iter(paths.values())))  # builds the console's HTTP client
    timer.install(app)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; {first} … {last}; "
        f"{args.warmup} warm-up rounds, {args.requests} measured; load {os.getloadavg()}"
    )
    timer.on = False
    measure(client, paths, args.warmup, 0)
    timer.on = True
    result = measure(client, paths, 0, args.requests)
    rows = []
    for name in paths:
        wall, cpu = latency_summary(result["wall"][name]), latency_summary(result["cpu"][name])
        rows.append(
            {
                "request": name,
                **wall,
                "cpu_p50_ms": cpu["p50_ms"],
                "cpu_mean_ms": cpu["mean_ms"],
                "bytes": result["sizes"][name],
            }
        )
    columns = [
        ("request", "request"),
        ("n", "n"),
        ("p50_ms", "p50 ms"),
        ("p95_ms", "p95 ms"),
        ("p99_ms", "p99 ms"),
        ("cpu_p50_ms", "CPU p50 ms"),
        ("cpu_mean_ms", "CPU mean ms"),
        ("bytes", "bytes"),
    ]
    print("\n" + markdown_table(rows, columns))
    calls = [
        {"path": path, **latency_summary(seconds)}
        for path, seconds in sorted(timer.seconds.items())
    ]
    print("\nAPI calls behind them (all three requests):\n")
    print(
        markdown_table(
            calls,
            [
                ("path", "API path"),
                ("n", "n"),
                ("p50_ms", "p50 ms"),
                ("p95_ms", "p95 ms"),
                ("mean_ms", "mean ms"),
            ],
        )
    )
    shift = shift_times(app, client, paths, args.shift_rounds)
    print(f"\nchannel-shift section: {shift}")
    first_row = rows[0]
    verdict = "meets" if first_row["p95_ms"] < TARGET_P95_MS else "misses"
    target = f"the {TARGET_P95_MS:.0f} ms target"
    print(f"\n{first_row['request']}: p95 {first_row['p95_ms']} ms {verdict} {target}")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {
                "args": vars(args),
                "period": [first.isoformat(), last.isoformat()],
                "machine": machine_summary(),
                "load": os.getloadavg(),
                "rollups": rollups,
                "results": rows,
                "api_calls": calls,
                "channel_shift": shift,
            },
            handle,
            indent=1,
            default=str,
        )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
