"""The rebuild of interaction rollups in SQL (PostgreSQL): no Python loop over contacts.

The same rules as ``transactions`` and ``followups``: follow-ups by window functions over each
citizen's inbound contacts (the first and the last instant of the 7 days around each contact:
one earlier than it is an earlier contact within 7 days, one later a later one; contacts at the
same instant are neither; unlike ``EXCLUDE GROUP``, which recomputes every frame, these follow
the frame's ends), transactions from the first contact of each stage in each (service, ref)
group touched by the range, wherever its other contacts lie. Each part is one sort and one
window pass; ``rebuild_compute`` runs them (at once on several connections, or one after the
other as CREATE TABLE AS, so that PostgreSQL may use parallel workers), ``rebuild_write`` writes
the result.
"""

from __future__ import annotations

from cgcrm.metrics.rollups.buckets import COUNTERS

KEY = "day, department_id, channel_code, service_key, service_id"
_BUCKET = """(i.started_at AT TIME ZONE :tz)::date AS day, i.department_id, i.channel_code,
    coalesce(i.service_id, CAST(:no_service AS uuid)) AS service_key, i.service_id"""
PENDING = """SELECT o.aggregate_id AS id FROM outbox_events o
    WHERE o.type = :{event} AND NOT EXISTS (
        SELECT 1 FROM processed_events p
        WHERE p.event_id = o.event_id AND p.handler = :{handler})"""
# A contact counts once its event is processed and if its times are plausible (the handler
# parks the others; see buckets.implausible). The pending contacts come as a parameter, not a
# CTE: a scan of a CTE cannot run in parallel workers, and PostgreSQL hashes the array.
# (The span is compared as an end, not as a difference: adding hours to an instant is integer
# arithmetic; subtracting two makes an interval to normalise and compare, twice the time.)
_COUNTED = """i.id <> ALL(CAST(:pending AS uuid[]))
    AND (i.ended_at IS NULL OR i.ended_at <= i.started_at + CAST(:max_span AS interval))"""

_IDENTIFIED = "i.direction = 'inbound' AND i.citizen_id IS NOT NULL"
_RESOLVED = "i.outcome IN ('resolved', 'completed')"
_IN_RANGE = "i.started_at >= :start AND i.started_at < :end"
_BUCKET_COLUMNS = "i.department_id, i.channel_code, i.service_id"

# Three parts, each one statement writing its buckets to a temporary table, then summed per
# bucket: the counters of each contact alone, the follow-up flags, the transactions. None is
# joined back to the contacts, and each sorts only the columns it needs (the sorts are most of
# the rebuild's time).
_NO_COUNTERS = dict.fromkeys(COUNTERS[:10], "0")


def _counters(**counted: str) -> str:
    """The ten contact counters of one part: its own, and 0 for the others (UNION ALL needs
    the same columns in each part). As integers, the rollups' type: summing bigints (what count
    returns) makes numerics, a second of the final sums for 10M contacts."""
    return ", ".join(
        f"({expr})::integer AS {name}" for name, expr in (_NO_COUNTERS | counted).items()
    )


# One row per contact is grouped here, so the planner guesses one bucket per contact (it cannot
# know how many contacts a day holds) and sorts them all; the buckets are few (120,000 for 10M
# contacts), so this part runs with hashing only (see _compute_contact_parts).
_ALONE_COUNTERS = _counters(
    interactions="count(*)",
    # Every contact with a stage as a transaction of its own (a start, or a completion that
    # counts both); the transactions part takes back what the rules of its group do not count.
    transactions_started="count(*) FILTER (WHERE i.transaction_stage IS NOT NULL)",
    transactions_completed="count(*) FILTER (WHERE i.transaction_stage = 'completed')",
    resolved=f"count(*) FILTER (WHERE {_RESOLVED})",
    # date_part, not extract: a double, not a numeric (a tenth of this part's time). A span in
    # microseconds divided by 10^6 is within 10^-9 s of its value, so floor gives the same
    # whole seconds, and sums of whole seconds are exact in a double below 2^53.
    handling_seconds="coalesce(sum(floor(date_part('epoch', i.ended_at - i.started_at))), 0)",
    handled="count(i.ended_at)",
    inbound_identified=f"count(*) FILTER (WHERE {_IDENTIFIED})",
    fcr_eligible=f"count(*) FILTER (WHERE {_IDENTIFIED} AND {_RESOLVED})",
)
_COUNTER_NAMES = ", ".join(COUNTERS[:10])
# The day of each bucket from its local midnight (see local_days), the service's key from its id:
# the sums group by four plain columns, and only their rows are converted.
_DAY_BUCKET = """(b.day_start AT TIME ZONE 'UTC')::date AS day, b.department_id, b.channel_code,
    coalesce(b.service_id, CAST(:no_service AS uuid)) AS service_key, b.service_id"""


def alone_query(day_start: str) -> str:
    """The counters of each contact alone; ``day_start``: local_days.day_start of started_at."""
    return f"""
SELECT {_DAY_BUCKET}, {_COUNTER_NAMES}
FROM (
    SELECT {day_start} AS day_start, {_BUCKET_COLUMNS}, {_ALONE_COUNTERS}
    FROM interactions i
    WHERE {_IN_RANGE} AND {_COUNTED}
    GROUP BY 1, 2, 3, 4
) AS b
"""


# The window sorts only what it needs: the partition, the time, and the bucket's department and
# channel (the service is the partition's key); the day is computed for the flagged contacts only.
FOLLOWUPS = f"""
WITH identified AS (
    SELECT i.citizen_id, coalesce(i.service_id, CAST(:no_service AS uuid)) AS key,
        i.started_at, i.department_id, i.channel_code, {_RESOLVED} AS resolved
    FROM interactions i
    WHERE {_IDENTIFIED}
        AND i.started_at >= CAST(:start AS timestamptz) - interval '168 hours'
        AND i.started_at < CAST(:end AS timestamptz) + interval '168 hours'
        AND {_COUNTED} {{citizens}}
),
flagged AS (
    SELECT i.key, i.started_at, i.department_id, i.channel_code,
        first_value(i.started_at) OVER follow < i.started_at AS avoidable,
        i.resolved AND last_value(i.started_at) OVER follow > i.started_at AS repeated
    FROM identified i
    -- 168 hours, not 7 days: the rules' 7 days are 604,800 seconds (a timedelta), and adding
    -- whole hours is plain arithmetic where adding days converts to the session's time zone
    -- for every frame bound (a fifth of the window's time).
    WINDOW follow AS (PARTITION BY i.citizen_id, i.key ORDER BY i.started_at
        RANGE BETWEEN interval '168 hours' PRECEDING AND interval '168 hours' FOLLOWING)
)
SELECT {_DAY_BUCKET}, {_COUNTER_NAMES}
FROM (
    SELECT {{day_start}} AS day_start, i.department_id, i.channel_code,
        nullif(i.key, CAST(:no_service AS uuid)) AS service_id,
        {
    _counters(
        avoidable="count(*) FILTER (WHERE i.avoidable)",
        fcr_repeated="count(*) FILTER (WHERE i.repeated)",
    )
}
    FROM flagged i
    WHERE {_IN_RANGE} AND (i.avoidable OR i.repeated)
    GROUP BY 1, 2, 3, 4
) AS b
"""


def followups_query(day_start: str, citizens: str = "") -> str:
    """The follow-up flags; ``day_start``: local_days.day_start of i.started_at; ``citizens``:
    a condition on i.citizen_id (``AND …``) to flag only those citizens' contacts."""
    return FOLLOWUPS.format(day_start=day_start, citizens=citizens)


_GROUPED = (
    "i.transaction_ref IS NOT NULL AND i.service_id IS NOT NULL "
    f"AND i.transaction_stage IS NOT NULL AND {_COUNTED}"
)
_MEMBER_COLUMNS = (
    f"i.id, i.started_at, i.transaction_stage = 'started' AS starts, i.transaction_ref, "
    f"{_BUCKET_COLUMNS}"
)
# The contacts of every group the range touches: those in the range, plus those outside it of a
# touched group. Finding the latter reads the whole table (there is no index on the time alone),
# so that branch is left out when no contact lies outside the range (a full rebuild).
_IN_RANGE_MEMBERS = f"SELECT {_MEMBER_COLUMNS} FROM interactions i WHERE {_IN_RANGE} AND {_GROUPED}"
_OUTSIDE_MEMBERS = f"""
UNION ALL
SELECT {_MEMBER_COLUMNS}
FROM interactions i
WHERE NOT ({_IN_RANGE}) AND {_GROUPED}
    AND EXISTS (SELECT 1 FROM groups g
        WHERE g.service_id = i.service_id AND g.transaction_ref = i.transaction_ref)
"""
# A group of one contact takes nothing back from ALONE's counts (see below), and nine groups in
# ten are one contact. In a full rebuild, the groups of more than one contact, found in order in
# the index of transactions alone, leave a quarter of the grouped contacts to sort.
_SHARED_REFS = """shared AS (
    SELECT i.service_id, i.transaction_ref FROM interactions i
    WHERE i.transaction_ref IS NOT NULL AND i.service_id IS NOT NULL
    GROUP BY i.service_id, i.transaction_ref
    HAVING count(*) > 1
),"""
_IN_SHARED_GROUPS = """ AND EXISTS (SELECT 1 FROM shared s
    WHERE s.service_id = i.service_id AND s.transaction_ref = i.transaction_ref)"""
_GROUPS = f"""groups AS (
    SELECT DISTINCT i.service_id, i.transaction_ref FROM interactions i
    WHERE {_IN_RANGE} AND {_GROUPED}
),"""
_TRANSACTIONS = """
WITH {groups}
grouped AS ({members}),
members AS (
    SELECT i.started_at, i.starts, {bucket_columns},
        -- the first contact of its stage in the group (ordered by stage, then time)
        lag(i.starts) OVER grp IS DISTINCT FROM i.starts AS leads,
        min(i.started_at) FILTER (WHERE i.starts) OVER grp AS first_start,
        min(i.started_at) FILTER (WHERE NOT i.starts) OVER grp AS first_completion
    FROM grouped i
    -- One window, so one pass over the sorted group: the whole group is every row's frame.
    -- The ref's hash first: it tells almost every group apart in one integer comparison, where
    -- the refs share their leading bytes (a service's code) and the service's id is shared by
    -- a sixtieth of all contacts; then the ref itself ("C": plain byte order) for the rare
    -- equal hashes. A function of the ref, so the groups are the same.
    WINDOW grp AS (PARTITION BY hashtext(i.transaction_ref), i.transaction_ref COLLATE "C",
        i.service_id
        ORDER BY i.starts, i.started_at, i.id
        ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
)
SELECT {bucket}, {counters}
FROM members i
-- The part of ALONE's counts that the group's rules take back: only the first contact of each
-- stage counts anything (the others take back their start, and their completion), and a first
-- start or completion may not count a start. Most groups are one contact: they take nothing
-- back, and the sums below read a tenth of the members.
WHERE {in_range} AND NOT (i.leads AND CASE WHEN i.starts
    THEN i.first_completion IS NULL OR i.started_at <= i.first_completion
    ELSE i.first_start IS NULL OR i.first_start > i.started_at END)
GROUP BY {key}
"""


def transactions_query(*, whole_table: bool) -> str:
    """The transactions part; ``whole_table``: no contact lies outside the range."""
    counters = _counters(
        transactions_started="-count(*)",
        transactions_completed="-count(*) FILTER (WHERE NOT i.starts AND NOT i.leads)",
    )
    return _TRANSACTIONS.format(
        groups=_SHARED_REFS if whole_table else _GROUPS,
        members=_IN_RANGE_MEMBERS + (_IN_SHARED_GROUPS if whole_table else _OUTSIDE_MEMBERS),
        bucket_columns=_BUCKET_COLUMNS,
        bucket=_BUCKET,
        counters=counters,
        in_range=_IN_RANGE,
        key=KEY,
    )


# Whether any contact lies outside [start, end): a few probes of the (department, time) index.
ANY_OUTSIDE = """SELECT EXISTS (SELECT 1 FROM departments d
    WHERE EXISTS (SELECT 1 FROM interactions i
        WHERE i.department_id = d.id AND i.started_at < :start)
    OR EXISTS (SELECT 1 FROM interactions i
        WHERE i.department_id = d.id AND i.started_at >= :end))"""

# Only the range's buckets (which count its contacts): the transactions part also groups the
# contacts outside the range of the groups it touches.
CONTACTS = f"""
SELECT {KEY}, {", ".join(f"sum({name})::bigint AS {name}" for name in COUNTERS[:10])}
FROM (
    SELECT * FROM rebuilt_alone
    UNION ALL SELECT * FROM rebuilt_followups
    UNION ALL SELECT * FROM rebuilt_transactions
) AS parts
GROUP BY {KEY}
HAVING sum(interactions) > 0
"""
CONTACT_COUNTERS = COUNTERS[:10]

RESPONSES = f"""
WITH pending AS MATERIALIZED ({PENDING.format(event="response_event", handler="responses")})
SELECT {_BUCKET},
    count(*) FILTER (WHERE r.csat = 1) AS csat_1,
    count(*) FILTER (WHERE r.csat = 2) AS csat_2,
    count(*) FILTER (WHERE r.csat = 3) AS csat_3,
    count(*) FILTER (WHERE r.csat = 4) AS csat_4,
    count(*) FILTER (WHERE r.csat = 5) AS csat_5,
    count(r.nps) AS nps_responses,
    count(*) FILTER (WHERE r.nps >= 9) AS nps_promoters,
    count(*) FILTER (WHERE r.nps <= 6) AS nps_detractors,
    count(r.effort) AS effort_responses,
    coalesce(sum(r.effort), 0) AS effort_total,
    count(r.invitation_id) AS invited_responses
FROM survey_responses r JOIN interactions i ON i.id = r.interaction_id
WHERE i.started_at >= :start AND i.started_at < :end
    AND NOT EXISTS (SELECT 1 FROM pending WHERE pending.id = r.id)
GROUP BY {KEY}
"""
RESPONSE_COUNTERS = (*COUNTERS[10:20], "invited_responses")

INVITATIONS = f"""
WITH pending AS MATERIALIZED ({PENDING.format(event="invitation_event", handler="invitations")})
SELECT {_BUCKET}, count(*) AS invitations_sent
FROM survey_invitations s JOIN interactions i ON i.id = s.interaction_id
WHERE i.started_at >= :start AND i.started_at < :end
    AND NOT EXISTS (SELECT 1 FROM pending WHERE pending.id = s.id)
GROUP BY {KEY}
"""
INVITATION_COUNTERS = ("invitations_sent",)

PARTS = (
    (RESPONSES, RESPONSE_COUNTERS),
    (INVITATIONS, INVITATION_COUNTERS),
)
