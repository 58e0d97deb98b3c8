"""Operator commands: ``flask seed``, ``flask clients create``, ``flask users create``, …"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import DomainError
from cgcrm.extensions import db
from cgcrm.settings import PROJECT_ROOT

clients_cli = AppGroup("clients", help="OAuth2 clients of department systems.")
users_cli = AppGroup("users", help="Staff users.")

DEMO_CLIENT_ID = "demo-counter-system"
DEMO_ADMIN_EMAIL = "admin@council.example"
# The staff console's sign-in for the demo (issue 14): one password for every demo staff user,
# printed by `flask demo-info` and in the README. Not made in production.
DEMO_STAFF_PASSWORD = "counter demo 2026"
# (email, role, department, name): a counter officer first, the one a visitor signs in as.
DEMO_STAFF = (
    ("counter@council.example", "front_office", "CUSTOMER", "Casey Counter"),
    ("supervisor@council.example", "supervisor", "CUSTOMER", "Sam Supervisor"),
    # Of the rates department: the 360 view withholds other departments' contacts and cases.
    ("caseworker@council.example", "case_worker", "RATES", "Robin Rates"),
    ("finance@council.example", "finance", "CUSTOMER", "Frankie Finance"),
    ("auditor@council.example", "auditor", "CUSTOMER", "Alex Auditor"),
    (DEMO_ADMIN_EMAIL, "admin", "CUSTOMER", "Demo Administrator"),
)
# What the console may ask for: every scope a staff role holds; each user's roles narrow it.
CONSOLE_SCOPE = (
    "citizens:read citizens:write interactions:write cases:write payments:write "
    "consents:record metrics:read audit admin cross_department identifiers:read"
)
# Names people try first, typos and all: the demo has these people whatever the synthetic
# population holds ("Jon Smyth" a reviewer's first search, "Jenifer Smyth" the README's).
KNOWN_DEMO_CITIZENS = (
    {
        "given_name": "John",
        "family_name": "Smith",
        "date_of_birth": "1984-03-02",
        "preferences": {"preferred_channel": "phone"},
        "contact_points": [
            {"kind": "email", "value": "john.smith@example.com"},
            {"kind": "phone", "value": "0412 345 678"},
        ],
        "addresses": [
            {
                "line1": "12 George Street",
                "locality": "Parramatta",
                "region": "NSW",
                "postcode": "2150",
                "valid_from": "2019-07-01",
            }
        ],
    },
    {
        "given_name": "Jennifer",
        "middle_names": "Nicole",
        "family_name": "Smith",
        "date_of_birth": "1972-06-03",
        "preferences": {"preferred_channel": "email"},
        "contact_points": [{"kind": "email", "value": "jennifer.smith@example.com"}],
        "addresses": [
            {
                "line1": "4 Macquarie Street",
                "locality": "Liverpool",
                "region": "NSW",
                "postcode": "2170",
                "valid_from": "2015-02-01",
            }
        ],
    },
)
# The README's example search (tests/test_readme.py checks it finds the seeded citizen it names).
README_SEARCH = "Jenifer+Smyth"


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
    "roles",
    required=True,
    multiple=True,
    help="front_office, case_worker, supervisor, finance, auditor or admin (repeatable).",
)
@click.option("--department", "department_code", required=True, help="Department code.")
@click.option("--name", "display_name", default=None)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 12 characters, not a common password (prompted when not given).",
)
def create_user_command(
    email: str,
    roles: tuple[str, ...],
    department_code: str,
    display_name: str | None,
    password: str,
) -> None:
    """Register a staff user of a department, with roles and a password to sign in with."""
    from cgcrm.identity.service import create_user

    try:
        user = create_user(email, list(roles), department_code, display_name, password)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"staff user {user.email} ({' '.join(user.role_names)}) id {user.id}")


@users_cli.command("disable")
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable a staff user: no more sign-ins, refresh tokens revoked."""
    from cgcrm.identity.models import StaffUser
    from cgcrm.identity.service import disable_user

    user = db.session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no staff user with email {email!r}")
    disable_user(user.id, by="system:cli")
    click.echo(f"staff user {user.email} disabled")


@dataclass(frozen=True)
class DemoClient:
    """A client ``flask seed`` registers for the demo; its secret is kept in ``instance/``."""

    client_id: str
    name: str
    scope: str
    file_name: str

    def credentials_path(self) -> Path:
        return Path(current_app.instance_path) / self.file_name


# A counter takes consents in the contact it records; it is shown other departments'
# identifiers masked and cannot export the population.
DEMO_COUNTER = DemoClient(
    DEMO_CLIENT_ID,
    "Demo counter system",
    # payments:write: the README's payment example takes a fee at this counter.
    "citizens:read citizens:write interactions:write cases:write audit consents:record "
    "payments:write",
    "demo-client.json",
)
# An administrator reads the KPIs, the jobs and every department's records.
DEMO_ADMIN = DemoClient(
    "demo-admin-console",
    "Demo administrator console",
    "admin metrics:read citizens:read audit cross_department",
    "demo-admin-client.json",
)
DEMO_CLIENTS = (DEMO_COUNTER, DEMO_ADMIN)


def _seed_client(demo: DemoClient) -> None:
    """Register ``demo`` unless it exists; its secret goes to a file only the owner reads."""
    from cgcrm.identity.models import OAuthClient
    from cgcrm.identity.service import create_client

    exists = db.session.scalar(
        select(OAuthClient.id).where(OAuthClient.client_id == demo.client_id)
    )
    if exists is not None:
        return
    issued = create_client(demo.name, "CUSTOMER", demo.scope, client_id=demo.client_id)
    path = demo.credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": demo.client_id, "client_secret": issued.client_secret}, handle)
    click.echo(f"client: added {demo.client_id}")


def console_redirect_uris() -> list[str]:
    port = current_app.config["PORT"]
    return [f"http://{host}:{port}/console/callback" for host in ("127.0.0.1", "localhost")]


def _seed_console_client() -> None:
    """Register the staff console as a confidential client of the authorization-code grant
    (no client credentials: it acts only for a signed-in user); its secret goes to
    ``instance/console-client.json``, where the console reads it. Run again with another
    port, it adds that port's redirect URIs."""
    from cgcrm.identity.models import OAuthClient
    from cgcrm.identity.service import create_client

    client_id = current_app.config["CONSOLE_CLIENT_ID"]
    uris = console_redirect_uris()
    client = db.session.scalar(select(OAuthClient).where(OAuthClient.client_id == client_id))
    if client is not None:
        missing = [uri for uri in uris if uri not in client.redirect_uris.split()]
        if missing:
            client.redirect_uris = " ".join([*client.redirect_uris.split(), *missing])
            db.session.commit()
            click.echo(f"client: {client_id} may now return to {' '.join(missing)}")
        return
    issued = create_client(
        "cgcrm staff console", "CUSTOMER", CONSOLE_SCOPE, client_id=client_id, redirect_uris=uris
    )
    issued.client.grant_types = "authorization_code refresh_token"
    db.session.commit()
    path = Path(current_app.instance_path) / "console-client.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"client_id": client_id, "client_secret": issued.client_secret}, handle)
    click.echo(f"client: added {client_id} (the staff console)")


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
    from cgcrm.identity.models import StaffUser
    from cgcrm.identity.service import create_user, set_password

    added = load_catalog(PROJECT_ROOT / "config" / "seed" / "catalog.yaml")
    click.echo(f"catalog: added {added}")
    production = current_app.config["ENV"] == "production"
    for email, role, department, name in DEMO_STAFF:
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == email))
        password = None if production else DEMO_STAFF_PASSWORD
        if user is None:
            create_user(email, role, department, name, password)
            click.echo(f"staff: added {email} ({role})")
        elif user.password_hash is None and password is not None:
            set_password(email, password)  # the administrator of an earlier seed had none
    for demo in DEMO_CLIENTS:
        _seed_client(demo)
    _seed_console_client()
    existing = db.session.scalar(select(func.count()).select_from(Citizen)) or 0
    if existing == 0:
        actor = Actor(SYSTEM, "seed")
        schema = CitizenCreateSchema()
        for payload in generate_citizens(citizen_count, seed=2026):
            create_citizen(actor, schema.load(payload))
        for known in KNOWN_DEMO_CITIZENS:
            create_citizen(actor, schema.load(known))
        click.echo(f"citizens: added {citizen_count + len(KNOWN_DEMO_CITIZENS)}")
    else:
        click.echo(f"citizens: {existing} present, none added")


def _token(demo: DemoClient) -> tuple[dict[str, Any], str]:
    """The client's stored credentials and a fresh token from the real token endpoint,
    exercised in-process."""
    path = demo.credentials_path()
    if not path.exists():
        raise click.ClickException(f"no {demo.client_id} credentials: run `flask seed` first")
    creds: dict[str, Any] = json.loads(path.read_text())
    response = current_app.test_client().post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(creds["client_id"], creds["client_secret"]),
    )
    if response.status_code != 200:
        raise click.ClickException(
            f"token endpoint said {response.status_code}: {response.get_data(as_text=True)}"
        )
    return creds, str(response.get_json()["access_token"])


@click.command("demo-info")
@with_appcontext
@click.option("--base-url", default=None)
def demo_info_command(base_url: str | None) -> None:
    """Print the URLs, the demo clients' credentials, fresh bearer tokens and requests to try."""
    counter, counter_token = _token(DEMO_COUNTER)
    admin, admin_token = _token(DEMO_ADMIN)
    base = base_url or f"http://127.0.0.1:{current_app.config['PORT']}"
    today = utcnow().astimezone(ZoneInfo(current_app.config["TIME_ZONE"])).date()
    quarter_start = today - timedelta(days=89)
    click.echo(f"Staff console: {base}/console/")
    if current_app.config["ENV"] != "production":
        for email, role, department, _name in DEMO_STAFF:
            click.echo(f"  sign in as {email:<28} ({role}, {department})")
        click.echo(f"  password:  {DEMO_STAFF_PASSWORD}")
    click.echo(f"API:           {base}/api/v1")
    click.echo(f"API docs:      {base}/api/docs")
    click.echo(f"OpenAPI:       {base}/api/v1/openapi.json")
    click.echo(f"client_id:     {counter['client_id']}  ({DEMO_COUNTER.scope})")
    click.echo(f"client_secret: {counter['client_secret']}")
    click.echo(f"access token:  {counter_token}")
    click.echo(f"admin client:  {admin['client_id']}  ({DEMO_ADMIN.scope})")
    click.echo(f"admin secret:  {admin['client_secret']}")
    click.echo(f"admin token:   {admin_token}")
    click.echo("try:")
    click.echo(f"  TOKEN={counter_token}")
    click.echo(
        f'  curl -H "Authorization: Bearer $TOKEN" '
        f'"{base}/api/v1/citizens/search?q={README_SEARCH}"'
    )
    click.echo(f"  ADMIN_TOKEN={admin_token}")
    click.echo(
        f'  curl -H "Authorization: Bearer $ADMIN_TOKEN" "{base}/api/v1/metrics/kpis'
        f'?from={quarter_start.isoformat()}&to={today.isoformat()}&interval=week"'
    )


def register(app: Flask) -> None:
    from cgcrm.core.audit_cli import audit_cli
    from cgcrm.demo.commands import demo_cli
    from cgcrm.matching.cli import matching_cli
    from cgcrm.metrics.rollups.cli import metrics_cli
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
    app.cli.add_command(metrics_cli)
    app.cli.add_command(matching_cli)
