"""``flask audit verify``, ``flask audit seal`` and ``flask audit purge --before``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="The audit trail: verify, seal, purge (retention).")


@audit_cli.command("verify")
def verify_command() -> None:
    """Check every event, seal and checkpoint; exit 1 and list what is wrong, if anything."""
    from cgcrm.core.audit_verify import verify_trail

    report = verify_trail()
    if report.ok:
        click.echo(f"audit trail intact: {report.summary()}")
        return
    click.echo(f"audit trail NOT intact: {len(report.problems)} findings", err=True)
    for problem in report.problems:
        click.echo(f"  - {problem}", err=True)
    click.echo(report.summary(), err=True)
    sys.exit(1)


@audit_cli.command("seal")
def seal_command() -> None:
    """Seal every pending event now (the worker does this every AUDIT_SEAL_INTERVAL)."""
    from cgcrm.core.audit_seal import seal_everything

    click.echo(f"sealed {seal_everything()} events")


def _cutoff(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("an ISO 8601 date or date-time", param_hint="--before") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@audit_cli.command("purge")
@click.option("--before", "before", required=True, help="ISO date or date-time (UTC if no offset).")
def purge_command(before: str) -> None:
    """Delete the sealed events that occurred before a date (retention), recorded in a signed
    purge checkpoint; the only way the database lets audit rows go."""
    from cgcrm.core.audit_seal import purge_before

    record = purge_before(_cutoff(before))
    if record is None:
        click.echo("nothing to purge")
        return
    click.echo(
        f"purged {record['events']} events (chain positions up to {record['through_position']}); "
        f"checkpoint #{record['id']} recorded"
    )
