"""``flask metrics rebuild`` and ``flask metrics reconcile``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from cgcrm.core.errors import DomainError

metrics_cli = AppGroup("metrics", help="Rollups of the service-standard measures.")


@metrics_cli.command("rebuild")
@click.option("--from", "day_from", required=True, help="First day (ISO date, in TIME_ZONE).")
@click.option("--to", "day_to", default=None, help="Last day, inclusive (default today).")
def rebuild_command(day_from: str, day_to: str | None) -> None:
    """Recompute every rollup of those days from raw data, in one transaction."""
    from cgcrm.metrics.rollups.maintenance import vacuum_rollups
    from cgcrm.metrics.rollups.rebuild import rebuild_rollups

    try:
        counted = rebuild_rollups(day_from, day_to)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"rebuilt: the rollups of those days count {counted} contacts")
    vacuum_rollups()


@metrics_cli.command("reconcile")
@click.option("--days", type=click.IntRange(1, 3660), default=None, help="Days back (today in).")
def reconcile_command(days: int | None) -> None:
    """Compare recent rollups with raw data; log and fix any drift."""
    from cgcrm.metrics.rollups.maintenance import vacuum_rollups
    from cgcrm.metrics.rollups.reconcile import reconcile_rollups

    drifted = reconcile_rollups(days)
    if drifted:
        vacuum_rollups()
    click.echo(f"{drifted} buckets drifted" + ("; their days were rebuilt" if drifted else ""))
