"""A full rebuild of the daily rollups against one hand-written SQL GROUP BY over the same rows.

    python bench/rollup_rebuild.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/cgcrm_bench --rounds 3

Needs ``bench/load_interactions.py``. Over the whole period of the loaded contacts (the first to
the last day in TIME_ZONE, or ``--from``/``--to``), ``--rounds`` times, alternating which goes
first (A B, B A, …: neither always gets the warmer cache or the calmer machine):

- **rebuild**: the engine's ``rebuild_rollups(day_from, day_to)`` in-process
  (``--rebuild-function``, by default ``cgcrm.metrics.rollups.rebuild:rebuild_rollups``, what
  ``flask metrics rebuild`` runs), committed;
- **GROUP BY**: one statement, ``CREATE TEMP TABLE … AS SELECT`` the day in TIME_ZONE, department,
  channel and service of every contact of the period with its count and sums (transactions
  started and completed by stage, resolved, handling seconds, handled, inbound identified),
  written as the rebuild writes its rows, then rolled back.

Prints each time, the ratio rebuild / GROUP BY per round and of the medians (target: at most
2), and checks that the rebuilt rollups count as many contacts per bucket as the GROUP BY.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from typing import Any

import psycopg
from _common import OUT_DIR, machine_summary, make_app, psycopg_url
from kpi_latency import EARLIER_REBUILD, REBUILD, resolve

TARGET_RATIO = 2.0
GROUP_BY = """
CREATE TEMP TABLE bench_group_by AS
SELECT (started_at AT TIME ZONE %(zone)s)::date AS day, department_id, channel_code, service_id,
       count(*) AS interactions,
       count(*) FILTER (WHERE transaction_stage = 'started') AS transactions_started,
       count(*) FILTER (WHERE transaction_stage = 'completed') AS transactions_completed,
       count(*) FILTER (WHERE outcome IN ('resolved', 'completed')) AS resolved,
       coalesce(sum(floor(extract(epoch FROM ended_at - started_at))), 0) AS handling_seconds,
       count(ended_at) AS handled,
       count(*) FILTER (WHERE direction = 'inbound' AND citizen_id IS NOT NULL)
           AS inbound_identified
FROM interactions
WHERE started_at >= %(start)s AND started_at < %(end)s
GROUP BY 1, 2, 3, 4
"""
# Buckets whose contact count differs between the rebuilt rollups and the GROUP BY.
CHECK = """
WITH g AS (SELECT day, department_id, channel_code, service_id, interactions FROM bench_group_by),
r AS (SELECT day, department_id, channel_code, service_id, interactions
      FROM interaction_daily_rollups
      WHERE day BETWEEN %(first)s AND %(last)s AND interactions > 0)
SELECT (SELECT count(*) FROM (SELECT * FROM g EXCEPT ALL SELECT * FROM r) a)
     + (SELECT count(*) FROM (SELECT * FROM r EXCEPT ALL SELECT * FROM g) b)
"""


def period(dsn: str, zone: str) -> tuple[dt.date, dt.date]:
    with psycopg.connect(dsn) as conn:
        found = conn.execute(
            "SELECT (min(started_at) AT TIME ZONE %(zone)s)::date, "
            "(max(started_at) AT TIME ZONE %(zone)s)::date FROM interactions",
            {"zone": zone},
        ).fetchone()
    if not found or found[0] is None:
        raise SystemExit("no interactions: run bench/load_interactions.py first")
    return found[0], found[1]


def bounds(first: dt.date, last: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    return (
        dt.datetime.combine(first, dt.time(0), tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz),
    )


def run_rebuild(app: Any, rebuild: Any, first: dt.date, last: dt.date) -> tuple[float, str]:
    from cgcrm.extensions import db

    with app.app_context():
        started = time.perf_counter()
        result = rebuild(first, last)
        db.session.commit()
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds, str(result)


def run_group_by(dsn: str, params: dict[str, Any], check: bool) -> tuple[float, int, int | None]:
    """Seconds of the GROUP BY, its buckets and (with ``check``) buckets it disagrees on."""
    with psycopg.connect(dsn) as conn:
        started = time.perf_counter()
        conn.execute(GROUP_BY, params)
        seconds = time.perf_counter() - started
        buckets = (conn.execute("SELECT count(*) FROM bench_group_by").fetchone() or (0,))[0]
        differ = None
        if check:
            differ = (conn.execute(CHECK, params).fetchone() or (0,))[0]
        conn.rollback()
    return seconds, buckets, differ


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--from", dest="day_from", help="first day (ISO); default: the first")
    parser.add_argument("--to", dest="day_to", help="last day (ISO); default: the last")
    parser.add_argument("--rebuild-function", default=REBUILD, help="MODULE:FUNCTION")
    parser.add_argument("--output", default=str(OUT_DIR / "rollup_rebuild.json"))
    args = parser.parse_args(argv)

    dsn = psycopg_url(args.database_url)
    app = make_app(args.database_url)
    zone = app.config["TIME_ZONE"]
    first, last = period(dsn, zone)
    first = dt.date.fromisoformat(args.day_from) if args.day_from else first
    last = dt.date.fromisoformat(args.day_to) if args.day_to else last
    start, end = bounds(first, last, zone)
    params = {"zone": zone, "start": start, "end": end, "first": first, "last": last}
    fallback = EARLIER_REBUILD if args.rebuild_function == REBUILD else None
    function, rebuild = resolve(args.rebuild_function, fallback)
    with psycopg.connect(dsn) as conn:
        contacts = (
            conn.execute(
                "SELECT count(*) FROM interactions WHERE started_at >= %s AND started_at < %s",
                (start, end),
            ).fetchone()
            or (0,)
        )[0]
    print(
        f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}; {machine_summary()}; load {os.getloadavg()}; "
        f"{first} … {last} ({zone}): {contacts:,} contacts; rebuild = {function}"
    )
    rounds: list[dict[str, Any]] = []
    for round_no in range(1, args.rounds + 1):
        order = ("rebuild", "group_by") if round_no % 2 else ("group_by", "rebuild")
        result: dict[str, Any] = {"round": round_no, "order": order}
        for step in order:
            if step == "rebuild":
                result["rebuild_s"], result["rebuild_result"] = run_rebuild(
                    app, rebuild, first, last
                )
            else:
                # The first round checks the rebuilt rollups once the rebuild has run.
                check = round_no == 1 and order[0] == "rebuild"
                seconds, buckets, differ = run_group_by(dsn, params, check)
                result |= {"group_by_s": seconds, "buckets": buckets}
                if differ is not None:
                    result["buckets_differing"] = differ
        result["ratio"] = result["rebuild_s"] / result["group_by_s"]
        rounds.append(result)
        print(
            f"round {round_no} ({' then '.join(order)}): rebuild {result['rebuild_s']:.1f} s, "
            f"GROUP BY {result['group_by_s']:.1f} s ({result['buckets']:,} buckets): "
            f"ratio {result['ratio']:.2f}"
        )
        if "buckets_differing" in result:
            print(f"  buckets whose contact count differs: {result['buckets_differing']:,}")
    rebuild_median = statistics.median(r["rebuild_s"] for r in rounds)
    group_median = statistics.median(r["group_by_s"] for r in rounds)
    ratio = rebuild_median / group_median
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(
        f"\nmedians: rebuild {rebuild_median:.1f} s ({contacts / rebuild_median:,.0f} contacts/s), "
        f"GROUP BY {group_median:.1f} s: ratio {ratio:.2f} ({verdict} the target of at most "
        f"{TARGET_RATIO:.0f})"
    )
    with app.app_context():
        from cgcrm.extensions import db

        db.engine.dispose()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w") as handle:
        json.dump(
            {
                "args": vars(args),
                "machine": machine_summary(),
                "load": os.getloadavg(),
                "period": [first.isoformat(), last.isoformat()],
                "contacts": contacts,
                "rebuild_function": function,
                "rounds": rounds,
                "median_ratio": round(ratio, 3),
            },
            handle,
            indent=1,
            default=str,
        )
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
