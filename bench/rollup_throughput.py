"""Incremental rollup throughput: how many ``interaction.recorded`` events per second the
worker's event processing applies, against the relay's rate in the same run.

    python bench/rollup_throughput.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --events 20000 --rounds 3

Needs ``bench/load_interactions.py``. Each round, in turn:

- **relay**: ``--relay-events`` outbox events published by the real relay, as
  ``bench/relay_throughput.py`` does (its functions; ``--skip-relay`` leaves it out);
- **handlers**: ``--events`` new contacts of the last ``--window-hours`` hours (rows of
  ``bench/interaction_rows.py``, so transactions with refs, later completions and repeat contacts
  of loaded citizens, whose history the handlers look up), COPYed into ``interactions`` with
  their ``interaction.recorded`` outbox events (the payload ``record_interaction`` writes, built
  in SQL, UUIDv7 event ids as ``add_event`` makes them, marked published as the relay leaves
  them); not timed. Then ``cgcrm.worker.handlers.process_events`` is called on the event ids in
  publication order, in batches of ``--batch`` (default ``EVENTS_PER_JOB``: what one worker job
  gets in a backlog), each in an app context of its own as a job runs, in-process (no RQ, no
  fork of a work horse), with the rollup handler alone (``--handlers rollups``, the default:
  the measure of the issue) or every handler of the event (``--handlers all``: the survey
  invitations too). Timed: events/s.

Prints both rates and their ratio (target: the rollups at least the relay's rate). The relay
and the handlers read the same settings (``CGCRM_EVENTS_PER_JOB`` changes both). The new
contacts stay (contacts of today, counted in the rollups as the worker would count them; the
database grows by ``--events`` per round). ``--profile`` writes a cProfile of the handler rounds
to ``out/rollup_throughput_profile.txt`` and prints its top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
import redis
from _common import OUT_DIR, machine_summary, psycopg_url
from interaction_rows import RowMaker, citizen_weights
from load_interactions import COPY_SQL, read_inputs
from relay_throughput import (
    REDIS_URL,
    _clean,
    _hand_back_held_events,
    _hold_back_waiting_events,
    _write_events,
)

EVENTS_SQL = """
INSERT INTO outbox_events (event_id, type, aggregate_type, aggregate_id, payload, occurred_at,
                           published_at, deliveries)
SELECT e.event_id, 'interaction.recorded', 'interaction', i.id,
       jsonb_build_object(
           'interaction_id', i.id::text, 'citizen_id', i.citizen_id::text,
           'case_id', i.case_id::text, 'channel', i.channel_code, 'service_code', s.code,
           'department_code', d.code, 'outcome', i.outcome,
           'transaction_stage', i.transaction_stage, 'transaction_ref', i.transaction_ref),
       i.recorded_at, now(), 1
FROM unnest(%s::uuid[], %s::uuid[]) AS e(interaction_id, event_id)
JOIN interactions i ON i.id = e.interaction_id
JOIN departments d ON d.id = i.department_id
LEFT JOIN services s ON s.id = i.service_id
ORDER BY i.recorded_at, i.id
RETURNING seq, event_id
"""


def write_contacts(dsn: str, lines: list[str]) -> list[str]:
    """COPY the rows and write their events; the event ids in publication (seq) order.

    Event ids are UUIDv7, as ``add_event`` makes them: the handlers' markers then go in at the
    end of their index, as in the application (random ids would scatter them)."""
    from cgcrm.core.ids import new_id

    ids = [uuid.UUID(line[:32]) for line in lines]
    event_ids = [new_id() for _ in ids]
    with psycopg.connect(dsn) as conn:
        with conn.cursor().copy(COPY_SQL) as copy:
            copy.write("".join(lines))
        written = conn.execute(EVENTS_SQL, (ids, event_ids)).fetchall()
        conn.commit()
    return [str(event_id) for _, event_id in sorted(written)]


def relay_round(connection: redis.Redis, namespace: str, events: int) -> dict[str, Any]:
    from cgcrm.worker.relay import drain

    _write_events(events)
    started = time.perf_counter()
    published = drain(connection)
    seconds = time.perf_counter() - started
    _clean(connection, namespace)
    return {"events": published, "seconds": round(seconds, 3), "events_per_s": published / seconds}


def handler_round(
    app: Any, event_ids: list[str], batch: int, handlers: Sequence[Any]
) -> dict[str, Any]:
    from cgcrm.worker.handlers import process_events

    applied = 0
    started = time.perf_counter()
    for start in range(0, len(event_ids), batch):
        with app.app_context():
            applied += process_events(event_ids[start : start + batch], handlers)
    seconds = time.perf_counter() - started
    return {
        "events": len(event_ids),
        "applied": applied,
        "seconds": round(seconds, 3),
        "events_per_s": len(event_ids) / seconds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--events", type=int, default=20_000, help="contacts per handler round")
    parser.add_argument("--relay-events", type=int, default=50_000, help="per relay round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--batch", type=int, help="events per process_events call")
    parser.add_argument("--window-hours", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--handlers",
        choices=("rollups", "all"),
        default="rollups",
        help="the rollup handler alone (default), or every handler of the event",
    )
    parser.add_argument("--skip-relay", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--output", default=str(OUT_DIR / "rollup_throughput.json"))
    args = parser.parse_args(argv)

    from cgcrm import create_app
    from cgcrm.extensions import db
    from cgcrm.metrics.rollups.counted import ROLLUP_HANDLER
    from cgcrm.worker.handlers import HANDLERS

    chosen = [
        spec
        for spec in HANDLERS
        if spec.event_type == "interaction.recorded"
        and (args.handlers == "all" or spec.name == ROLLUP_HANDLER)
    ]

    dsn = psycopg_url(args.database_url)
    namespace = f"bench-rollup-{os.getpid()}-"
    app = create_app(
        {"ENV": "development", "DATABASE_URL": args.database_url, "QUEUE_NAMESPACE": namespace}
    )
    batch = args.batch or app.config["EVENTS_PER_JOB"]
    with psycopg.connect(dsn) as conn:
        catalog, ids, citizens = read_inputs(conn, args.seed)
    if not citizens:
        raise SystemExit("no citizens: run bench/load_citizens.py first")
    now_ms = int(time.time() * 1000)
    maker = RowMaker(catalog, ids, citizen_weights(citizens, args.seed, None), args.seed, now_ms)
    window_ms = int(args.window_hours * 3_600_000)
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; load {os.getloadavg()}; "
        f"{citizens:,} citizens; batch {batch} events per process_events call; handlers: "
        f"{', '.join(spec.name for spec in chosen)}"
    )
    connection = redis.Redis.from_url(REDIS_URL)
    profiler = cProfile.Profile() if args.profile else None
    relay: list[dict[str, Any]] = []
    handlers: list[dict[str, Any]] = []
    try:
        for round_no in range(1, args.rounds + 1):
            if not args.skip_relay:
                with app.app_context():
                    held = _hold_back_waiting_events()
                    try:
                        relay.append(relay_round(connection, namespace, args.relay_events))
                    finally:
                        _clean(connection, namespace)
                        if held != _hand_back_held_events():
                            print("some held-back events were not handed back", file=sys.stderr)
                        db.session.remove()
                print(
                    f"round {round_no} relay: {relay[-1]['events']:,} events in "
                    f"{relay[-1]['seconds']:.2f} s = {relay[-1]['events_per_s']:,.0f} events/s"
                )
            rng = random.Random(f"{args.seed}:rollup:{round_no}:{now_ms}")
            lines = maker.chunk(rng, now_ms - window_ms, now_ms, args.events)
            event_ids = write_contacts(dsn, lines)
            if profiler:
                profiler.enable()
            handlers.append(handler_round(app, event_ids, batch, chosen))
            if profiler:
                profiler.disable()
            last = handlers[-1]
            print(
                f"round {round_no} handlers: {last['events']:,} events ({last['applied']:,} "
                f"handler effects) in {last['seconds']:.2f} s = {last['events_per_s']:,.0f} "
                "events/s"
            )
    finally:
        with app.app_context():
            _clean(connection, namespace)
            db.session.remove()
            db.engine.dispose()
    handler_rate = sum(r["events"] for r in handlers) / sum(r["seconds"] for r in handlers)
    summary: dict[str, Any] = {"handlers_events_per_s": round(handler_rate)}
    print(f"\nhandlers: {handler_rate:,.0f} events/s over {len(handlers)} rounds")
    if relay:
        relay_rate = sum(r["events"] for r in relay) / sum(r["seconds"] for r in relay)
        ratio = handler_rate / relay_rate
        verdict = "meets" if ratio >= 1 else "misses"
        summary |= {"relay_events_per_s": round(relay_rate), "ratio": round(ratio, 3)}
        print(
            f"relay: {relay_rate:,.0f} events/s; handlers / relay = {ratio:.2f} ({verdict} the "
            "target of at least the relay's rate)"
        )
    if profiler:
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(60)
        (OUT_DIR / "rollup_throughput_profile.txt").write_text(text.getvalue())
        top = io.StringIO()
        pstats.Stats(profiler, stream=top).sort_stats("tottime").print_stats(20)
        print(top.getvalue())
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {
                "args": vars(args),
                "machine": machine_summary(),
                "load": os.getloadavg(),
                "batch": batch,
                "relay": relay,
                "handlers": handlers,
                "summary": summary,
            },
            handle,
            indent=1,
        )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
