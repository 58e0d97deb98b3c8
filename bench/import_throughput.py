"""Bulk import with matching: rows per second of the import job on a loaded population.

    DB=postgresql://postgres@127.0.0.1:5432/cgcrm_bench_i
    python bench/load_citizens.py --database-url $DB --count 100000 --reset
    python bench/import_throughput.py --database-url $DB --rows 20000

The file (NDJSON) mixes people the population already holds (the loader's own generator and
seed, so they are the same people: they must link) with new people (another seed: they must be
created), in the proportion ``--known``. The import is stored through the service as the API
would, then its job function runs in this process, timed from the first row to the last.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import time

from _common import make_app

from cgcrm.catalog.models import Department
from cgcrm.citizens.synthetic.generator import generate_citizens
from cgcrm.core.principal import Actor, Principal
from cgcrm.extensions import db
from cgcrm.integrations.imports.apply import run_import
from cgcrm.integrations.imports.models import CitizenImport
from cgcrm.integrations.imports.service import request_import


def build_file(rows: int, known: float, population: int, seed: int) -> bytes:
    rng = random.Random(seed)
    known_rows = int(rows * known)
    existing = list(generate_citizens(min(population, known_rows * 5), seed=2026))
    picked = rng.sample(existing, min(known_rows, len(existing)))
    fresh = list(generate_citizens(rows - len(picked), seed=seed + 1000))
    lines = [json.dumps(p) for p in picked + fresh]
    rng.shuffle(lines)
    return "\n".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--known", type=float, default=0.3, help="share of rows already held")
    parser.add_argument("--population", type=int, default=100000, help="people loaded")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    app = make_app(args.database_url)
    content = build_file(args.rows, args.known, args.population, args.seed)
    with app.app_context():
        department = db.session.query(Department).order_by(Department.code).first()
        assert department is not None, "load the catalog first (bench/load_citizens.py)"
        principal = Principal("client", "bench-import", department.id, department.code)
        actor = Actor(principal, "bench-import")
        created = request_import(actor, content, "application/x-ndjson")
        import_id = created.id
        db.session.remove()
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        status = run_import(import_id, args.batch)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        done = db.session.get(CitizenImport, import_id)
        assert done is not None
        result = {
            "import_id": str(import_id),
            "status": status,
            "rows": done.rows_done,
            "seconds": round(elapsed, 2),
            "rows_per_second": round(done.rows_done / elapsed, 1),
            "counts": {k: getattr(done, k) for k in ("created", "linked", "review", "rejected")},
            "known_share": args.known,
            "batch": args.batch,
        }
        print(json.dumps(result))
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()
