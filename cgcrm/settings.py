"""Every configuration key, with its type, default and meaning.

Values are resolved in this order (later wins): the defaults declared here, the environment's
file in ``config/<env>.py``, ``CGCRM_<KEY>`` environment variables, then explicit overrides
passed to ``create_app`` (tests use these). Nothing here reads the environment at import time.
"""

from __future__ import annotations

import os
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", str, "development", "One of development, test, production."),
    Setting(
        "SECRET_KEY",
        str,
        "",
        "Signs sessions and derives the identifier encryption and blind-index keys when "
        "ENCRYPTION_KEYS is empty. Required in production.",
    ),
    Setting(
        "DATABASE_URL",
        str,
        "",
        "SQLAlchemy URL. postgresql://… in production (psycopg 3 is used); empty means an "
        "SQLite file under instance/. Required in production.",
    ),
    Setting("REDIS_URL", str, "redis://127.0.0.1:6379/0", "Redis for queues and readiness."),
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
        "JWT_PRIVATE_KEY_FILE",
        str,
        "",
        "PEM RSA private key that signs access tokens. Empty: instance/jwt-signing-key.pem, "
        "generated on first use outside production.",
    ),
    Setting("JWT_ISSUER", str, "http://127.0.0.1:5000", "The iss claim of access tokens."),
    Setting("JWT_AUDIENCE", str, "cgcrm-api", "The aud claim access tokens must carry."),
    Setting("ACCESS_TOKEN_TTL", int, 3600, "Access-token lifetime in seconds."),
    Setting("DEFAULT_PHONE_REGION", str, "AU", "ISO 3166 region for phones without +country."),
    Setting("DEFAULT_COUNTRY", str, "AU", "Country assumed for addresses without one."),
    Setting("PAGE_SIZE_DEFAULT", int, 50, "Items per page when ?limit= is absent."),
    Setting("PAGE_SIZE_MAX", int, 200, "Largest ?limit= accepted."),
    Setting("IDEMPOTENCY_TTL", int, 86400, "Seconds an Idempotency-Key is remembered."),
    Setting(
        "IDEMPOTENCY_LOCK_TIMEOUT",
        int,
        60,
        "Seconds after which an unfinished idempotent request is considered abandoned.",
    ),
    Setting("SEARCH_RESULTS_MAX", int, 20, "Most results a citizen search returns."),
    Setting(
        "MATCH_THRESHOLD",
        float,
        0.9,
        "Match probability from which two records are one person: a create answers 409 "
        "naming the existing record. Stored with each trained model (`flask matching train`); "
        "the active model's value applies.",
    ),
    Setting(
        "MATCH_POSSIBLE_THRESHOLD",
        float,
        0.3,
        "Match probability from which two records may be one person: a create goes ahead and "
        "files a review item. Stored with each trained model, like MATCH_THRESHOLD.",
    ),
    Setting(
        "TIME_ZONE",
        str,
        "Australia/Sydney",
        "IANA time zone of the service's working days and daily reporting buckets.",
    ),
    Setting(
        "HOLIDAY_COUNTRY",
        str,
        "AU",
        "ISO 3166 country whose public holidays are not working days (python-holidays); "
        "empty for none.",
    ),
    Setting(
        "HOLIDAY_SUBDIVISION",
        str,
        "NSW",
        "State or province of HOLIDAY_COUNTRY whose holidays also apply; empty for national only.",
    ),
    Setting(
        "EXTRA_HOLIDAYS",
        str,
        "",
        "Comma-separated ISO dates that are also not working days (office closures).",
    ),
    Setting(
        "CASE_REOPEN_WINDOW_DAYS",
        int,
        14,
        "Days after resolution during which a case may be reopened instead of closed.",
    ),
    Setting(
        "OVERVIEW_RECENT_INTERACTIONS",
        int,
        20,
        "How many of the latest interactions the citizen overview shows.",
    ),
    Setting(
        "OVERVIEW_RECENT_PAYMENTS",
        int,
        20,
        "How many of the latest payments the citizen overview shows.",
    ),
    Setting(
        "METRICS_CATCH_UP_INTERVAL",
        int,
        300,
        "Seconds between runs of the metrics catch-up, which applies the metrics handlers to "
        "events the worker has not processed within METRICS_CATCH_UP_GRACE.",
    ),
    Setting(
        "METRICS_CATCH_UP_GRACE",
        int,
        600,
        "Seconds an event may wait for the worker's metrics handlers before the catch-up "
        "applies them itself.",
    ),
    Setting(
        "METRICS_CATCH_UP_LIMIT",
        int,
        20000,
        "Most events one catch-up run applies (the rest wait for the next run).",
    ),
    Setting(
        "METRICS_INCREMENTAL_IN_SQL",
        bool,
        True,
        "On PostgreSQL, add new contacts to the rollups with one set-based statement per batch "
        "(false: the Python rules SQLite runs; both give the same rollups).",
    ),
    Setting(
        "METRICS_REBUILD_WORK_MEM",
        str,
        "256MB",
        "PostgreSQL work_mem of a rollup rebuild's transaction (its window functions sort a "
        "range's contacts; the server's default spills them to disk).",
    ),
    Setting(
        "METRICS_REBUILD_PARALLELISM",
        int,
        4,
        "PostgreSQL connections a rollup rebuild computes its contact parts on at once, sharing "
        "its transaction's snapshot (the follow-ups in this number less two ranges of citizens); "
        "1: one part after the other, in the rebuild's transaction.",
    ),
    Setting(
        "METRICS_RECONCILE_INTERVAL",
        int,
        86400,
        "Seconds between reconciliations of the rollups with raw data (nightly by default).",
    ),
    Setting(
        "METRICS_RECONCILE_DAYS",
        int,
        7,
        "Days (today included) the reconciliation recomputes from raw data and compares with "
        "the stored rollups; each drift is logged and those days rebuilt.",
    ),
    Setting("RELAY_INTERVAL", float, 1.0, "Seconds between outbox relay passes in the worker."),
    Setting("RELAY_BATCH_SIZE", int, 1000, "Most outbox events one relay pass publishes."),
    Setting(
        "EVENTS_PER_JOB",
        int,
        1000,
        "Most outbox events handed to one RQ job. A quiet relay pass publishes a few; a backlog "
        "drains in jobs as large as a pass (RELAY_BATCH_SIZE), whose handlers' fixed costs (a "
        "lock, a statement, a commit) are then shared by many events.",
    ),
    Setting("JOB_TIMEOUT", int, 120, "Seconds a job may run before RQ stops it."),
    # Issue 11: bulk import and duplicate scan (cgcrm.integrations.imports, cgcrm.matching.scan).
    Setting(
        "IMPORT_MAX_BYTES",
        int,
        50 * 1024 * 1024,
        "Largest file POST /api/v1/imports takes (every other request is held to 1 MB).",
    ),
    Setting(
        "IMPORT_BATCH_SIZE",
        int,
        1000,
        "Rows of an import applied per transaction (with their outcomes: a killed job resumes "
        "after the last committed batch).",
    ),
    Setting(
        "IMPORT_PREPARE_PROCESSES",
        int,
        2,
        "Processes an import job forks to prepare its batches (validation, record building, "
        "the population's candidates and their scores) ahead of the batch being written, on "
        "PostgreSQL; 0 prepares them in a thread of the job's process.",
    ),
    Setting(
        "IMPORT_JOB_TIMEOUT",
        int,
        3600,
        "Seconds an import or duplicate scan job may run before RQ stops it (a retry resumes).",
    ),
    Setting(
        "SCAN_BLOCK_CAP",
        int,
        200,
        "Most records of one blocking key the duplicate scan compares with each other; a "
        "larger block (a very common name) is compared only with its nearest neighbours in "
        "date of birth order.",
    ),
    Setting(
        "JOB_RETRY_INTERVALS",
        str,
        "5,30,120,600",
        "Comma-separated seconds between retries of a failed job; their count is the retries.",
    ),
    Setting(
        "WORKER_TTL",
        int,
        60,
        "Seconds a silent worker is presumed dead, so its started job is failed and retried.",
    ),
    Setting(
        "WORKER_MAINTENANCE_INTERVAL",
        int,
        10,
        "Seconds between a worker's registry clean-ups (how soon abandoned jobs are retried).",
    ),
    Setting("SLA_CHECK_INTERVAL", int, 60, "Seconds between checks that flag cases past due."),
    Setting(
        "OUTBOX_RETENTION_DAYS",
        int,
        7,
        "Days published outbox events are kept before the housekeeping job deletes them.",
    ),
    Setting(
        "REDELIVERY_AFTER",
        int,
        900,
        "Seconds after its publication an event still lacking a handler's marker counts as lost "
        "(its job vanished with a Redis restart, say) and is published again.",
    ),
    Setting("REDELIVERY_INTERVAL", int, 300, "Seconds between sweeps for lost events."),
    Setting(
        "MAX_DELIVERIES",
        int,
        3,
        "Times an event is published at most; one whose handler keeps failing then stays in the "
        "failed-job registry for an administrator.",
    ),
    Setting(
        "QUEUE_NAMESPACE",
        str,
        "",
        "Prefix of every RQ queue name, so several deployments (or test processes) can share one "
        "Redis database without taking each other's jobs. Empty in production.",
    ),
    Setting(
        "HOUSEKEEPING_INTERVAL",
        int,
        3600,
        "Seconds between housekeeping runs (expired outbox events, idempotency keys, revoked "
        "tokens and processed-event markers).",
    ),
    Setting(
        "CRON_LEADER_TTL",
        int,
        30,
        "Seconds a worker's claim to run the scheduler (periodic jobs, due retries) lasts without "
        "renewal (renewed every second); when the leader dies another worker takes over after "
        "at most this long.",
    ),
    Setting(
        "PERIODIC_GRACE",
        int,
        300,
        "Seconds a periodic job may be late (beyond its interval since its last success) before "
        "the admin jobs view and /readyz flag it overdue.",
    ),
    Setting(
        "REVOCATION_REFRESH_SECONDS",
        float,
        1.0,
        "Seconds each process trusts its copy of the revoked-token list; a token revoked in "
        "another process is refused everywhere within this time (at once where it was revoked).",
    ),
    Setting(
        "POOL_PING_AFTER_IDLE",
        float,
        1.0,
        "Seconds a pooled database connection may sit idle before it is tested at checkout; "
        "connections in use more recently are trusted (see cgcrm/core/pool.py).",
    ),
    Setting(
        "CONSENT_EVIDENCE_MAX_AGE_DAYS",
        int,
        30,
        "Days after a contact ends during which a consent that widens access (e.g. "
        "whole_of_government_sharing) may still be recorded as given in it.",
    ),
    Setting(
        "NOTIFICATION_ADAPTER",
        str,
        "cgcrm.notifications.table_adapter:TableAdapter",
        "module:Class that sends notifications to citizens (cgcrm.notifications). The default "
        "writes each message to the notifications table and the log; an SMS or email gateway "
        "is one new module named here.",
    ),
    Setting(
        "SURVEY_QUIET_DAYS",
        int,
        30,
        "Days after a satisfaction survey invitation during which the same citizen is not "
        "invited again, whatever the contact.",
    ),
    Setting(
        "SURVEY_MAX_CONTACT_AGE_HOURS",
        int,
        24,
        "Hours after a contact (its end, else its start) within which its citizen may still be "
        "invited: the survey asks about the service received today.",
    ),
    Setting(
        "SURVEY_INVITATION_TTL_DAYS",
        int,
        7,
        "Days a survey invitation's link can be answered before it expires.",
    ),
    Setting(
        "SURVEY_BASE_URL",
        str,
        "",
        "Public address citizens open survey links at ({SURVEY_BASE_URL}/s/<token>); empty "
        "uses JWT_ISSUER, the application's own address.",
    ),
    Setting(
        "SURVEY_EXPIRY_INTERVAL",
        int,
        3600,
        "Seconds between runs of the job that marks unanswered survey invitations past their "
        "expiry as expired.",
    ),
    # Issue 12: notifications from payment providers, and the sandbox gateway (pay-sandbox).
    Setting(
        "PAYMENT_NOTIFICATION_TOLERANCE",
        int,
        300,
        "Seconds a provider's notification signature may be older (or newer) than our clock; "
        "outside it the notification is refused as stale.",
    ),
    Setting(
        "SANDBOX_NOTIFICATION_SECRETS",
        str,
        "",
        "Comma-separated secrets shared with the sandbox gateway for its Pay-Signature "
        "(HMAC-SHA256); it signs with each, we accept any (rotation). Empty derives one from "
        "SECRET_KEY (development and tests only).",
    ),
    Setting(
        "SANDBOX_NOTIFICATION_URL",
        str,
        "",
        "Where the sandbox gateway POSTs its notifications (loopback addresses only). Empty: "
        "through this application's WSGI interface, in the process that sends them.",
    ),
    Setting(
        "SANDBOX_DELIVERY_TIMEOUT",
        float,
        5.0,
        "Seconds the sandbox gateway waits for our endpoint to answer one notification.",
    ),
    Setting(
        "SANDBOX_DELIVERY_ATTEMPTS",
        int,
        12,
        "Attempts the sandbox gateway makes to deliver a notification (backing off from 5 s "
        "to an hour) before it gives up; the settlement report still lists the money.",
    ),
    Setting(
        "SANDBOX_REDELIVERY_INTERVAL",
        int,
        30,
        "Seconds between runs of the job that sends the sandbox's notifications not yet taken.",
    ),
    Setting(
        "SANDBOX_PAGE_BASE_URL",
        str,
        "",
        "Public address of the sandbox card page (next_url is {SANDBOX_PAGE_BASE_URL}/pay/card/"
        "<token>); empty uses JWT_ISSUER, the application's own address.",
    ),
    Setting(
        "SANDBOX_SETTLEMENT_DIR",
        str,
        "",
        "Directory of the sandbox gateway's daily settlement CSV files; empty means "
        "instance/sandbox-settlements.",
    ),
    Setting(
        "CONTACT_HORIZON_DAYS",
        int,
        3660,
        "How many days back a contact's start or end may lie; older times are refused (422) as "
        "implausible (see cgcrm/core/time_bounds.py).",
    ),
    Setting(
        "CLOCK_SKEW_SECONDS",
        int,
        300,
        "How far ahead of the server's clock a contact's time may lie (clocks of contact-centre "
        "systems drift); later is refused as in the future.",
    ),
    Setting(
        "CONTACT_MAX_SPAN_HOURS",
        int,
        24,
        "Longest a contact may last (ended_at - started_at); longer is refused as implausible.",
    ),
    Setting(
        "TEXT_MAX_COMBINING_MARKS",
        int,
        4,
        "Most combining marks on one character in free text (names, notes, ...); more is refused.",
    ),
    Setting(
        "PROBLEM_MAX_ERRORS",
        int,
        50,
        "Most field errors one problem document lists; the rest are counted in errors_omitted.",
    ),
    # Rate limits (cgcrm/core/ratelimit.py): "<requests>/<seconds>", a fixed window per key.
    Setting("RATE_LIMIT_ENABLED", bool, True, "Refuse requests over the rate limits with 429."),
    Setting(
        "RATE_LIMIT_API_PER_CLIENT",
        str,
        "3000/60",
        "Requests to /api/ one OAuth client may send per window, from all its addresses.",
    ),
    Setting(
        "RATE_LIMIT_API_PER_ADDRESS",
        str,
        "6000/60",
        "Requests to /api/ one network address may send per window, whatever the client.",
    ),
    Setting(
        "RATE_LIMIT_OAUTH_PER_CLIENT",
        str,
        "10/60",
        "Requests to /oauth/* naming one client id may send per window (each may hash a secret).",
    ),
    Setting(
        "RATE_LIMIT_OAUTH_PER_ADDRESS",
        str,
        "20/60",
        "Requests to /oauth/* one network address may send per window (each may hash a secret).",
    ),
    Setting(
        "RATE_LIMIT_PUBLIC_PER_ADDRESS",
        str,
        "30/60",
        "Requests one network address may send without a token to the views open to anyone "
        "(the satisfaction survey page and its answers) per window.",
    ),
    Setting(
        "RATE_LIMIT_PROXY_HOPS",
        int,
        0,
        "Reverse proxies in front of the app that append to X-Forwarded-For; the address limited "
        "is the one the outermost trusted proxy saw. 0: the TCP peer (no proxy).",
    ),
    Setting(
        "RATE_LIMIT_REDIS_TIMEOUT",
        float,
        0.25,
        "Seconds a rate-limit round trip to Redis may take before the process falls back to "
        "counting in its own memory.",
    ),
    Setting(
        "RATE_LIMIT_REDIS_RETRY",
        float,
        5.0,
        "Seconds a process counts in memory after Redis failed before it tries Redis again.",
    ),
    Setting(
        "AUTH_LOCKOUT_FAILURES",
        int,
        5,
        "Consecutive failed client authentications after which a client id is locked.",
    ),
    Setting(
        "AUTH_LOCKOUT_SECONDS",
        int,
        300,
        "Seconds a locked client id is refused without checking its secret; also how long "
        "failures are remembered without a success.",
    ),
    Setting(
        "HSTS_MAX_AGE",
        int,
        31536000,
        "max-age of Strict-Transport-Security, sent in production only; 0 sends none.",
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
    # Issue 12: payments (cgcrm.payments).
    Setting(
        "PAYMENT_PROVIDERS",
        str,
        "sandbox=cgcrm.payments.providers.sandbox:SandboxProvider,"
        "cash=cgcrm.payments.providers.cash:CashProvider,"
        "card_present=cgcrm.payments.providers.cash:CardPresentProvider,"
        "manual=cgcrm.payments.providers.manual:ManualProvider",
        "Comma-separated name=module:Class of every payment provider (cgcrm.payments.providers); "
        "a new gateway is one module and one entry here.",
    ),
    Setting(
        "PAYMENT_DEFAULT_PROVIDERS",
        str,
        "web=sandbox,phone=sandbox,counter=cash",
        "Comma-separated channel=provider: the provider a payment on that channel uses unless "
        "the request names one.",
    ),
    Setting(
        "PAYMENT_EXPIRY_MINUTES",
        int,
        90,
        "Minutes a payment may stay unfinished; then the expiry job fails it (P0020).",
    ),
    Setting(
        "PAYMENT_EXPIRY_INTERVAL",
        int,
        60,
        "Seconds between runs of the job that fails payments past their expiry.",
    ),
    Setting(
        "PAYMENT_EXPIRY_BATCH",
        int,
        500,
        "Most payments one expiry run fails (the rest wait for the next run).",
    ),
    # Issue 12: the payments journal's reconciliation (cgcrm.payments.reconciliation).
    Setting(
        "PAYMENT_RECONCILIATION_INTERVAL",
        int,
        3600,
        "Seconds between runs of the job that reconciles each closed day due (providers' "
        "settlement reports against the journal).",
    ),
    Setting(
        "PAYMENT_RECONCILIATION_DELAY",
        int,
        7200,
        "Seconds after a local day ends before its settlement reports are taken as final and "
        "the day is reconciled.",
    ),
    Setting(
        "PAYMENT_RECONCILIATION_DAYS",
        int,
        7,
        "Closed days the reconciliation job looks back over: a day missed while no worker ran, "
        "or whose report was unavailable, is reconciled on a later run.",
    ),
    Setting("PORT", int, 5000, "Port of `make run`."),
    Setting("LOG_LEVEL", str, "INFO", "Python logging level."),
    Setting("SQL_ECHO", bool, False, "Log every SQL statement (debugging only)."),
    # --- staff console, issue 14 (helper 5) ---
    Setting(
        "CONSOLE_API_URL",
        str,
        "",
        "Base URL of the API the staff console calls (and sends browsers to for sign-in); "
        "empty: this application, reached in-process through its WSGI interface.",
    ),
    Setting(
        "CONSOLE_CLIENT_ID",
        str,
        "cgcrm-console",
        "OAuth client id of the staff console (a confidential client: code + PKCE).",
    ),
    Setting(
        "CONSOLE_CLIENT_SECRET",
        str,
        "",
        "OAuth client secret of the staff console; empty: read from instance/console-client.json, "
        "which `flask seed` writes.",
    ),
    Setting(
        "CONSOLE_ASSETS_DIR",
        str,
        "",
        "Folder holding the console's npm packages (govuk-frontend, htmx.org); empty: "
        "node_modules of the project.",
    ),
    Setting(
        "CONSOLE_SESSION_SECONDS",
        int,
        8 * 3600,
        "Seconds a staff console session lives without use (kept in Redis).",
    ),
    Setting(
        "CONSOLE_COOKIE_SECURE",
        bool,
        True,
        "Mark the console's session cookie Secure (browsers keep it on http://localhost too).",
    ),
    # --- console journeys (helper 7) ---
    Setting(
        "CONSOLE_WEB_PAYMENT_RETURN_URL",
        str,
        "",
        "Where a citizen handed a card page link by the staff console returns after paying "
        "(the council's own page); the console's payment form starts with it filled in.",
    ),
)

_BY_NAME = {setting.name: setting for setting in SETTINGS}


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run the application safely."""


def _coerce(setting: Setting, raw: Any) -> Any:
    if setting.type is bool and isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    try:
        return setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"CGCRM_{setting.name}: expected {setting.type.__name__}") from exc


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve every setting for one application instance.

    :param environ: the process environment (``os.environ`` when None).
    :param overrides: explicit values that win over everything else.
    :raises ConfigError: on an unknown environment, a bad value, or missing production secrets.
    """
    environ = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    env = overrides.get("ENV") or environ.get("CGCRM_ENV") or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CGCRM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")

    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    config_dir = Path(environ.get("CGCRM_CONFIG_DIR", PROJECT_ROOT / "config"))
    for filename in ("default.py", f"{env}.py"):
        path = config_dir / filename
        if path.exists():
            module_vars = runpy.run_path(str(path))
            values.update({k: v for k, v in module_vars.items() if k in _BY_NAME})
    for setting in SETTINGS:
        raw = environ.get(f"CGCRM_{setting.name}")
        if raw is not None:
            values[setting.name] = _coerce(setting, raw)
    values.update(overrides)
    values["ENV"] = env
    unknown = set(overrides) - set(_BY_NAME)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")

    if env == "production":
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not values[name]]
        if missing:
            names = " and ".join(f"CGCRM_{name}" for name in missing)
            raise ConfigError(f"production refuses to start without {names}")
        if len(values["SECRET_KEY"]) < 32:
            raise ConfigError("CGCRM_SECRET_KEY must be at least 32 characters in production")
    return values
