"""Demo-like data for the browser tests' live stack, loaded in a process of its own.

Run as ``python -m tests.browser.seed_stack`` with the stack's ``CGCRM_*`` settings in the
environment (tests/browser/stack.py does): migrates the database to head, loads the demo
catalog, registers the staff console's OAuth client and one staff user per role, and creates
the citizens the journeys look for plus a small synthetic population. A process of its own, as
``make run``'s ``flask db upgrade`` and ``flask seed`` are (its demo staff, password and
console scopes are those of ``cgcrm.cli``), so the test process never holds a
second application (the catalog and name caches are per process).

Nothing is written to ``instance/``: a developer's demo credentials stay as they are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def seed(
    console_client_id: str, console_secret: str, redirect_uri: str, citizens: int
) -> dict[str, Any]:
    from flask_migrate import upgrade

    from cgcrm import create_app
    from cgcrm.catalog.seed import load_catalog
    from cgcrm.citizens.schemas import CitizenCreateSchema
    from cgcrm.citizens.service import create_citizen
    from cgcrm.citizens.synthetic import generate_citizens
    from cgcrm.cli import CONSOLE_SCOPE, DEMO_STAFF, DEMO_STAFF_PASSWORD, KNOWN_DEMO_CITIZENS
    from cgcrm.core.principal import SYSTEM, Actor
    from cgcrm.extensions import db
    from cgcrm.identity.service import create_client, create_user

    app = create_app()
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        load_catalog(ROOT / "config" / "seed" / "catalog.yaml")
        # The console client and demo staff as `flask seed` makes them, but with this stack's
        # redirect URI and secret (flask seed keeps its secret in instance/).
        issued = create_client(
            "cgcrm staff console",
            "CUSTOMER",
            CONSOLE_SCOPE,
            client_id=console_client_id,
            client_secret=console_secret,
            redirect_uris=[redirect_uri],
        )
        issued.client.grant_types = "authorization_code refresh_token"
        db.session.commit()
        for email, role, department, name in DEMO_STAFF:
            create_user(email, role, department, name, DEMO_STAFF_PASSWORD)
        actor = Actor(SYSTEM, "browser-tests")
        schema = CitizenCreateSchema()
        known = []
        for payload in KNOWN_DEMO_CITIZENS:
            known.append(str(create_citizen(actor, schema.load(payload)).id))
        # A second record of Jennifer Smith, as another department might make: the matcher
        # files the pair for review (the duplicates journey merges it and undoes the merge).
        second = {**KNOWN_DEMO_CITIZENS[1], "given_name": "Jenny"}
        create_citizen(actor, schema.load(second), on_match="create")
        for payload in generate_citizens(citizens, seed=2026):
            create_citizen(actor, schema.load(payload))
        db.session.remove()
        db.engine.dispose()
    return {
        "password": DEMO_STAFF_PASSWORD,
        "staff": {role: email for email, role, _, _ in DEMO_STAFF},
        "known_citizens": known,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--console-client-id", required=True)
    parser.add_argument("--console-redirect-uri", required=True)
    parser.add_argument("--citizens", type=int, default=60)
    args = parser.parse_args()
    # The secret comes on stdin, never on a command line other users can read.
    secret = sys.stdin.readline().strip()
    result = seed(args.console_client_id, secret, args.console_redirect_uri, args.citizens)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
