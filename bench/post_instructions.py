"""Instructions per POST /interactions, cgcrm against the baseline app, counted by callgrind.

    python bench/post_instructions.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench

Throughput on this machine drifts by a factor of two within minutes (its CPUs are shared), so a
code change worth a few per cent cannot be seen in req/s without many rounds. Instructions are
not affected by that: valgrind's callgrind counts them exactly, the same to 0.1 % from run to
run. Each app runs in-process (Flask's test client) under ``valgrind --tool=callgrind`` with
instrumentation off; after ``--warmup`` requests it is switched on for ``--requests`` requests
and off again, so start-up, imports and the warm-up are not counted. Only the Python process
is counted: not PostgreSQL, gunicorn or the kernel. The two apps are counted side by side, in
two processes. Rows written are deleted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _common import BENCH_DIR, OUT_DIR, PROJECT_ROOT, bench_client, psycopg_url

APPS = ("cgcrm", "baseline")


def _send_all(
    app: str, database_url: str, credentials: list[str], sample: Path, warmup: int, count: int
) -> None:
    """In the child under valgrind: send the requests, instrumenting only the measured ones.

    The citizens and services come sampled by the parent, so the baseline's child never builds
    cgcrm's application (start-up under valgrind is slow, though not counted).
    """
    from _inprocess import token_client
    from interaction_throughput import make_bodies

    ids, codes = json.loads(sample.read_text())
    bodies = make_bodies(ids, codes, warmup + count, seed=5)
    if app == "baseline":
        os.environ["BASELINE_DATABASE_URL"] = psycopg_url(database_url)
        import baseline_app

        client = baseline_app.app.test_client()
        path, headers = "/interactions", {"Content-Type": "application/json"}
    else:
        _, client, headers = token_client(database_url, (credentials[0], credentials[1]))
        path = "/api/v1/interactions"
        headers["Content-Type"] = "application/json"
    for body in bodies[:warmup]:
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
    toggle = ["callgrind_control", "--instr"]
    subprocess.run([*toggle, "on", str(os.getpid())], check=True, capture_output=True)
    for body in bodies[warmup:]:
        client.post(path, data=body, headers=headers)
    subprocess.run([*toggle, "off", str(os.getpid())], check=True, capture_output=True)


def _count(app: str, args: argparse.Namespace, credentials: tuple[str, str], sample: Path) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--database-url",
            args.database_url,
            "--child",
            app,
            *credentials,
            "--sample",
            str(sample),
            "--warmup",
            str(args.warmup),
            "--requests",
            str(args.requests),
        ]
        env = {**os.environ, "PYTHONPATH": f"{PROJECT_ROOT}:{BENCH_DIR}"}
        subprocess.run(command, check=True, capture_output=True, env=env, cwd=PROJECT_ROOT)
        match = re.search(r"^totals:\s+(\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no callgrind summary for {app}")
        return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--child", nargs=3, metavar=("APP", "CLIENT_ID", "SECRET"))
    parser.add_argument("--sample", type=Path, help="(child) the parent's citizens and services")
    parser.add_argument("--output", default=str(OUT_DIR / "post_instructions.json"))
    args = parser.parse_args(argv)
    if args.child:
        app, *credentials = args.child
        _send_all(app, args.database_url, credentials, args.sample, args.warmup, args.requests)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    from interaction_throughput import SCOPES, cleanup
    from profile_post import _sample

    since = dt.datetime.now(dt.UTC)
    credentials = bench_client(args.database_url, SCOPES, name="bench-instructions")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sample = Path(tmp) / "sample.json"
            sample.write_text(json.dumps(_sample(args.database_url)))
            # Counts do not depend on what else runs, so both apps are counted at once.
            with ThreadPoolExecutor(len(APPS)) as pool:
                counted = list(pool.map(lambda app: _count(app, args, credentials, sample), APPS))
            counts = dict(zip(APPS, counted, strict=True))
        per_request = {app: counts[app] / args.requests for app in APPS}
    finally:
        cleanup(args.database_url, since, [f"client:{credentials[0]}", "client:baseline"])
    ratio = per_request["baseline"] / per_request["cgcrm"]
    for app in APPS:
        print(f"{app:<10}{per_request[app]:>14,.0f} instructions per request")
    print(f"baseline / cgcrm: {ratio:.1%} (the Python process only; see the module docstring)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump({"args": vars(args), "per_request": per_request, "ratio": ratio}, handle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
