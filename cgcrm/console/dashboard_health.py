"""The background jobs' health, from ``GET /api/v1/admin/jobs``, in words an administrator
reads at a glance: each state written out (never told by colour alone), ages rather than
timestamps, and the first line of each failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

LATEST_FAILURES = 5
# The relay publishes within seconds; a backlog older than this is worth a look.
RELAY_LAG_WARNING_SECONDS = 60


def ago(value: str | None, now: datetime) -> str:
    """'never', 'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    if not value:
        return "never"
    seconds = (now - datetime.fromisoformat(value)).total_seconds()
    return duration(seconds) + " ago" if seconds >= 60 else "just now"


def duration(seconds: float) -> str:
    """A length of time in the largest whole unit: '45 seconds', '1 minute', '3 hours'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = int(seconds)
    return f"{count} second{'s' if count != 1 else ''}"


def _failure(job: dict[str, Any], now: datetime) -> dict[str, str]:
    error = [line for line in job.get("error") or [] if line.strip()]
    return {
        "queue": job["queue"],
        "function": job.get("function") or "(unreadable job)",
        "failed": ago(job.get("failed_at"), now),
        "failed_at": job.get("failed_at") or "",
        "error": error[-1] if error else "No error recorded",
        "retries_left": str(job.get("retries_left") or 0),
    }


def jobs_health(overview: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Queues, the latest failures, the periodic jobs, the outbox relay's lag and the parked
    events, with ``problems``: the sentences that say what needs attention (empty: all well)."""
    queues = overview.get("queues") or []
    failures = sorted(
        (job for queue in queues for job in queue.get("failed") or []),
        key=lambda job: job.get("failed_at") or "",
        reverse=True,
    )
    relay = overview.get("relay") or {}
    lag = relay.get("oldest_unpublished_age_seconds")
    periodic = [
        {
            "name": job["name"],
            "every": duration(job["interval_seconds"]),
            "succeeded": ago(job.get("last_succeeded_at"), now),
            "failed": ago(job.get("last_failed_at"), now),
            "status": "Overdue" if job.get("overdue") else "On time",
            "overdue": bool(job.get("overdue")),
        }
        for job in overview.get("periodic") or []
    ]
    parked = (overview.get("parked") or {}).get("count") or 0
    failed = sum(queue["counts"]["failed"] for queue in queues)
    problems = []
    if failed:
        problems.append(f"{failed:,} failed job{'s' if failed != 1 else ''}")
    overdue = [job["name"] for job in periodic if job["overdue"]]
    if overdue:
        problems.append("overdue periodic jobs: " + ", ".join(overdue))
    if lag is not None and lag >= RELAY_LAG_WARNING_SECONDS:
        problems.append(f"the outbox relay is {duration(lag)} behind")
    if parked:
        problems.append(f"{parked:,} parked event{'s' if parked != 1 else ''}")
    return {
        "queues": [{"name": queue["queue"], **queue["counts"]} for queue in queues],
        "failures": [_failure(job, now) for job in failures[:LATEST_FAILURES]],
        "failed": failed,
        "periodic": periodic,
        "relay": {
            "unpublished": relay.get("unpublished") or 0,
            "lag": "none" if lag is None else duration(lag),
        },
        "parked": parked,
        "problems": problems,
    }
