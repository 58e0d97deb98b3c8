"""Payment creation and notification processing throughput, against a raw-psycopg baseline.

    python bench/payment_throughput.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --duration 20 --rounds 2

In one run, alternately (A B C, then C B A, ...), each server started afresh as
``gunicorn -w 2`` (sync workers, no access log, log level WARNING, SQL echo off) on a free port:

A. ``create``: ``wsgi:app`` ``POST /api/v1/payments`` with a fresh ``Idempotency-Key`` on every
   request, the bearer token of a new OAuth client (department CUSTOMER, ``payments:write
   citizens:read``), on ``--channel`` (``counter``: cash at a till, which succeeds at once and
   so posts its journal entry and completed contact in the same request; ``web``: the sandbox
   provider's card page, the payment left ``created``);
B. ``notify``: ``wsgi:app`` taking the sandbox gateway's signed notifications at our endpoint
   (``POST /api/v1/payments/notifications/sandbox``, HMAC-SHA256 ``Pay-Signature`` made when
   sent), each telling us that one of ``--payments`` web payments made beforehand through the
   payment service succeeded: a fresh notification per request, never a replay, and each
   applies the whole success (state, journal entry, completed contact, events, audit). Without
   the sandbox provider this part is skipped and says why;
C. ``baseline``: ``baseline_app:app`` ``POST /interactions`` (bench/baseline_app.py): Flask + one
   psycopg INSERT, the project's floor for a write.

Each: ``--warmup`` s, then ``--duration`` s at ``--connections`` connections (Python load
generator in its own process, a new connection per request, as gunicorn's sync workers close
it anyway). Prints req/s, latencies, the CPU seconds the server's processes (gunicorn master and
workers) and their PostgreSQL backends spent during the measured seconds, and each kind's
ratio to the baseline (target: at least 40 %), pooled over the rounds and as the median round.
The machine is shared: CPU seconds per 1,000 requests say what the code costs whatever the load.
The rows the run wrote are deleted afterwards (``--keep-rows`` keeps them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from _common import (
    OUT_DIR,
    QUIET_GUNICORN,
    bench_client,
    fetch_token,
    gunicorn,
    latency_summary,
    machine_summary,
    psycopg_url,
    quiet_app_env,
)
from _load import LATENCY_COLUMNS, markdown_table, sample_ids

SCOPES = "payments:write citizens:read"
TARGET = 0.40
NOTIFY_PATH = "/api/v1/payments/notifications/sandbox"
NOTIFY_CLIENT = "bench-notifications"
NOTIFY_DEPARTMENT = "CUSTOMER"

# (method, path, body, headers), or None when there is nothing more to send.
Request = tuple[str, str, bytes, dict[str, str]]
RequestFor = Callable[[int, int], Request | None]


@dataclass(frozen=True)
class Server:
    kind: str
    spec: str
    env: dict[str, str]
    requests: Callable[[str], RequestFor]  # from the server's base URL (to fetch a token)


# --- load --------------------------------------------------------------------------------


def _load(base: str, request_for: RequestFor, seconds: float, connections: int, out: Any) -> None:
    host, port = base.removeprefix("http://").split(":")
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    failures = [0] * connections
    statuses: dict[int, int] = {}

    def worker(slot: int) -> None:
        i = 0
        while time.perf_counter() < deadline:
            request = request_for(slot, i)
            i += 1
            if request is None:
                return
            method, path, body, headers = request
            started = time.perf_counter()
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
            finally:
                conn.close()
            latencies[slot].append(time.perf_counter() - started)
            failures[slot] += not 200 <= status < 300
            statuses[status] = statuses.get(status, 0) + 1

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
            "non_2xx": sum(failures),
            "statuses": statuses,
        }
    )


def run_load(base: str, request_for: RequestFor, seconds: float, connections: int) -> dict:
    """Drive ``base`` for ``seconds`` from ``connections`` threads in a forked process (so the
    load does not share our GIL); ``request_for(slot, i)`` gives each thread's i-th request."""
    context = mp.get_context("fork")
    out = context.Queue()
    process = context.Process(target=_load, args=(base, request_for, seconds, connections, out))
    process.start()
    result: dict[str, Any] = out.get(timeout=seconds + 300)
    process.join()
    return result


# --- CPU seconds -------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pids(port: int) -> list[int]:
    """The gunicorn master serving ``port`` and its workers."""
    masters = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"127.0.0.1:{port}".encode() in cmdline and any(b"gunicorn" in c for c in cmdline):
            masters.append(int(entry.name))
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid in masters:
                children.append(int(entry.name))
    return masters + children


def _backend_pids(database_url: str) -> list[int]:
    with psycopg.connect(psycopg_url(database_url)) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds of a server's processes and of the database's backends between two reads."""

    def __init__(self, base: str, database_url: str) -> None:
        self.port = int(base.rsplit(":", 1)[1])
        self.database_url = database_url
        self.before: dict[int, float] = {}

    def _read(self) -> tuple[dict[int, float], dict[int, float]]:
        server = {pid: _proc_cpu(pid) for pid in _server_pids(self.port)}
        backends = {pid: _proc_cpu(pid) for pid in _backend_pids(self.database_url)}
        return server, backends

    def start(self) -> None:
        self.server_before, self.backends_before = self._read()

    def stop(self) -> dict[str, float]:
        server, backends = self._read()
        return {
            "cpu_server_s": round(
                sum(v - self.server_before.get(pid, 0.0) for pid, v in server.items()), 2
            ),
            "cpu_postgres_s": round(
                sum(v - self.backends_before.get(pid, 0.0) for pid, v in backends.items()), 2
            ),
        }


# --- the three kinds of request ----------------------------------------------------------


def payment_bodies(
    database_url: str, channel: str, count: int, seed: int
) -> tuple[list[bytes], list[str]]:
    """``count`` payment bodies on ``channel`` for services of the catalog, citizens sampled."""
    import random

    rng = random.Random(seed)
    with psycopg.connect(psycopg_url(database_url)) as conn:
        services = [r[0] for r in conn.execute("SELECT code FROM services ORDER BY code")]
    ids = sample_ids(database_url, min(count, 2000))
    bodies = []
    for i in range(count):
        body: dict[str, Any] = {
            "amount": rng.choice((1250, 3000, 4599, 9900, 15000)),
            "service_code": services[rng.randrange(len(services))],
            "reference": f"BENCH-{i}",
            "description": "Benchmark payment",
            "citizen_id": ids[i % len(ids)],
            "channel": channel,
        }
        if channel == "counter":
            body["till_reference"] = f"BENCH-TILL-{i % 4 + 1}"
        elif channel == "web":
            body["return_url"] = "https://service.example/return"
        bodies.append(json.dumps(body, separators=(",", ":")).encode())
    return bodies, services


def create_requests(
    credentials: tuple[str, str], bodies: list[bytes]
) -> Callable[[str], RequestFor]:
    def build(base: str) -> RequestFor:
        token = fetch_token(base, *credentials)
        prefix = uuid.uuid4().hex[:12]

        def request_for(slot: int, i: int) -> Request:
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"bench-{prefix}-{slot}-{i}",
            }
            return "POST", "/api/v1/payments", bodies[(slot * 997 + i) % len(bodies)], headers

        return request_for

    return build


def baseline_requests(bodies: list[bytes]) -> Callable[[str], RequestFor]:
    def build(base: str) -> RequestFor:
        headers = {"Content-Type": "application/json"}
        return lambda slot, i: (
            "POST",
            "/interactions",
            bodies[(slot * 997 + i) % len(bodies)],
            headers,
        )

    return build


def interaction_bodies(ids: list[str], services: list[str], count: int) -> list[bytes]:
    """What the baseline inserts: a completed counter contact per payment, as the app records."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return [
        json.dumps(
            {
                "citizen_id": ids[i % len(ids)],
                "channel": "counter",
                "service_code": services[i % len(services)],
                "started_at": now,
                "outcome": "resolved",
                "transaction_stage": "completed",
            },
            separators=(",", ":"),
        ).encode()
        for i in range(count)
    ]


def _bench_actor(department: str) -> Any:
    """The principal the bench's web payments are created as (created_by names it)."""
    from cgcrm.catalog.codes import catalog_codes
    from cgcrm.core.principal import Actor, Principal

    found = catalog_codes.department_by_code(department)
    principal = Principal(
        kind="client",
        id=NOTIFY_CLIENT,
        department_id=found.id if found else None,
        department_code=department,
        scopes=frozenset({"payments:write", "citizens:read"}),
    )
    return Actor(principal, "bench-payments")


def notification_requests(
    database_url: str, bodies: list[bytes], count: int, connections: int, loads: int
) -> Callable[[str], RequestFor] | str:
    """The sandbox gateway's notifications, one fresh per request: ``count`` web payments are
    made through the payment service (the sandbox opens a charge for each), and each request
    tells our endpoint, signed as the gateway signs (``cgcrm.payments.signatures``, timestamped
    when sent), that one of them succeeded. The success is the whole path: the payment's move,
    its journal entry, completed contact, events and audit.

    :returns: the request builder, or why notifications cannot be measured here.
    """
    try:
        from cgcrm.payments import service, signatures
        from cgcrm.payments.providers import provider_for
    except ImportError as exc:
        return f"the payment service is not available ({exc})"
    from _common import make_app

    app = make_app(database_url)
    references: list[str] = []
    with app.app_context():
        try:
            provider_for("sandbox")
        except Exception as exc:  # the sandbox gateway's module is not installed
            return f"the sandbox provider is not available ({exc})"
        actor = _bench_actor(NOTIFY_DEPARTMENT)
        started = time.perf_counter()
        for i in range(count):
            body = json.loads(bodies[i % len(bodies)])
            body.update(channel="web", provider="sandbox", till_reference=None)
            body["return_url"] = "https://service.example/return"
            payment = service.create_payment(actor, body)
            assert payment.provider_reference is not None
            references.append(payment.provider_reference)
        secret = signatures.secrets_from(
            str(app.config["SANDBOX_NOTIFICATION_SECRETS"]), str(app.config["SECRET_KEY"])
        )[0]
        print(f"made {count} web payments in {time.perf_counter() - started:.1f} s", flush=True)
        from cgcrm.extensions import db

        db.session.remove()
        db.engine.dispose()
    header = signatures.HEADER
    sign = signatures.sign
    # Every load (each round's warm-up and measured seconds) takes the next unused chunk.
    chunk = max(1, len(references) // loads)
    chunks = [references[start : start + chunk] for start in range(0, len(references), chunk)]

    def build(base: str) -> RequestFor:
        batch = chunks.pop(0) if chunks else []
        per_slot = [batch[slot::connections] for slot in range(connections)]

        def request_for(slot: int, i: int) -> Request | None:
            mine = per_slot[slot]
            if i >= len(mine):
                return None  # each notification once: a repeat would be refused as a replay
            now = dt.datetime.now(dt.UTC).isoformat()
            body = json.dumps(
                {
                    "id": str(uuid.uuid4()),
                    "provider": "sandbox",
                    "type": "payment.updated",
                    "sequence": 3,
                    "created_at": now,
                    "resource": {
                        "type": "payment",
                        "provider_reference": mine[i],
                        "state": "success",
                        "code": None,
                        "card": {"brand": "visa", "last4": "1111", "expiry": "12/30"},
                        "occurred_at": now,
                    },
                },
                separators=(",", ":"),
            ).encode()
            headers = {
                header: sign(body, [secret], int(time.time())),
                "Content-Type": "application/json",
            }
            return "POST", NOTIFY_PATH, body, headers

        return request_for

    return build


# --- the run -----------------------------------------------------------------------------


def measure(server: Server, args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    with gunicorn(server.spec, server.env, workers=args.workers, extra_args=QUIET_GUNICORN) as base:
        # Fresh requests for each load: new idempotency keys, unused notifications.
        run_load(base, server.requests(base), args.warmup, args.connections)
        request_for = server.requests(base)
        meter = CpuMeter(base, database_url)
        meter.start()
        result = run_load(base, request_for, args.duration, args.connections)
        cpu = meter.stop()
    per_k = (cpu["cpu_server_s"] + cpu["cpu_postgres_s"]) / max(result["requests"], 1) * 1000
    return {"kind": server.kind, **result, **cpu, "cpu_s_per_1000": round(per_k, 2)}


def cleanup(database_url: str, since: dt.datetime, actors: list[str]) -> dict[str, int]:
    """Delete what the run wrote: payments and all that hangs off them, contacts, events, keys."""
    removed: dict[str, int] = {}
    with psycopg.connect(psycopg_url(database_url)) as conn:
        params = {"since": since, "by": actors}
        payments = (
            "SELECT id FROM payments WHERE created_at >= %(since)s AND created_by = ANY(%(by)s)"
        )
        charges = (
            "SELECT id FROM sandbox_charges WHERE merchant_reference IN "
            f"(SELECT reference FROM payments WHERE id IN ({payments}))"
        )
        statements = {
            "payment_notifications": "DELETE FROM payment_notifications "
            f"WHERE payment_id IN ({payments})",
            "sandbox_notifications": "DELETE FROM sandbox_notifications "
            f"WHERE charge_id IN ({charges})",
            "sandbox_refunds": f"DELETE FROM sandbox_refunds WHERE charge_id IN ({charges})",
            "sandbox_charges": f"DELETE FROM sandbox_charges WHERE id IN ({charges})",
            "reconciliation_items": "DELETE FROM reconciliation_items "
            f"WHERE payment_id IN ({payments})",
            "journal_entries": f"DELETE FROM journal_entries WHERE payment_id IN ({payments})",
            "payment_events": f"DELETE FROM payment_events WHERE payment_id IN ({payments})",
            "refunds": f"DELETE FROM refunds WHERE payment_id IN ({payments})",
            "outbox_events": "DELETE FROM outbox_events WHERE occurred_at >= %(since)s AND "
            f"(aggregate_id IN ({payments}) OR aggregate_id IN (SELECT id FROM interactions "
            "WHERE recorded_at >= %(since)s AND recorded_by = ANY(%(by)s)))",
            "interactions": "DELETE FROM interactions WHERE recorded_at >= %(since)s "
            "AND recorded_by = ANY(%(by)s)",
            "payments": "DELETE FROM payments WHERE created_at >= %(since)s "
            "AND created_by = ANY(%(by)s)",
            "idempotency_keys": "DELETE FROM idempotency_keys WHERE principal_id = ANY(%(by)s)",
        }
        for table, statement in statements.items():
            exists = conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()
            if exists and exists[0] is not None:
                removed[table] = conn.execute(statement, params).rowcount
        conn.commit()
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--bodies", type=int, default=2000)
    parser.add_argument("--channel", choices=("counter", "web", "phone"), default="counter")
    parser.add_argument(
        "--payments", type=int, default=4000, help="web payments made for notifications"
    )
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--skip-notifications", action="store_true")
    parser.add_argument("--keep-rows", action="store_true")
    parser.add_argument("--output", default=str(OUT_DIR / "payment_throughput.json"))
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    url = args.database_url
    with psycopg.connect(psycopg_url(url)) as conn:
        since = conn.execute("SELECT now() - interval '1 second'").fetchone()[0]  # type: ignore[index]

    bodies, services = payment_bodies(url, args.channel, args.bodies, args.seed)
    ids = sample_ids(url, min(args.bodies, 2000))
    credentials = bench_client(url, SCOPES, name="bench-payments")
    app_env = quiet_app_env(url)
    servers = [
        Server("create", "wsgi:app", app_env, create_requests(credentials, bodies)),
        Server(
            "baseline",
            "baseline_app:app",
            {"BASELINE_DATABASE_URL": psycopg_url(url)},
            baseline_requests(interaction_bodies(ids, services, args.bodies)),
        ),
    ]
    skipped = None
    if args.skip_notifications:
        skipped = "--skip-notifications"
    else:
        # Enough fresh notifications for every round's warm-up and measured seconds.
        notify = notification_requests(
            url, bodies, args.payments, args.connections, 2 * args.rounds
        )
        if isinstance(notify, str):
            skipped = notify
        else:
            servers.insert(1, Server("notify", "wsgi:app", app_env, notify))
    load_before = os.getloadavg()
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; channel {args.channel}; "
        f"{args.connections} connections, {args.warmup} s warm-up + {args.duration} s; "
        f"gunicorn -w {args.workers} (sync); load {load_before}"
    )
    if skipped:
        print(f"notification processing not measured: {skipped}")
    results: list[dict[str, Any]] = []
    removed = None
    try:
        for round_no in range(1, args.rounds + 1):
            order = servers if round_no % 2 else servers[::-1]
            for server in order:
                result = measure(server, args, url)
                result["server"] = f"{server.kind} #{round_no}"
                results.append(result)
                print(
                    f"  {result['server']:<14}{result['req_per_s']:>8.1f} req/s  "
                    f"non-2xx {result['non_2xx']}  CPU server {result['cpu_server_s']} s "
                    f"+ postgres {result['cpu_postgres_s']} s ({result['cpu_s_per_1000']} s "
                    f"per 1,000)",
                    flush=True,
                )
    finally:
        if not args.keep_rows:
            actors = [f"client:{credentials[0]}", "client:baseline", f"client:{NOTIFY_CLIENT}"]
            removed = cleanup(url, since, actors)
            print(f"cleaned up: {removed}")
    columns = (
        *LATENCY_COLUMNS,
        ("cpu_server_s", "server CPU s"),
        ("cpu_postgres_s", "postgres CPU s"),
        ("cpu_s_per_1000", "CPU s / 1,000"),
    )
    print("\n" + markdown_table(results, columns))
    ratios: dict[str, Any] = {}
    baseline = [r for r in results if r["kind"] == "baseline"]
    for kind in sorted({s.kind for s in servers} - {"baseline"}):
        mine = [r for r in results if r["kind"] == kind]
        per_round = [
            round(a["req_per_s"] / b["req_per_s"], 3) for a, b in zip(mine, baseline, strict=True)
        ]
        pooled = sum(r["req_per_s"] for r in mine) / sum(r["req_per_s"] for r in baseline)
        cpu_ratio = statistics.median(r["cpu_s_per_1000"] for r in baseline) / max(
            statistics.median(r["cpu_s_per_1000"] for r in mine), 1e-9
        )
        ratios[kind] = {
            "pooled": round(pooled, 3),
            "median_round": statistics.median(per_round),
            "per_round": per_round,
            "cpu_per_request_ratio": round(cpu_ratio, 3),
        }
        print(
            f"{kind} / baseline: {pooled:.1%} pooled, median round "
            f"{statistics.median(per_round):.1%} (per round {per_round}); by CPU per request "
            f"{cpu_ratio:.1%}; target >= {TARGET:.0%}"
        )
    load_after = os.getloadavg()
    print(f"load average before {load_before}, after {load_after}")
    summary = {
        "args": vars(args),
        "machine": machine_summary(),
        "load_before": load_before,
        "load_after": load_after,
        "results": results,
        "ratios": ratios,
        "notifications_skipped": skipped,
        "removed": removed,
    }
    with open(args.output, "w") as handle:
        json.dump(summary, handle, indent=1, default=str)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
