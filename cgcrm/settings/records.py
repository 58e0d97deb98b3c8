"""Protection of the records kept: identifier encryption, the blind index and the audit trail's
HMAC chain (cgcrm.core.crypto, cgcrm.core.audit_keys).
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

RECORDS: tuple[Setting, ...] = (
    Setting(
        "ENCRYPTION_KEYS",
        str,
        "",
        "Comma-separated Fernet keys for identifiers at rest; the first encrypts, all decrypt "
        "(rotation). Empty derives one key from SECRET_KEY (development only).",
    ),
    Setting(
        "BLIND_INDEX_KEY",
        str,
        "",
        "HMAC key of the searchable index of encrypted identifiers. Changing it requires "
        "re-indexing. Empty derives one from SECRET_KEY (development only).",
    ),
    Setting(
        "AUDIT_KEYS",
        str,
        "",
        "Comma-separated KEY_ID:SECRET pairs keying the audit trail's HMAC chain; the first seals "
        "new events, all verify (rotation: put the new key first, keep the old ones). Kept "
        "outside the database. Empty derives one key (id 'dev') from SECRET_KEY, outside "
        "production only.",
    ),
    Setting(
        "AUDIT_CHECKPOINT_FILE",
        str,
        "",
        "Append-only file (outside the database) receiving a signed checkpoint of the audit "
        "chain's head after every sealing run and every purge. Empty: "
        "instance/audit-checkpoints.jsonl.",
    ),
    Setting(
        "AUDIT_CHECKPOINT_LOG",
        bool,
        False,
        "Also write each signed checkpoint to the log stream (logger cgcrm.audit.checkpoints).",
    ),
    Setting(
        "AUDIT_SEAL_INTERVAL",
        int,
        5,
        "Seconds between the worker's sealing runs, which chain and sign new audit events.",
    ),
    Setting("AUDIT_SEAL_BATCH", int, 10000, "Most audit events one sealing run seals."),
    Setting(
        "AUDIT_READS_SYNCHRONOUS_COMMIT",
        bool,
        False,
        "Whether the audit row of a single-record read (GET /citizens/{id}) is flushed to disk "
        "before the record is returned. False commits it asynchronously (PostgreSQL "
        "synchronous_commit off for that statement only): a database crash can lose the last "
        "~0.6 s of such rows, never a change's. Writes always commit synchronously. True costs "
        "a disk flush per read (13.8 % instead of 39.2 % of the raw read, docs/benchmarks.md).",
    ),
    Setting(
        "AUDIT_SEAL_GRACE",
        int,
        300,
        "Seconds an audit event may stay unsealed before `flask audit verify` reports it (the "
        "sealing job is then not running or not keeping up).",
    ),
    Setting(
        "AUDIT_SEAL_LOOKBACK",
        int,
        600,
        "Seconds a sealing run looks back for events committed late (a long transaction's "
        "event with a lower number than events already sealed).",
    ),
)
