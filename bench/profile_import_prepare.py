"""Where an import's preparation spends its CPU: the batches of bench/import_throughput.py's
file prepared one after another in this process (``BatchApplier.prepare``: validation, record
building, the population's candidates and their scores), nothing written.

    python bench/profile_import_prepare.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_imp_q --rows 5000 --seed 301

Prints CPU milliseconds a row of this process and of the database's backends (from /proc,
so run it on the database's machine), twice (the first pass with cold caches, as an import's
children start, then warm), and with ``--profile`` the functions of the warm pass with the
most cumulative and own time. The import it stores to get its rows is left pending.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time

from _common import make_app
from import_throughput import build_file
from profile_post import _process_cpu, backend_pids

from cgcrm.catalog.models import Department
from cgcrm.core.principal import Actor, Principal
from cgcrm.extensions import db
from cgcrm.integrations.imports import parsing
from cgcrm.integrations.imports.apply import BatchApplier, _relaxed_collection, import_actor
from cgcrm.integrations.imports.service import request_import


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=301)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args(argv)
    # build_file's knobs, as bench/import_throughput.py's defaults.
    args.known, args.corrupted, args.repeats, args.population = 0.3, 0.5, 0.05, 100000
    app = make_app(args.database_url)
    content, _ = build_file(args)
    with app.app_context():
        department = db.session.query(Department).order_by(Department.code).first()
        assert department is not None, "load the catalog first (bench/load_citizens.py)"
        principal = Principal("client", "bench-import", department.id, department.code)
        created = request_import(Actor(principal, "bench-import"), content, "application/x-ndjson")
        rows = parsing.parse_rows(created.format, created.content, created.mapping)
        applier = BatchApplier(created, import_actor(created))
        db.session.commit()
        batches = [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]
        pids = backend_pids(args.database_url)
        profiler = cProfile.Profile() if args.profile else None
        with _relaxed_collection():
            for name in ("cold", "warm"):
                seconds: dict[str, float] = {}
                backend, cpu = _process_cpu(pids), time.process_time()
                if profiler and name == "warm":
                    profiler.enable()
                for batch in batches:
                    prepared = applier.prepare(batch)
                    db.session.rollback()
                    for phase, spent in prepared.seconds.items():
                        seconds[phase] = seconds.get(phase, 0.0) + spent
                if profiler and name == "warm":
                    profiler.disable()
                app_ms = round((time.process_time() - cpu) * 1000 / len(rows), 3)
                pg_ms = round((_process_cpu(pids) - backend) * 1000 / len(rows), 3)
                print(
                    json.dumps(
                        {
                            "pass": name,
                            "rows": len(rows),
                            "cpu_ms_per_row": {
                                "python": round(app_ms, 3),
                                "postgres": round(pg_ms, 3),
                            },
                            "wall_ms_per_row_by_phase": {
                                k: round(v * 1000 / len(rows), 3) for k, v in seconds.items()
                            },
                            "load_average": os.getloadavg(),
                        }
                    )
                )
        if profiler:
            for order in ("cumulative", "tottime"):
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
                print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
