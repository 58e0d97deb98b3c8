"""The background runtime: outbox relay, queues and jobs, retries, periodic jobs and housekeeping
(cgcrm.worker, cgcrm.jobs).
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

WORKER: tuple[Setting, ...] = (
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
)
