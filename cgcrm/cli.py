"""Operator commands: ``flask seed``, ``flask clients create``, ``flask users create``, …"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from cgcrm.core.errors import DomainError
from cgcrm.extensions import db
from cgcrm.settings import PROJECT_ROOT

clients_cli = AppGroup("clients", help="OAuth2 clients of department systems.")
users_cli = AppGroup("users", help="Staff users.")

DEMO_CLIENT_ID = "demo-counter-system"
DEMO_ADMIN_EMAIL = "admin@council.example"


def _fail(error: DomainError) -> None:
    raise click.ClickException(error.detail)


@clients_cli.command("create")
@click.argument("name")
@click.option("--department", "department_code", required=True, help="Department code.")
@click.option("--scopes", "scope", required=True, help='e.g. "citizens:read citizens:write"')
def create_client_command(name: str, department_code: str, scope: str) -> None:
    """Register a client; prints its id and secret (the secret is shown only once)."""
    from cgcrm.identity.service import create_client

    try:
        issued = create_client(name, department_code, scope)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"client_id:     {issued.client.client_id}")
    click.echo(f"client_secret: {issued.client_secret}")
    click.echo(f"scopes:        {issued.client.scope}")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    required=True,
    help="front_office, case_officer, supervisor, analyst, auditor or admin.",
)
@click.option("--department", "department_code", default=None, help="Department code.")
@click.option("--name", "display_name", default=None)
def create_user_command(
    email: str, role: str, department_code: str | None, display_name: str | None
) -> None:
    """Register a staff user with a role."""
    from cgcrm.identity.service import create_user

    try:
        user = create_user(email, role, department_code, display_name)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"staff user {user.email} ({user.role}) id {user.id}")


def _demo_credentials_path() -> Path:
    return Path(current_app.instance_path) / "demo-client.json"


@click.command("seed")
@with_appcontext
@click.option("--citizens", "citizen_count", default=500, show_default=True)
def seed_command(citizen_count: int) -> None:
    """Load the catalog and demo data once; running it again adds nothing."""
    from cgcrm.catalog.seed import load_catalog
    from cgcrm.citizens.models import Citizen
    from cgcrm.citizens.schemas import CitizenCreateSchema
    from cgcrm.citizens.service import create_citizen
    from cgcrm.citizens.synthetic import generate_citizens
    from cgcrm.core.principal import SYSTEM, Actor
    from cgcrm.identity.models import OAuthClient, StaffUser
    from cgcrm.identity.service import create_client, create_user

    added = load_catalog(PROJECT_ROOT / "config" / "seed" / "catalog.yaml")
    click.echo(f"catalog: added {added}")
    if db.session.scalar(select(StaffUser.id).where(StaffUser.email == DEMO_ADMIN_EMAIL)) is None:
        create_user(DEMO_ADMIN_EMAIL, "admin", "CUSTOMER", "Demo Administrator")
        click.echo(f"staff: added {DEMO_ADMIN_EMAIL}")
    if (
        db.session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == DEMO_CLIENT_ID))
        is None
    ):
        issued = create_client(
            "Demo counter system",
            "CUSTOMER",
            # A counter takes consents in the contact it records; it is shown other
            # departments' identifiers masked and cannot export the population.
            "citizens:read citizens:write interactions:write cases:write audit consents:record",
            client_id=DEMO_CLIENT_ID,
        )
        path = _demo_credentials_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump({"client_id": DEMO_CLIENT_ID, "client_secret": issued.client_secret}, handle)
        click.echo(f"client: added {DEMO_CLIENT_ID}")
    existing = db.session.scalar(select(func.count()).select_from(Citizen)) or 0
    if existing == 0:
        actor = Actor(SYSTEM, "seed")
        schema = CitizenCreateSchema()
        for payload in generate_citizens(citizen_count, seed=2026):
            create_citizen(actor, schema.load(payload))
        click.echo(f"citizens: added {citizen_count}")
    else:
        click.echo(f"citizens: {existing} present, none added")


@click.command("demo-info")
@with_appcontext
@click.option("--base-url", default=None)
def demo_info_command(base_url: str | None) -> None:
    """Print the URLs, the demo client's credentials and a fresh bearer token."""
    path = _demo_credentials_path()
    if not path.exists():
        raise click.ClickException("no demo client: run `flask seed` first")
    creds: dict[str, Any] = json.loads(path.read_text())
    # The token comes from the real token endpoint, exercised in-process.
    response = current_app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    if response.status_code != 200:
        raise click.ClickException(
            f"token endpoint said {response.status_code}: {response.get_data(as_text=True)}"
        )
    base = base_url or f"http://127.0.0.1:{current_app.config['PORT']}"
    click.echo(f"API:           {base}/api/v1")
    click.echo(f"API docs:      {base}/api/docs")
    click.echo(f"OpenAPI:       {base}/api/v1/openapi.json")
    click.echo(f"client_id:     {creds['client_id']}")
    click.echo(f"client_secret: {creds['client_secret']}")
    click.echo(f"access token:  {response.get_json()['access_token']}")
    click.echo(
        f'try:           curl -H "Authorization: Bearer $TOKEN" '
        f'"{base}/api/v1/citizens/search?q=Jenifer+Smyth"'
    )


def register(app: Flask) -> None:
    from cgcrm.core.audit_cli import audit_cli
    from cgcrm.demo.commands import demo_cli
    from cgcrm.worker.commands import relay_command, unpark_command, worker_command

    app.cli.add_command(clients_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(demo_info_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(relay_command)
    app.cli.add_command(unpark_command)
    app.cli.add_command(audit_cli)
    app.cli.add_command(demo_cli)
