"""Where one ``POST /api/v1/interactions`` spends its CPU: cProfile of the real app in-process.

    python bench/profile_post.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench

Sends ``--requests`` contacts through Flask's test client, sequentially, after a warm-up, under
cProfile; prints the SQL statements per request and the functions with the most cumulative and
own time. Rows it wrote are deleted at the end. Works on any migrated database with a catalog
and citizens (``flask seed`` is enough).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import time

from _common import OUT_DIR, bench_client, make_app
from _inprocess import print_breakdown, sql_breakdown, token_client
from interaction_throughput import SCOPES, cleanup, make_bodies
from sqlalchemy import select


def _sample(database_url: str) -> tuple[list[str], list[str]]:
    from cgcrm.catalog.models import Service
    from cgcrm.citizens.models import Citizen
    from cgcrm.extensions import db

    app = make_app(database_url)
    with app.app_context():
        ids = [str(i) for i in db.session.scalars(select(Citizen.id).limit(2000))]
        codes = list(db.session.scalars(select(Service.code).order_by(Service.code)))
        db.session.remove()
        db.engine.dispose()
    return ids, codes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)

    since = dt.datetime.now(dt.UTC)
    ids, codes = _sample(args.database_url)
    credentials = bench_client(args.database_url, SCOPES, name="bench-profile")
    app, client, headers = token_client(args.database_url, credentials)
    headers["Content-Type"] = "application/json"
    bodies = make_bodies(ids, codes, args.requests + 50, seed=5)

    def send(body: str) -> object:
        return client.post("/api/v1/interactions", data=body, headers=headers)

    print_breakdown("POST /interactions", sql_breakdown(app, send, bodies[:400]))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for body in bodies[400 : 400 + args.requests]:
        send(body)
    profiler.disable()
    elapsed = time.perf_counter() - started
    print(f"\nprofiled: {elapsed / args.requests * 1000:.2f} ms per request (with cProfile)")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue())
    OUT_DIR.mkdir(exist_ok=True)
    profiler.dump_stats(OUT_DIR / "profile_post.pstats")
    print(cleanup(args.database_url, since, [f"client:{credentials[0]}"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
