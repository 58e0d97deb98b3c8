"""Where one payment create, or one signed notification, spends its CPU: the real app in-process.

    python bench/profile_payment.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench \\
        --kind create|notify [--channel counter|web] [--requests 300]

Sends requests through Flask's test client, sequentially, after a warm-up; prints the SQL
statements per request by kind, then (``--profile``) cProfile's top functions. The rows it wrote
are deleted at the end (the throughput bench's clean-up).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import pstats
import time
import uuid

from _common import OUT_DIR, bench_client
from _inprocess import print_breakdown, sql_breakdown, token_client
from payment_throughput import (
    NOTIFY_CLIENT,
    SCOPES,
    cleanup,
    notification_requests,
    payment_bodies,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--kind", choices=("create", "notify"), default="create")
    parser.add_argument("--channel", choices=("counter", "web", "phone"), default="counter")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument(
        "--cpu", action="store_true", help="profile CPU time (process_time), not wall time"
    )
    args = parser.parse_args(argv)

    since = dt.datetime.now(dt.UTC)
    credentials = bench_client(args.database_url, SCOPES, name="bench-profile-payments")
    app, client, headers = token_client(args.database_url, credentials)
    headers["Content-Type"] = "application/json"
    total = args.requests + 30
    bodies, _ = payment_bodies(args.database_url, args.channel, total, seed=7)
    if args.kind == "create":
        items = [(body, {**headers, "Idempotency-Key": uuid.uuid4().hex}) for body in bodies]

        def send(item: tuple[bytes, dict[str, str]]) -> object:
            return client.post("/api/v1/payments", data=item[0], headers=item[1])

    else:
        build = notification_requests(args.database_url, bodies, total, 1, 1)
        if isinstance(build, str):
            raise SystemExit(build)
        request_for = build("http://unused")
        items = list(range(total))

        def send(i: int) -> object:  # type: ignore[misc]
            made = request_for(0, i)
            assert made is not None
            _, path, body, extra = made
            response = client.post(path, data=body, headers=extra)
            assert response.status_code < 300, response.get_data(as_text=True)
            return response

    half = total // 2 + 15
    print_breakdown(f"{args.kind} ({args.channel})", sql_breakdown(app, send, items[:half]))
    if args.profile:
        rest = items[half:]
        profiler = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for item in rest:
            send(item)
        profiler.disable()
        elapsed = time.perf_counter() - started
        print(f"\nprofiled: {elapsed / max(len(rest), 1) * 1000:.2f} ms per request (cProfile)")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
            print(out.getvalue())
        OUT_DIR.mkdir(exist_ok=True)
        profiler.dump_stats(OUT_DIR / f"profile_payment_{args.kind}.pstats")
    actors = [f"client:{credentials[0]}"]
    if args.kind == "notify":  # the web payments notified were made as NOTIFY_CLIENT
        actors.append(f"client:{NOTIFY_CLIENT}")
    print(cleanup(args.database_url, since, actors))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
