"""The duplicate scan's candidate pairs, found set-based in the database from blocking keys.

Nothing of the population is held in Python: the keys come from the stored columns (the
search's name keys and their Metaphone in ``name_tokens``, date of birth, ``postcode_key``,
contact point values, identifier ``value_index``), are grouped and self-joined in SQL, and the
distinct pairs (lower id first) land in a work table of the scan, indexed by its first id,
which the scan then reads in chunks.

Keys of a record (``given`` is the Metaphone of the given name or a nickname group it belongs
to, ``family`` the Metaphone of the family name, ``names`` both, in either order):

- ``names`` and year of birth; ``names`` and day and month of birth (a typo in one part of the
  date, a day and month transposed keep one of the two);
- one name part and date of birth (the other name changed, misspelt or in the other place);
- date of birth and both initials (typos in both names that spare their first letters);
- postcode and ``names``; postcode, one name part and the year, or the day and month, of birth;
- an email, a phone, an identifier;
- a record without a date of birth: its ``names``, or a postcode and one name part, paired
  with any record that has them.

Every key has three parts or a value one person rarely shares. A pair of records sharing a key
by chance is found with a probability of the square of the population; keys such as a date of
birth alone, a family name and a year, or a postcode and a name, hold dozens to hundreds of
strangers each at a million people, and are what made the earlier scan grow with the square of
the population.

A block with more than ``cap`` members (a shared phone, the commonest names in one postcode)
costs its size squared; its members are sorted by name and each is paired only with the
``window`` next to it (sorted neighbourhood), so it costs its size times the window.
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from cgcrm.extensions import db
from cgcrm.matching.normalise import nickname_groups

log = logging.getLogger(__name__)
TEMP_TABLES = (
    "scan_nicknames",
    "scan_names",
    "scan_parts",
    "scan_keys",
    "scan_name_keys",
    "scan_sizes",
    "scan_ranked",
    "scan_steps",
)


def work_table(scan_id_hex: str) -> str:
    """The name of a scan's table of candidate pairs (one per scan, dropped when it ends)."""
    return f"duplicate_scan_pairs_{scan_id_hex}"


def _postgres() -> bool:
    return bool(db.session.get_bind().dialect.name == "postgresql")


def _compact(key: str) -> str:
    """A key as a 64-bit hash on PostgreSQL: grouped and joined many times faster than text
    of twenty-odd characters, and with ~20M keys at a million people a collision (two blocks
    compared as one) is a one in ten thousand event that costs a few pairs, not a miss."""
    return f"hashtextextended({key}, 0)" if _postgres() else key


def _either_order(a: str, b: str) -> str:
    """Two parts as one key whatever their order (names read the other way round)."""
    return f"CASE WHEN {a} <= {b} THEN {a} || '|' || {b} ELSE {b} || '|' || {a} END"


NAMES = _either_order("s.given", "s.family")
_NAMES_SQL = """
CREATE TEMP TABLE scan_names AS
SELECT DISTINCT s.citizen_id, s.given, s.family, s.initials, s.given_key, s.family_key, s.dob
  FROM (
  SELECT n.citizen_id, COALESCE(tg.phonetic, '') AS given, COALESCE(tf.phonetic, '') AS family,
         {initials} AS initials, n.given_key, n.family_key, CAST(c.date_of_birth AS TEXT) AS dob
    FROM citizen_names n JOIN citizens c ON c.id = n.citizen_id AND c.status <> 'merged'
    LEFT JOIN name_tokens tg ON tg.token = n.given_key AND n.given_key <> ''
    LEFT JOIN name_tokens tf ON tf.token = n.family_key AND n.family_key <> ''
  UNION ALL
  SELECT n.citizen_id, '~' || k.grp, COALESCE(tf.phonetic, ''), {initials}, n.given_key,
         n.family_key, CAST(c.date_of_birth AS TEXT)
    FROM citizen_names n JOIN citizens c ON c.id = n.citizen_id AND c.status <> 'merged'
    JOIN scan_nicknames k ON k.word = n.given_key
    LEFT JOIN name_tokens tf ON tf.token = n.family_key AND n.family_key <> ''
) s WHERE s.given <> '' OR s.family <> ''
""".format(initials=_either_order("substr(n.given_key, 1, 1)", "substr(n.family_key, 1, 1)"))

# Each name part of scan_names apart, given or family alike (so names read the other way round
# still share the keys built on one part), by its sound only: a nickname group joins the keys
# of both names (a nickname with the other name changed too is rare, and would multiply the
# rows of the commonest keys by the groups a given name belongs to).
_PARTS_SQL = """
CREATE TEMP TABLE scan_parts AS
SELECT DISTINCT s.citizen_id, s.part, s.dob FROM (
  SELECT citizen_id, given AS part, dob FROM scan_names WHERE given <> '' AND given NOT LIKE '~%'
  UNION ALL SELECT citizen_id, family, dob FROM scan_names WHERE family <> ''
) s
"""
_WITH_POSTCODE = "scan_names s JOIN addresses a ON a.citizen_id = s.citizen_id"
_PART_WITH_POSTCODE = "scan_parts s JOIN addresses a ON a.citizen_id = s.citizen_id"

_KEY_ARMS = (
    # The first arm names the columns of all (a UNION takes its names from it).
    f"SELECT 'ny:' || {NAMES} || '|' || substr(s.dob, 1, 4) AS key, s.citizen_id "
    "FROM scan_names s WHERE s.dob IS NOT NULL",
    f"SELECT 'nm:' || {NAMES} || '|' || substr(s.dob, 6, 5), s.citizen_id "
    "FROM scan_names s WHERE s.dob IS NOT NULL",
    "SELECT 'nd:' || s.part || '|' || s.dob, s.citizen_id "
    "FROM scan_parts s WHERE s.dob IS NOT NULL",
    "SELECT 'di:' || s.dob || '|' || s.initials, s.citizen_id "
    "FROM scan_names s WHERE s.dob IS NOT NULL AND s.given NOT LIKE '~%'",
    f"SELECT 'pn:' || a.postcode_key || '|' || {NAMES}, s.citizen_id "
    f"FROM {_WITH_POSTCODE} WHERE a.postcode_key <> ''",
    "SELECT 'py:' || a.postcode_key || '|' || s.part || '|' || substr(s.dob, 1, 4), "
    f"s.citizen_id FROM {_PART_WITH_POSTCODE} "
    "WHERE a.postcode_key <> '' AND s.dob IS NOT NULL",
    "SELECT 'pm:' || a.postcode_key || '|' || s.part || '|' || substr(s.dob, 6, 5), "
    f"s.citizen_id FROM {_PART_WITH_POSTCODE} "
    "WHERE a.postcode_key <> '' AND s.dob IS NOT NULL",
    "SELECT CASE WHEN p.kind = 'email' THEN 'e:' ELSE 'p:' END || p.value, p.citizen_id "
    "FROM contact_points p JOIN citizens c ON c.id = p.citizen_id AND c.status <> 'merged' "
    "WHERE p.kind IN ('email', 'phone')",
    "SELECT 'i:' || i.system || ':' || i.value_index, i.citizen_id "
    "FROM external_identifiers i JOIN citizens c ON c.id = i.citizen_id "
    "AND c.status <> 'merged'",
)
# Keys a record without a date of birth shares with any record: the names, or a postcode, one
# name part and the other's initial (the keys above all need the date).
_UNDATED_ARMS = (
    f"SELECT {NAMES} AS key, s.citizen_id, s.dob IS NULL AS undated FROM scan_names s",
    "SELECT a.postcode_key || '|' || s.given || '|' || substr(s.family_key, 1, 1), "
    f"s.citizen_id, s.dob IS NULL FROM {_WITH_POSTCODE} "
    "WHERE a.postcode_key <> '' AND s.given <> ''",
    "SELECT a.postcode_key || '|' || s.family || '|' || substr(s.given_key, 1, 1), "
    f"s.citizen_id, s.dob IS NULL FROM {_WITH_POSTCODE} "
    "WHERE a.postcode_key <> '' AND s.family <> ''",
)

_PAIRS_SQL = """
SELECT DISTINCT p.low AS citizen_id, p.high AS other_citizen_id FROM (
  SELECT a.citizen_id AS low, b.citizen_id AS high
    FROM scan_keys a JOIN scan_sizes z ON z.key = a.key AND z.members <= {cap}
    JOIN scan_keys b ON b.key = a.key AND a.citizen_id < b.citizen_id
  UNION ALL
  SELECT CASE WHEN a.citizen_id < b.citizen_id THEN a.citizen_id ELSE b.citizen_id END,
         CASE WHEN a.citizen_id < b.citizen_id THEN b.citizen_id ELSE a.citizen_id END
    FROM scan_ranked a JOIN scan_steps t ON 1 = 1
    JOIN scan_ranked b ON b.key = a.key AND b.rank = a.rank + t.step
  UNION ALL
  SELECT CASE WHEN a.citizen_id < b.citizen_id THEN a.citizen_id ELSE b.citizen_id END,
         CASE WHEN a.citizen_id < b.citizen_id THEN b.citizen_id ELSE a.citizen_id END
    FROM scan_name_keys a JOIN scan_name_keys b ON b.key = a.key AND b.citizen_id <> a.citizen_id
   WHERE a.undated AND (NOT b.undated OR a.citizen_id < b.citizen_id) AND a.key IN (
     SELECT key FROM scan_name_keys GROUP BY key HAVING count(*) <= {cap})
) p
"""


def _run(sql: str, **params: object) -> None:
    started = time.perf_counter()
    db.session.execute(text(sql), params)
    if sql.lstrip().startswith("CREATE"):
        # Which step of the pairs costs what, for the benchmark and an operator's log.
        log.debug("%s: %.1f s", " ".join(sql.split()[:4]), time.perf_counter() - started)


def _nicknames() -> None:
    _run("CREATE TEMP TABLE scan_nicknames (word VARCHAR(100), grp VARCHAR(100))")
    rows = [
        {"word": word, "grp": group}
        for word, groups in nickname_groups().items()
        for group in groups
        if len(groups) > 1 or group != word
    ]
    if rows:
        db.session.execute(text("INSERT INTO scan_nicknames VALUES (:word, :grp)"), rows)


def _temporary_buffers() -> None:
    """Keep the temporary tables (hundreds of MB at a million people) in this connection's
    memory rather than the default 8 MB of buffers; PostgreSQL takes the setting only before
    the connection's first temporary table, so a connection that had one keeps its own."""
    try:
        with db.session.begin_nested():
            _run("SET LOCAL temp_buffers = '512MB'")
    except DBAPIError:
        log.debug("temp_buffers left as they were (this connection had temporary tables)")


def drop_temporary() -> None:
    """Drop the scan's temporary tables (they live as long as the connection otherwise)."""
    for name in TEMP_TABLES:
        _run(f"DROP TABLE IF EXISTS {name}")


def build_pairs(table: str, cap: int, window: int) -> int:
    """Create ``table`` with every candidate pair of the active population; returns how many.

    Runs inside the caller's transaction and does not commit; the table exists once that
    commits, whole, or not at all.
    """
    if _postgres():
        # The keys are grouped and joined in memory; the default 4 MB would spill to disk.
        _run("SET LOCAL work_mem = '256MB'")
        _temporary_buffers()
    drop_temporary()
    _nicknames()
    _run(_NAMES_SQL)
    _run(_PARTS_SQL)
    # A record is once in a block, however many of its names give the key.
    arms = " UNION ALL ".join(_KEY_ARMS)
    _run(
        f"CREATE TEMP TABLE scan_keys AS SELECT DISTINCT {_compact('k.key')} AS key, "
        f"k.citizen_id FROM ({arms}) k"
    )
    undated = " UNION ALL ".join(_UNDATED_ARMS)
    _run(
        f"CREATE TEMP TABLE scan_name_keys AS SELECT DISTINCT {_compact('u.key')} AS key, "
        f"u.citizen_id, u.undated FROM ({undated}) u"
    )
    _run(
        "CREATE TEMP TABLE scan_sizes AS SELECT key, count(*) AS members FROM scan_keys "
        "GROUP BY key HAVING count(*) > 1"
    )
    _run("ANALYZE scan_keys")
    _run("ANALYZE scan_sizes")
    _run(
        "CREATE TEMP TABLE scan_ranked AS SELECT k.key, k.citizen_id, row_number() OVER "
        "(PARTITION BY k.key ORDER BY c.family_name, c.given_name, k.citizen_id) AS rank "
        f"FROM scan_keys k JOIN scan_sizes z ON z.key = k.key AND z.members > {int(cap)} "
        "JOIN citizens c ON c.id = k.citizen_id"
    )
    _run("CREATE TEMP TABLE scan_steps (step INTEGER)")
    db.session.execute(
        text("INSERT INTO scan_steps VALUES (:step)"), [{"step": s} for s in range(1, window + 1)]
    )
    _run("ANALYZE scan_ranked")
    _run("ANALYZE scan_name_keys")
    prefix = "UNLOGGED " if _postgres() else ""
    _run(f"DROP TABLE IF EXISTS {table}")
    # DDL takes no bound parameters: the cap, an int, is written into the statement.
    _run(f"CREATE {prefix}TABLE {table} AS {_PAIRS_SQL.format(cap=int(cap))}")
    _run(f"CREATE INDEX ix_{table} ON {table} (citizen_id)")
    drop_temporary()
    return int(db.session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def has_pairs(table: str) -> bool:
    """Whether ``table`` exists with pairs in it (an unlogged table is empty after a crash of
    the database, and must then be built again)."""
    if not inspect(db.session.connection()).has_table(table):
        return False
    return db.session.scalar(text(f"SELECT 1 FROM {table} LIMIT 1")) is not None


def drop_pairs(table: str) -> None:
    _run(f"DROP TABLE IF EXISTS {table}")
