"""What a create's match costs, alone: ``CreateMatchLookup.find`` of new people, one by one,
each in a transaction of its own that then commits (as a create's match does), with the CPU
of this process and of the database's backends (from /proc: run it on the database's machine).

    python bench/profile_match.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench_m --people 1000

Half the people are new (another seed's stream, as bench/match_latency.py creates), half
corrupted copies of stored people (``--known``), so both kinds of match are in the mix. With
``--out FILE`` every match's candidates (id, score, band) are written as JSON lines: two runs
of different code compare with ``diff`` (the same candidates, to the last digit, or not).
``--explain N`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the real-time statement for the
N-th body; ``--profile`` a cProfile of the run (a second pass over the same people).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time
from typing import Any

from _common import make_app
from match_latency import corrupted_queries, new_people, sample_people
from profile_post import _process_cpu, backend_pids

from cgcrm.extensions import db


def _explain(body: dict[str, Any]) -> None:
    from cgcrm.core.driver import execute_prepared, force_generic_plans
    from cgcrm.matching import realtime
    from cgcrm.matching.engine import features_of

    params = realtime.parameters(features_of(body))
    force_generic_plans()
    rows = execute_prepared("EXPLAIN (ANALYZE, BUFFERS) " + realtime._SQL, params)
    print("\n".join(row[0] for row in rows))
    db.session.rollback()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--known", type=float, default=0.5, help="share of corrupted copies")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", help="candidates of every match, JSON lines")
    parser.add_argument(
        "--all-bands",
        action="store_true",
        help="the match endpoint's look-up instead (every band, up to 10 candidates)",
    )
    parser.add_argument("--explain", type=int, default=None)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)

    from cgcrm.citizens import match_links

    known = int(args.people * args.known)
    stored = sample_people(args.database_url, known, args.seed)
    bodies = [body for _, body in corrupted_queries(stored, args.seed)]
    bodies += new_people(args.people - known, seed=args.seed + 1000)
    app = make_app(args.database_url)
    with app.test_request_context():
        lookup = app.extensions[match_links._EXTENSION]
        if args.all_bands:
            from cgcrm.matching.engine import find_candidates

            class _AllBands:
                def find(self, body: dict[str, Any], limit: int) -> Any:
                    return find_candidates(body, limit=10)

            lookup = _AllBands()
        if args.explain is not None:
            _explain(bodies[args.explain])
            return 0
        for body in bodies[:50]:  # warm: the name dictionary, the plan, the caches
            lookup.find(body, 3)
            db.session.commit()
        pids = backend_pids(args.database_url)
        found: list[Any] = []
        backend, cpu, wall = _process_cpu(pids), time.process_time(), time.perf_counter()
        for body in bodies:
            candidates = lookup.find(body, 3)
            db.session.commit()
            found.append([(str(c.citizen_id), c.score, c.band) for c in candidates])
        app_ms = (time.process_time() - cpu) * 1000 / len(bodies)
        pg_ms = (_process_cpu(pids) - backend) * 1000 / len(bodies)
        wall_ms = (time.perf_counter() - wall) * 1000 / len(bodies)
        print(
            json.dumps(
                {
                    "matches": len(bodies),
                    "cpu_ms_per_match": {
                        "app": round(app_ms, 3),
                        "postgres": round(pg_ms, 3),
                        "total": round(app_ms + pg_ms, 3),
                    },
                    "wall_ms_per_match": round(wall_ms, 3),
                    "bands": {
                        band: sum(1 for f in found if f and f[0][2] == band)
                        for band in ("match", "possible", "non_match")
                    },
                    "load_average": os.getloadavg(),
                }
            )
        )
        if args.out:
            with open(args.out, "w") as handle:
                for candidates in found:
                    handle.write(json.dumps(candidates) + "\n")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for body in bodies:
                lookup.find(body, 3)
                db.session.commit()
            profiler.disable()
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
