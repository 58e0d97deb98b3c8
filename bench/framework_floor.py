"""What the stack costs before any business logic: GET throughput of trivial endpoints.

    python bench/framework_floor.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench

Puts the POST /interactions ratio (bench/interaction_throughput.py) in context. Serves, in turn,
``wsgi:app`` and ``baseline_app:app`` (gunicorn, sync workers) and drives them with wrk (or,
when wrk is absent, the Python load generator of bench/_load.py):

- cgcrm ``GET /healthz``: Flask and gunicorn only;
- cgcrm ``GET /api/v1/channels`` with a bearer token: the smallest guarded API call (token check,
  one ORM query of the 8 channels, a flask-smorest response);
- baseline ``GET /healthz``: a bare Flask app;
- baseline ``POST /interactions``: the INSERT that interaction_throughput.py compares against.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
from typing import Any

import psycopg
from _common import (
    OUT_DIR,
    QUIET_GUNICORN,
    bench_client,
    fetch_token,
    gunicorn,
    psycopg_url,
    quiet_app_env,
)
from _load import WRK_DONE, Request, python_load, run_wrk
from interaction_throughput import SCOPES, WRK_SCRIPT, cleanup, make_bodies

POST_PATH = "/interactions"


def _drive(
    base: str,
    path: str,
    lua: str,
    args: argparse.Namespace,
    requests: list[Request] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Load ``base + path``: wrk with ``lua``, or Python with ``requests`` (default: GET path)."""
    if args.tool == "python":
        requests = requests or [("GET", path, None)]
        python_load(base, requests, headers or {}, args.warmup, args.connections)
        return python_load(base, requests, headers or {}, args.duration, args.connections)
    script = OUT_DIR / "floor.lua"
    script.write_text(lua + WRK_DONE)
    run_wrk(base + path, str(script), args.warmup, args.connections, args.threads)
    return run_wrk(base + path, str(script), args.duration, args.connections, args.threads)


def _sample_bodies(database_url: str) -> list[str]:
    with psycopg.connect(psycopg_url(database_url)) as conn:
        ids = [str(row[0]) for row in conn.execute("SELECT id FROM citizens LIMIT 2000")]
        codes = [row[0] for row in conn.execute("SELECT code FROM services ORDER BY code")]
    return make_bodies(ids, codes, 2000, seed=13)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--output", default=str(OUT_DIR / "framework_floor.json"))
    args = parser.parse_args(argv)
    if args.tool == "auto":
        args.tool = "wrk" if shutil.which("wrk") else "python"

    since = dt.datetime.now(dt.UTC)
    OUT_DIR.mkdir(exist_ok=True)
    credentials = bench_client(args.database_url, SCOPES, name="bench-floor")
    bodies = _sample_bodies(args.database_url)
    posts: list[Request] = [("POST", POST_PATH, body.encode()) for body in bodies]
    post_lua = WRK_SCRIPT % {
        "bodies": ", ".join(f"[[{b}]]" for b in bodies),
        "path": POST_PATH,
        "token": "",
        "key_prefix": "",
    }
    results: list[dict[str, Any]] = []

    def record(round_number: int, name: str, result: dict[str, Any]) -> None:
        results.append({"round": round_number, "request": name, **result})
        print(f"round {round_number}  {name:<40}{result['req_per_s']:>9,.1f} req/s")

    for round_number in range(1, args.rounds + 1):
        env = quiet_app_env(args.database_url)
        with gunicorn("wsgi:app", env, workers=args.workers, extra_args=QUIET_GUNICORN) as base:
            token = fetch_token(base, *credentials)
            record(round_number, "cgcrm GET /healthz", _drive(base, "/healthz", "", args))
            bearer = f'wrk.headers["Authorization"] = "Bearer {token}"\n'
            record(
                round_number,
                "cgcrm GET /api/v1/channels (token)",
                _drive(
                    base,
                    "/api/v1/channels",
                    bearer,
                    args,
                    headers={"Authorization": f"Bearer {token}"},
                ),
            )
        env = {"BASELINE_DATABASE_URL": args.database_url}
        with gunicorn(
            "baseline_app:app", env, workers=args.workers, extra_args=QUIET_GUNICORN
        ) as base:
            record(round_number, "baseline GET /healthz", _drive(base, "/healthz", "", args))
            record(
                round_number,
                "baseline POST /interactions",
                _drive(base, "", post_lua, args, posts, {"Content-Type": "application/json"}),
            )
    print(cleanup(args.database_url, since, ["client:baseline"]))
    with open(args.output, "w") as handle:
        json.dump({"args": vars(args), "results": results}, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
