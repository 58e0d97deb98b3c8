"""The duplicate scan on a loaded population: records per second, pairs, peak memory, time.

    DB=postgresql://postgres@127.0.0.1:5432/cgcrm_bench_i
    python bench/load_citizens.py --database-url $DB --count 100000 --reset
    python bench/duplicate_scan.py --database-url $DB

The scan's job function (``cgcrm.matching.scan.run_scan``, what the ``imports`` worker runs)
runs in this process on a scan row of its own, so a scan left queued by someone else does not
stop the benchmark; its phases (candidate pairs found in PostgreSQL, features read, pairs
scored) are logged to stderr with their times. Peak memory is this process's maximum resident
set (``resource.getrusage``), the pickled features of the paired records included; the work
done inside PostgreSQL (keys, blocks, pairs) is in its own processes, not in this figure nor
in this process's CPU time. Pairs filed are the pairs the scan filed new (a pair filed before,
by any path, is left as it was).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
import uuid

from _common import make_app

from cgcrm.extensions import db
from cgcrm.matching.models import DuplicateScan
from cgcrm.matching.scan import SCAN_CHUNK, population_size, run_scan

# The target: a million citizens scanned in under 15 minutes.
TARGET_RECORDS = 1_000_000
TARGET_SECONDS = 15 * 60


def peak_memory_mb() -> float:
    """This process's peak resident set in MB (ru_maxrss is KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--block-cap", type=int, default=None, help="SCAN_BLOCK_CAP override")
    parser.add_argument("--chunk", type=int, default=SCAN_CHUNK, help="pairs per commit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("cgcrm.matching.scan").setLevel(logging.INFO)
    logging.getLogger("cgcrm.matching.scan_blocks").setLevel(logging.DEBUG)
    app = make_app(args.database_url)
    with app.app_context():
        cap = args.block_cap or int(app.config["SCAN_BLOCK_CAP"])
        records = population_size()
        scan = DuplicateScan(
            id=uuid.uuid4(),
            status="queued",
            requested_by="bench:duplicate_scan",
            records_done=0,
            pairs_compared=0,
            pairs_filed=0,
        )
        db.session.add(scan)
        db.session.commit()
        scan_id = scan.id
        db.session.remove()
        memory_before = peak_memory_mb()
        started = time.perf_counter()
        cpu_before = time.process_time()
        status = run_scan(scan_id, cap, args.chunk)
        elapsed = time.perf_counter() - started
        done = db.session.get(DuplicateScan, scan_id)
        assert done is not None
        rate = done.records_done / elapsed if elapsed else 0.0
        result = {
            "scan_id": str(scan_id),
            "status": status,
            "records": done.records_done,
            "population": records,
            "seconds": round(elapsed, 1),
            "records_per_second": round(rate, 1),
            "pairs_compared": done.pairs_compared,
            "pairs_filed": done.pairs_filed,
            "peak_memory_mb": peak_memory_mb(),
            "memory_before_scan_mb": memory_before,
            "block_cap": cap,
            "cpu_seconds_this_process": round(time.process_time() - cpu_before, 1),
            # Linear in records at this rate; chance pairs grow faster (with the square of the
            # population, a few per record at 1M), so measure at 1M rather than trust this.
            "extrapolated_seconds_for_1m": round(TARGET_RECORDS / rate, 0) if rate else None,
            "target_seconds_for_1m": TARGET_SECONDS,
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
