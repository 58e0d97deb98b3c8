"""``flask worker`` and ``flask relay``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError

from cgcrm import jobs


def _queue_names(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = sorted(set(names) - set(jobs.QUEUE_NAMES))
    if unknown:
        raise click.BadParameter(
            f"unknown queue {', '.join(unknown)}; queues are {', '.join(jobs.QUEUE_NAMES)}",
            param_hint="--queues",
        )
    return names


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Relay pending events once, run queued jobs, exit.")
@click.option("--queues", default=None, help="Comma-separated queues (default: all).")
@click.option("--no-relay", is_flag=True, help="Do not run the outbox relay in this worker.")
@click.option(
    "--no-cron",
    is_flag=True,
    help="Do not run the scheduler (periodic jobs, due retries); another worker must.",
)
def worker_command(burst: bool, queues: str | None, no_relay: bool, no_cron: bool) -> None:
    """Run an RQ worker with the outbox relay and the periodic jobs; Ctrl-C stops it."""
    from cgcrm.worker.runner import run_worker

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        run_worker(
            app,
            queues=_queue_names(queues),
            burst=burst,
            with_relay=not no_relay,
            with_cron=not no_cron,
        )
    except RedisError as exc:
        raise click.ClickException(
            f"Redis unavailable at {app.config['REDIS_URL']}: {exc}"
        ) from exc


@click.command("relay")
@with_appcontext
def relay_command() -> None:
    """Publish every pending outbox event to the queues once, then exit."""
    from cgcrm.worker.relay import drain

    try:
        published = drain()
    except (RedisError, SQLAlchemyError) as exc:
        raise click.ClickException(f"relay failed, events stay in the outbox: {exc}") from exc
    click.echo(f"published {published} events")


@click.command("unpark")
@with_appcontext
@click.argument("event_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Unpark every parked event.")
def unpark_command(event_ids: tuple[str, ...], everything: bool) -> None:
    """Hand parked events (see the admin jobs view) back to their handlers once fixed."""
    import uuid

    from cgcrm.worker.parking import unpark_events

    if not event_ids and not everything:
        raise click.UsageError("name the events to unpark, or pass --all")
    try:
        ids = None if everything else [uuid.UUID(value) for value in event_ids]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="EVENT_IDS") from exc
    click.echo(f"unparked {unpark_events(ids)} events; the relay publishes them again")
