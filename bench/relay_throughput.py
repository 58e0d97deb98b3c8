"""Outbox relay throughput: how many committed events per second reach RQ.

    python bench/relay_throughput.py --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench

Writes ``--events`` outbox events (``interaction.recorded``, as the busiest writer does) in one
INSERT, then runs the real relay (``cgcrm.worker.relay.drain``: advisory lock, ``FOR UPDATE SKIP
LOCKED``, one MULTI/EXEC of batch jobs, mark published, commit) until nothing is pending, and
reports events/s and jobs/s, ``--rounds`` times. The jobs go to queues under a namespace of their
own (``QUEUE_NAMESPACE``), so no running worker takes them; the events and those queues are
deleted afterwards.

Events already waiting in the outbox (a freshly loaded database holds the catalog's
``*.created`` events) are held back for the run: marked published at a sentinel time far in the
future, which neither the relay, the redelivery sweep nor housekeeping touches, and handed back
(unpublished again) afterwards, also by the next run should this one be killed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from typing import Any

import redis
from _common import OUT_DIR
from sqlalchemy import delete, text, update

REDIS_URL = os.environ.get("CGCRM_REDIS_URL", "redis://127.0.0.1:6379/0")
BENCH_AGGREGATE = "bench-relay"
# "Published" at this time means: held back by this benchmark, to be handed back.
HELD_BACK = datetime(9999, 12, 31, tzinfo=UTC)


def _hold_back_waiting_events() -> int:
    """Take the events that already wait out of the relay's way; how many there were."""
    from cgcrm.core.outbox import OutboxEvent
    from cgcrm.extensions import db

    held = db.session.execute(
        update(OutboxEvent).where(OutboxEvent.published_at.is_(None)).values(published_at=HELD_BACK)
    ).rowcount
    db.session.commit()
    return int(held)


def _hand_back_held_events() -> int:
    """Make the events held back by this run (or a killed earlier one) wait again."""
    from cgcrm.core.outbox import OutboxEvent
    from cgcrm.extensions import db

    handed = db.session.execute(
        update(OutboxEvent).where(OutboxEvent.published_at == HELD_BACK).values(published_at=None)
    ).rowcount
    db.session.commit()
    return int(handed)


def _write_events(count: int) -> None:
    from cgcrm.extensions import db

    # gen_random_uuid() ids are not time-ordered like the app's UUIDv7, which the relay never
    # looks at: it orders by seq.
    db.session.execute(
        text(
            "INSERT INTO outbox_events (event_id, type, aggregate_type, aggregate_id, payload, "
            "occurred_at) SELECT gen_random_uuid(), 'interaction.recorded', :aggregate, "
            "gen_random_uuid(), '{}'::jsonb, now() FROM generate_series(1, :count)"
        ),
        {"aggregate": BENCH_AGGREGATE, "count": count},
    )
    db.session.commit()


def _clean(connection: redis.Redis, namespace: str) -> None:
    from cgcrm.core.outbox import OutboxEvent
    from cgcrm.extensions import db

    db.session.execute(delete(OutboxEvent).where(OutboxEvent.aggregate_type == BENCH_AGGREGATE))
    db.session.commit()
    queues = list(connection.scan_iter(f"rq:queue:{namespace}*"))
    jobs = [b"rq:job:" + job_id for queue in queues for job_id in connection.lrange(queue, 0, -1)]
    keys = jobs + list(connection.scan_iter(f"rq:*{namespace}*", count=10_000))
    for start in range(0, len(keys), 10_000):
        connection.delete(*keys[start : start + 10_000])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--output", default=str(OUT_DIR / "relay_throughput.json"))
    args = parser.parse_args(argv)

    from cgcrm import create_app
    from cgcrm.extensions import db
    from cgcrm.worker.relay import drain

    namespace = f"bench-relay-{os.getpid()}-"
    app = create_app(
        {"ENV": "development", "DATABASE_URL": args.database_url, "QUEUE_NAMESPACE": namespace}
    )
    connection = redis.Redis.from_url(REDIS_URL)
    results: list[dict[str, Any]] = []
    with app.app_context():
        batch, per_job = app.config["RELAY_BATCH_SIZE"], app.config["EVENTS_PER_JOB"]
        held = _hold_back_waiting_events()
        if held:
            print(f"{held:,} events already waiting are held back during the run")
        try:
            for round_number in range(1, args.rounds + 1):
                _write_events(args.events)
                started = time.perf_counter()
                published = drain(connection)
                seconds = time.perf_counter() - started
                jobs = -(-published // per_job)
                results.append(
                    {
                        "round": round_number,
                        "events": published,
                        "seconds": round(seconds, 3),
                        "events_per_s": round(published / seconds),
                        "jobs_per_s": round(jobs / seconds),
                    }
                )
                print(
                    f"round {round_number}: {published:,} events as {jobs:,} jobs in "
                    f"{seconds:.2f} s = {published / seconds:,.0f} events/s "
                    f"(RELAY_BATCH_SIZE {batch}, EVENTS_PER_JOB {per_job})"
                )
                _clean(connection, namespace)
        finally:
            _clean(connection, namespace)
            handed = _hand_back_held_events()
            if handed:
                print(f"{handed:,} held-back events wait in the outbox again")
            db.session.remove()
            db.engine.dispose()
    OUT_DIR.mkdir(exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump({"args": vars(args), "results": results}, handle, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
