"""``flask matching``: operator commands of identity resolution."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from cgcrm.matching.training import train_model

matching_cli = AppGroup("matching", help="Identity resolution: the match model.")


@matching_cli.command("train")
@click.option("--seeds", default=1000, show_default=True, help="Citizens EM learns m from.")
@click.option("--random-pairs", default=50000, show_default=True, help="Pairs u is counted on.")
@click.option("--match-threshold", type=float, default=None, help="Default: MATCH_THRESHOLD.")
@click.option(
    "--possible-threshold", type=float, default=None, help="Default: MATCH_POSSIBLE_THRESHOLD."
)
def train_command(
    seeds: int,
    random_pairs: int,
    match_threshold: float | None,
    possible_threshold: float | None,
) -> None:
    """Re-estimate m, u, term frequencies and the prior; store them as the active version."""
    config = current_app.config
    match = config["MATCH_THRESHOLD"] if match_threshold is None else match_threshold
    possible = (
        config["MATCH_POSSIBLE_THRESHOLD"] if possible_threshold is None else possible_threshold
    )
    if not 0 <= possible <= match <= 1:
        raise click.BadParameter("thresholds need 0 <= possible <= match <= 1")
    try:
        model = train_model(
            seeds=seeds,
            random_pairs=random_pairs,
            match_threshold=match,
            possible_threshold=possible,
            trained_by="cli",
        )
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    training = model.training
    click.echo(
        f"match model version {model.version} active: {training['blocked_pairs']} blocked "
        f"pairs, EM {training['em_iterations']} iterations "
        f"({'converged' if training['em_converged'] else 'not converged'}), "
        f"prior {model.parameters['prior']:.3g}"
    )
