"""Helpers shared by the benchmark scripts: paths, the app, gunicorn, tokens, percentiles."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = PROJECT_ROOT / "bench"
# Where every output goes; the smoke tests point it at a scratch directory.
OUT_DIR = Path(os.environ.get("CGCRM_BENCH_OUT") or BENCH_DIR / "out")
QUERIES_FILE = OUT_DIR / "queries.jsonl"
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/cgcrm_bench"
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
# Benchmarks send hundreds of requests a second from one address and client: rate limits far
# above that, so they measure the limiter's cost but are never refused by it.
UNREACHED_RATE_LIMITS = {
    f"RATE_LIMIT_{api}_PER_{who}": "1000000000/60"
    for api in ("API", "OAUTH")
    for who in ("CLIENT", "ADDRESS")
}
GUNICORN_CONFIG = PROJECT_ROOT / "config" / "gunicorn.conf.py"

if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))


def psycopg_url(url: str) -> str:
    """A libpq URL (psycopg.connect) from what operators write, SQLAlchemy prefixes removed."""
    for prefix in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql://" + url[len(prefix) :]
    return url


def make_app(database_url: str) -> Any:
    """The real application, bound to ``database_url`` (ENV development, as the brief says)."""
    from cgcrm import create_app

    return create_app({"ENV": "development", "DATABASE_URL": database_url, **UNREACHED_RATE_LIMITS})


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for no values)."""
    if not sorted_values:
        return 0.0
    rank = max(1, int(-(-pct * len(sorted_values) // 100)))  # ceil(pct/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max in milliseconds."""
    values = sorted(seconds)
    if not values:
        return {"n": 0, "p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "mean_ms": 0.0, "max_ms": 0.0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p95_ms": round(percentile(values, 95) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "mean_ms": round(sum(values) / len(values) * 1000, 2),
        "max_ms": round(values[-1] * 1000, 2),
    }


def load_queries(path: Path = QUERIES_FILE) -> list[dict[str, Any]]:
    if not path.exists():
        raise SystemExit(f"{path} is missing: run bench/load_citizens.py first")
    with path.open() as handle:
        return [json.loads(line) for line in handle if line.strip()]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout:.0f} s")


@contextlib.contextmanager
def gunicorn(
    app_spec: str,
    env: dict[str, str],
    *,
    workers: int = 2,
    ready_path: str = "/healthz",
    log_file: Path | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """Run ``gunicorn -c config/gunicorn.conf.py -w N -b 127.0.0.1:<port> app_spec``; yield its URL.

    No access log (gunicorn's default). Stops the server it started (by its own pid) on exit.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_file = log_file or OUT_DIR / f"gunicorn-{app_spec.split(':')[0]}-{port}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, **env, "PYTHONPATH": f"{PROJECT_ROOT}:{BENCH_DIR}"}
    command = [
        str(VENV_BIN / "gunicorn"),
        "--config",
        str(GUNICORN_CONFIG),
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        *extra_args,
        app_spec,
    ]
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(base + ready_path, process)
            yield base
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def app_env(database_url: str) -> dict[str, str]:
    """Environment of the real app under gunicorn."""
    limits = {f"CGCRM_{name}": value for name, value in UNREACHED_RATE_LIMITS.items()}
    return {"CGCRM_DATABASE_URL": database_url, "CGCRM_ENV": "development", **limits}


def quiet_app_env(database_url: str) -> dict[str, str]:
    """``app_env`` for throughput runs: logging at WARNING, SQL echo off."""
    return {**app_env(database_url), "CGCRM_LOG_LEVEL": "WARNING", "CGCRM_SQL_ECHO": "false"}


QUIET_GUNICORN = ("--log-level", "warning")


def bench_client(
    database_url: str, scope: str = "citizens:read citizens:write", name: str = "bench"
) -> tuple[str, str]:
    """Create a fresh OAuth client ``name`` with ``scope`` in department CUSTOMER (or the
    first catalog department when there is no CUSTOMER).

    :returns: (client_id, client_secret).
    """
    from sqlalchemy import select

    from cgcrm.catalog.models import Department
    from cgcrm.extensions import db
    from cgcrm.identity.service import create_client

    app = make_app(database_url)
    with app.app_context():
        codes = list(db.session.scalars(select(Department.code).order_by(Department.code)))
        if not codes:
            raise SystemExit("no departments: run bench/load_citizens.py first")
        department = "CUSTOMER" if "CUSTOMER" in codes else codes[0]
        issued = create_client(name, department, scope)
        result = (issued.client.client_id, issued.client_secret)
        db.session.remove()
        db.engine.dispose()
    return result


def fetch_token(base_url: str, client_id: str, client_secret: str) -> str:
    """A bearer token from the running server's ``/oauth/token`` (client credentials)."""
    import base64

    body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = urllib.request.Request(
        base_url + "/oauth/token",
        data=body,
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        token: str = json.loads(response.read())["access_token"]
        return token


def machine_summary() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"nproc": str(os.cpu_count()), "cpu": cpu}


def nproc() -> int:
    return os.cpu_count() or 1
