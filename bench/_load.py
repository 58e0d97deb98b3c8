"""Load generation shared by the throughput benchmarks: wrk (Lua) or a Python fallback.

``run_wrk`` runs a wrk Lua script that ends with ``WRK_DONE`` (a JSON summary on stdout);
``python_load`` is the fallback when wrk is absent: one thread per connection in a separate
process, each request on a new connection (gunicorn's sync workers close the connection after
every response, so keep-alive would not be kept anyway).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Sequence
from typing import Any

import psycopg
from _common import latency_summary, psycopg_url

# Numbers wrk's threads (``thread_id``) so each starts its ``counter`` at its own offset.
WRK_THREADS = """
counter = 0
thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
"""

# Appended to every wrk script: print the summary as one JSON line.
WRK_DONE = """
function done(summary, latency, requests)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    errors_connect = summary.errors.connect,
    errors_read = summary.errors.read,
    errors_write = summary.errors.write,
    errors_status = summary.errors.status,
    errors_timeout = summary.errors.timeout,
    p50_us = latency:percentile(50),
    p95_us = latency:percentile(95),
    p99_us = latency:percentile(99),
    mean_us = latency.mean,
    max_us = latency.max,
  }
  local parts = {}
  for k, v in pairs(out) do
    table.insert(parts, string.format('"%s": %s', k, tostring(v)))
  end
  io.write("WRK_JSON {" .. table.concat(parts, ", ") .. "}\\n")
end
"""

Request = tuple[str, str, bytes | None]  # method, path, body
LATENCY_COLUMNS = (
    ("server", "server"),
    ("req_per_s", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("p99_ms", "p99 ms"),
    ("requests", "requests"),
    ("non_2xx", "non-2xx"),
)


def sample_ids(database_url: str, count: int) -> list[str]:
    """About ``count`` citizen ids spread over the table (repeatable sample)."""
    with psycopg.connect(psycopg_url(database_url)) as conn:
        total = conn.execute("SELECT reltuples FROM pg_class WHERE relname = 'citizens'")
        rows = int((total.fetchone() or (0,))[0]) or count
        percent = min(100.0, 100.0 * count * 1.5 / max(rows, 1))
        ids = [
            str(row[0])
            for row in conn.execute(
                f"SELECT id FROM citizens TABLESAMPLE BERNOULLI ({percent:.4f}) REPEATABLE (42) "
                f"LIMIT {int(count)}"
            )
        ]
    if not ids:
        raise SystemExit("no citizens: run bench/load_citizens.py first")
    return ids


def run_wrk(base: str, script: str, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """Run wrk with ``script`` (which must include ``WRK_DONE``); requests/s and latencies."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        script,
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("WRK_JSON "))
    raw = json.loads(line[len("WRK_JSON ") :])
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    return {
        "requests": raw["requests"],
        "seconds": round(seconds_run, 2),
        "req_per_s": round(raw["requests"] / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "errors": errors,
        "non_2xx": raw["errors_status"],
    }


def _python_load(
    base: str,
    requests: Sequence[Request],
    headers: dict[str, str],
    seconds: float,
    connections: int,
    out: Any,
) -> None:
    parsed = urllib.parse.urlsplit(base)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections

    def worker(slot: int) -> None:
        i = slot * 997
        while time.perf_counter() < deadline:
            i += 1
            method, path, body = requests[i % len(requests)]
            started = time.perf_counter()
            conn = http.client.HTTPConnection(host, port, timeout=10)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = 200 <= response.status < 400
            except (OSError, http.client.HTTPException):
                ok = False
            finally:
                conn.close()
            latencies[slot].append(time.perf_counter() - started)
            failures[slot] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = [x for per in latencies for x in per]
    summary = latency_summary(flat)
    out.put(
        {
            "requests": len(flat),
            "seconds": round(elapsed, 2),
            "req_per_s": round(len(flat) / elapsed, 1),
            **{k: v for k, v in summary.items() if k != "n"},
            "errors": sum(failures),
            "non_2xx": sum(failures),
        }
    )


def python_load(
    base: str,
    requests: Sequence[Request],
    headers: dict[str, str],
    seconds: float,
    connections: int,
) -> dict[str, Any]:
    """Fallback load generator, run in its own process so it does not share our GIL."""
    context = mp.get_context("fork")
    out = context.Queue()
    process = context.Process(
        target=_python_load, args=(base, requests, headers, seconds, connections, out)
    )
    process.start()
    result: dict[str, Any] = out.get(timeout=seconds + 120)
    process.join()
    return result


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """A markdown table of ``rows``; ``columns`` are (key, heading) pairs."""
    lines = [
        "| " + " | ".join(heading for _, heading in columns) + " |",
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|",
    ]
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key, "")
            if isinstance(value, float):
                value = f"{value:,.2f}" if key.endswith("_ms") else f"{value:,.1f}"
            cells.append(str(value))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
