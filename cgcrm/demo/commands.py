"""``flask demo simulate``: a quarter of activity for a new user to explore."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from cgcrm.core.time_bounds import parse_moment

demo_cli = AppGroup("demo", help="Demo activity to explore (simulated, through the services).")


@demo_cli.command("simulate")
@click.option("--days", default=90, show_default=True, type=click.IntRange(1, 366))
@click.option("--seed", default=2026, show_default=True, help="Same seed, same activity.")
@click.option(
    "--until",
    default=None,
    help="ISO 8601 moment the simulated days end (default: now). Same data, seed and --until "
    "write the same activity (but for the contacts the surveys service samples).",
)
@click.option("--force", is_flag=True, help="Simulate again although demo activity exists.")
def simulate_command(days: int, seed: int, until: str | None, force: bool) -> None:
    """Write DAYS of contacts, transactions, cases, consents and satisfaction answers ending
    today, through the service layer, then run the event handlers over them (once per
    database: a second run adds nothing unless --force)."""
    from cgcrm.demo.simulation import demo_citizens, quarter_until, simulate
    from cgcrm.demo.writer import demo_activity_exists

    if demo_activity_exists() and not force:
        click.echo("demo: activity already simulated in this database; nothing added (--force)")
        return
    end: datetime | None = None
    if until is not None:
        try:
            end = parse_moment(until)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--until") from exc
    if not demo_citizens():
        raise click.ClickException("no citizens to simulate: run `flask seed` first")
    outcome = simulate(quarter_until(days, end), seed)
    quarter, tally = outcome.quarter, outcome.tally
    written = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.written.items()))
    click.echo(
        f"demo: {quarter.days} days to {quarter.until.isoformat()} for {outcome.citizens} "
        f"citizens: {written}"
    )
    click.echo(
        f"demo: {outcome.effects} event handler effects applied, "
        f"{outcome.sealed} audit events sealed"
    )
    for reason, count in sorted(tally.refused.items()):
        click.echo(f"demo: refused {count}: {reason}")
