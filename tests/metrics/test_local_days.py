"""The local day from UTC offsets (local_days) is the day ``AT TIME ZONE`` gives, for every
instant of a range, at the zone's daylight-saving changes and at each local midnight."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import text

from cgcrm.extensions import db
from cgcrm.metrics.rollups.buckets import day_bounds
from cgcrm.metrics.rollups.local_days import day_start, utc_offsets

# Changes at 2 or 3 am, half an hour (Lord Howe), at midnight (Santiago), none (Brisbane).
ZONES = ("Australia/Sydney", "Australia/Lord_Howe", "America/Santiago", "Australia/Brisbane")


@pytest.mark.parametrize("zone", ZONES)
def test_the_day_from_offsets_is_the_zone_s_day(app: Flask, zone: str) -> None:
    from zoneinfo import ZoneInfo

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("local_days is PostgreSQL's")
        start, end = day_bounds(date(2025, 3, 20), date(2026, 10, 10), ZoneInfo(zone))
        offsets = utc_offsets(start, end, zone)
        # the offset at the start, then four changes (none in Brisbane)
        assert len(offsets) == (1 if zone == "Australia/Brisbane" else 5)
        expression = day_start("t", offsets)
        instants = """
            SELECT generate_series(CAST(:start AS timestamptz), CAST(:end AS timestamptz)
                - interval '1 microsecond', interval '7 minutes 3 seconds') AS t
            UNION ALL
            -- every local midnight, and the last microsecond before it
            SELECT m - shift FROM (
                SELECT (d::date::timestamp AT TIME ZONE :tz) AS m
                FROM generate_series(CAST(:first AS date), CAST(:last AS date), interval '1 day') d
            ) AS midnights, (VALUES (interval '0'), (interval '1 microsecond')) AS s(shift)
            WHERE m - shift >= :start AND m - shift < :end
        """
        counts = db.session.execute(
            text(f"""SELECT count(*), count(*) FILTER (
                    WHERE ({expression} AT TIME ZONE 'UTC')::date <> (t AT TIME ZONE :tz)::date)
                FROM ({instants}) AS i"""),
            {"start": start, "end": end, "tz": zone, "first": "2025-03-20", "last": "2026-10-10"},
        ).one()
        db.session.rollback()
    assert counts[0] > 100_000
    assert counts[1] == 0
