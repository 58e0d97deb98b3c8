"""Bulk import with matching: rows per second of the import job on a loaded population.

    DB=postgresql://postgres@127.0.0.1:5432/cgcrm_bench_i
    python bench/load_citizens.py --database-url $DB --count 100000 --reset
    python bench/import_throughput.py --database-url $DB --rows 20000

The file (NDJSON) mixes people the population already holds (the loader's own generator and
seed, so they are the same people: they must link) with new people (another seed: they must be
created), in the proportion ``--known``. Of the known people, ``--corrupted`` are sent as
another office typed them (``matching_corruption``: typos, nicknames, swapped names, moved
addresses, missing fields, their own identifiers), the others as they are stored; and
``--repeats`` of the new people come twice, the second copy corrupted (the file's own
duplicates). The import is stored through the service as the API would, then its job function
runs in this process, timed from start to done.

Every row's outcome is checked against the truth: a known person must link to the stored
record (found by the original's identifier), a new one must be created, a repeat must link to
the record its first copy made. ``review`` outcomes are counted apart (a person decides). CPU
seconds are reported beside the wall time: this process's (``python``), the processes the job
forks to prepare batches (``python_children``, ``IMPORT_PREPARE_PROCESSES``, ``--processes``)
and every backend of the database (sampled from a thread of its own, since the children's
backends end before the job does), with CPU milliseconds per row: the machine is shared, and
CPU per row says what the code costs whatever the load. ``--profile`` sees this process only
(run it with ``--processes 0`` to see the preparation too, in a thread).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import os
import pstats
import random
import resource
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from _common import make_app
from matching_corruption import Corruptor, corrupt, load_nicknames
from sqlalchemy import select, text

from cgcrm.catalog.models import Department
from cgcrm.citizens import normalize
from cgcrm.citizens.models import ContactPoint, ExternalIdentifier
from cgcrm.citizens.record import identifier_index
from cgcrm.citizens.synthetic.generator import generate_citizens
from cgcrm.core.principal import Actor, Principal
from cgcrm.extensions import db
from cgcrm.integrations.imports.apply import run_import
from cgcrm.integrations.imports.models import CitizenImport, ImportRow
from cgcrm.integrations.imports.service import request_import

POPULATION_SEED = 2026  # bench/load_citizens.py's


def build_file(
    args: argparse.Namespace,
) -> tuple[bytes, list[tuple[str, Any]]]:
    """The file, and each row's truth: ("known", the stored person's body), ("new", None) or
    ("repeat", the row number of its first copy)."""
    rng = random.Random(args.seed)
    known_rows = int(args.rows * args.known)
    existing = list(generate_citizens(min(args.population, known_rows * 5), seed=POPULATION_SEED))
    picked = rng.sample(existing, min(known_rows, len(existing)))
    repeats = int((args.rows - len(picked)) * args.repeats)
    fresh = list(generate_citizens(args.rows - len(picked) - repeats, seed=args.seed + 1000))
    corruptor = Corruptor(random.Random(args.seed + 1), load_nicknames(), existing[:1000])
    # Each row gets a place in the file; a repeat's is after its first copy's.
    rows: list[tuple[float, dict[str, Any], tuple[str, Any]]] = []
    for person in picked:
        body = corrupt(person, corruptor)[0] if rng.random() < args.corrupted else person
        rows.append((rng.random(), body, ("known", person)))
    places = [rng.random() for _ in fresh]
    rows += [(places[i], person, ("new", i)) for i, person in enumerate(fresh)]
    for index in rng.sample(range(len(fresh)), min(repeats, len(fresh))):
        place = rng.uniform(places[index], 1.0)
        rows.append((place, corrupt(fresh[index], corruptor)[0], ("repeat", index)))
    rows.sort(key=lambda row: row[0])
    numbered = {truth[1]: n for n, (_, _, truth) in enumerate(rows, 1) if truth[0] == "new"}
    truths = [(k, numbered[v] if k == "repeat" else v) for _, _, (k, v) in rows]
    return "\n".join(json.dumps(body) for _, body, _ in rows).encode(), truths


def _stored_id(person: dict[str, Any]) -> Any:
    """The stored record of a population person: by the original's identifiers, else by its
    emails and phones (when they name one record)."""
    indexes = [identifier_index(item["value"]) for item in person.get("identifiers") or []]
    if indexes:
        return db.session.scalar(
            select(ExternalIdentifier.citizen_id).where(ExternalIdentifier.value_index.in_(indexes))
        )
    values = set()
    for point in person.get("contact_points") or []:
        if point["kind"] == "email":
            values.add(normalize.normalise_email(point["value"]))
        else:
            values.add(normalize.try_phone(point["value"], "AU"))
    found = set(
        db.session.scalars(
            select(ContactPoint.citizen_id).where(ContactPoint.value.in_(values - {None}))
        )
    )
    return found.pop() if len(found) == 1 else None


def judge(import_id: Any, truths: list[tuple[str, Any]]) -> dict[str, Any]:
    """Each row's outcome against the truth: right, wrong, review (a person decides)."""
    outcomes = {
        r.row_number: (r.outcome, r.citizen_id)
        for r in db.session.execute(
            select(ImportRow.row_number, ImportRow.outcome, ImportRow.citizen_id).where(
                ImportRow.import_id == import_id
            )
        )
    }
    verdicts: Counter[str] = Counter()
    for number, (kind, value) in enumerate(truths, 1):
        outcome, citizen_id = outcomes.get(number, ("missing", None))
        if outcome in ("review", "rejected", "missing"):
            verdicts[f"{kind}:{outcome}"] += 1
            continue
        if kind == "new":
            right = outcome == "created"
        elif kind == "repeat":
            right = outcome == "linked" and citizen_id == outcomes.get(value, (None, None))[1]
        else:
            truth_id = _stored_id(value)
            if truth_id is None:
                verdicts["known:unknowable"] += 1
                continue
            right = outcome == "linked" and citizen_id == truth_id
        verdicts[f"{kind}:{'right' if right else 'wrong'}:{outcome}"] += 1
    return dict(sorted(verdicts.items()))


def _cpu_of(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends_cpu() -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to this database, when they run on
    this machine (nobody else uses the benchmark's database)."""
    seconds = {}
    for pid in db.session.scalars(
        text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
    ):
        cpu = _cpu_of(pid)
        if cpu is not None:
            seconds[pid] = cpu
    db.session.commit()
    return seconds


class BackendSampler:
    """The CPU of every backend of the database, sampled every ``interval`` seconds from a
    thread of its own connection: the import's preparing processes connect and disconnect
    during the run, and a backend that has gone can no longer be read. Each backend counts
    as its last sample (at most ``interval`` late)."""

    def __init__(self, database_url: str, interval: float = 0.2) -> None:
        self.url = database_url.replace("postgresql+psycopg://", "postgresql://")
        self.interval = interval
        self.seen: dict[int, float] = {}
        # This thread's own CPU, which is the bench's, not the import's.
        self.own_cpu = 0.0
        self.first: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as connection:
            own = connection.info.backend_pid
            while True:
                pids = [
                    row[0]
                    for row in connection.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    )
                ]
                for pid in pids:
                    cpu = _cpu_of(pid)
                    if pid != own and cpu is not None:
                        self.first.setdefault(pid, cpu)
                        self.seen[pid] = cpu
                if self._stop.wait(self.interval):
                    self.own_cpu = time.thread_time()
                    return

    def start(self, before: dict[int, float]) -> None:
        self.first.update(before)
        self._thread.start()

    def stop(self) -> float:
        """CPU seconds the backends spent since ``start``."""
        self._stop.set()
        self._thread.join()
        return sum(self.seen[pid] - self.first[pid] for pid in self.seen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--known", type=float, default=0.3, help="share of rows already held")
    parser.add_argument(
        "--corrupted", type=float, default=0.5, help="share of known rows typed differently"
    )
    parser.add_argument(
        "--repeats", type=float, default=0.05, help="share of new people sent twice"
    )
    parser.add_argument("--population", type=int, default=100000, help="people loaded")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        help="IMPORT_PREPARE_PROCESSES for the run (default: the setting's)",
    )
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="profile order (pstats keys)")
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    logging.getLogger("cgcrm.integrations.imports.apply").setLevel(logging.INFO)
    app = make_app(args.database_url)
    content, truths = build_file(args)
    with app.app_context():
        department = db.session.query(Department).order_by(Department.code).first()
        assert department is not None, "load the catalog first (bench/load_citizens.py)"
        principal = Principal("client", "bench-import", department.id, department.code)
        actor = Actor(principal, "bench-import")
        created = request_import(actor, content, "application/x-ndjson")
        import_id = created.id
        db.session.remove()
        profiler = cProfile.Profile() if args.profile else None
        if args.processes is not None:
            app.config["IMPORT_PREPARE_PROCESSES"] = args.processes
        load_before = os.getloadavg()
        sampler = BackendSampler(args.database_url)
        sampler.start(_backends_cpu())
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        status = run_import(import_id, args.batch)
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        children_cpu = (
            children.ru_utime
            - children_before.ru_utime
            + children.ru_stime
            - children_before.ru_stime
        )
        backend_cpu = round(sampler.stop(), 2)
        cpu -= sampler.own_cpu
        done = db.session.get(CitizenImport, import_id)
        assert done is not None
        result = {
            "import_id": str(import_id),
            "status": status,
            "rows": done.rows_done,
            "seconds": round(elapsed, 2),
            "rows_per_second": round(done.rows_done / elapsed, 1),
            "cpu_seconds": {
                "python": round(cpu, 2),
                "python_children": round(children_cpu, 2),
                "postgres": backend_cpu,
            },
            "cpu_ms_per_row": {
                "python": round((cpu + children_cpu) * 1000 / done.rows_done, 3),
                "postgres": round(backend_cpu * 1000 / done.rows_done, 3),
            },
            "rows_per_cpu_second": round(done.rows_done / (cpu + children_cpu + backend_cpu), 1),
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "counts": {k: getattr(done, k) for k in ("created", "linked", "review", "rejected")},
            "truth": judge(import_id, truths),
            "known_share": args.known,
            "corrupted_share": args.corrupted,
            "repeats_share": args.repeats,
            "batch": args.batch,
        }
        print(json.dumps(result))
        if profiler:
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(120)


if __name__ == "__main__":
    main()
