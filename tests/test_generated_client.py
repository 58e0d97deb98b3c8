"""A department's client generated from the OpenAPI document walks a journey against a real server.

openapi-python-client (a standard generator, pinned in requirements-dev.txt) generates the client
once per session from the document the application serves; Authlib's httpx client gets a token
by client credentials; gunicorn (config/gunicorn.conf.py) serves on a free loopback port. Only the
generated functions and models are used: header arguments, typed problem bodies, no private code.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.httpx_client import OAuth2Client
from flask import Flask

from cgcrm.extensions import db
from cgcrm.identity.service import create_client
from tests.conftest import new_citizen_payload
from tests.live_server import gunicorn_serving

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "cgcrm_generated_client"
IMPORT_SKIPPED = "WARNING parsing POST /api/v1/imports within imports."
IMPORT_REASONS = {
    "Unsupported content type text/csv",
    "Unsupported content type application/x-ndjson",
}
# citizens:export: the journey pages through the whole list, which look-ups alone do not need.
SCOPES = "citizens:read citizens:write citizens:export interactions:write"


@pytest.fixture(scope="session")
def generated(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated client package, imported from a temporary directory."""
    workdir = tmp_path_factory.mktemp("generated")
    document = app.test_client().get("/api/v1/openapi.json")
    assert document.status_code == 200
    (workdir / "openapi.json").write_text(json.dumps(document.get_json()))
    (workdir / "config.yaml").write_text("post_hooks: []\n")
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(workdir / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(workdir / PACKAGE),
            "--config",
            str(workdir / "config.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator warns about every part of the document it could not turn into code. It
    # has no models for file bodies, so it skips the bulk import (text/csv,
    # application/x-ndjson), which any client sends as a file: that is the only warning allowed.
    lines = (result.stdout + result.stderr).splitlines()
    skipped = [line for line in lines if line.startswith("WARNING")]
    assert all(line.startswith(IMPORT_SKIPPED) for line in skipped), "\n".join(lines)
    reasons = {line for line in lines if line.startswith("Unsupported")}
    assert reasons <= IMPORT_REASONS, "\n".join(lines)
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
            del sys.modules[name]


@pytest.fixture
def server(app: Flask, tmp_path: Path) -> Iterator[str]:
    with gunicorn_serving(app, tmp_path / "gunicorn.log") as base:
        yield base


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def _next_cursor(link: str) -> str:
    url = link.split(";")[0].strip().strip("<>")
    return parse_qs(urlsplit(url).query)["cursor"][0]


def test_a_generated_client_walks_a_journey(app: Flask, generated: ModuleType, server: str) -> None:
    with app.app_context():
        issued = create_client("generated client", "RATES", SCOPES)
        db.session.remove()
    with OAuth2Client(issued.client.client_id, issued.client_secret, scope=SCOPES) as oauth:
        token = oauth.fetch_token(f"{server}/oauth/token", grant_type="client_credentials")

    client_module = _module(generated, "client")
    models = _module(generated, "models")
    citizens = "api.citizens."
    create_citizen = _module(generated, citizens + "create_citizen")
    get_citizen = _module(generated, citizens + "get_citizen")
    update_citizen = _module(generated, citizens + "update_citizen")
    list_citizens = _module(generated, citizens + "list_citizens")
    create_interaction = _module(generated, "api.interactions.create_interaction")

    api = client_module.AuthenticatedClient(base_url=server, token=token["access_token"])
    with api:
        # Create, safely retried: the same Idempotency-Key replays the first answer.
        body = models.CitizenCreate.from_dict(new_citizen_payload(given_name="Ada"))
        key = str(uuid.uuid4())
        created = create_citizen.sync_detailed(client=api, body=body, idempotency_key=key)
        assert created.status_code == 201, created.content
        citizen = created.parsed
        assert isinstance(citizen, models.Citizen)
        replay = create_citizen.sync_detailed(client=api, body=body, idempotency_key=key)
        assert replay.status_code == 201
        assert replay.headers["Idempotent-Replayed"] == "true"
        assert replay.parsed.id == citizen.id

        # Read it and its ETag, change it with If-Match.
        read = get_citizen.sync_detailed(citizen.id, client=api, x_access_reason="journey")
        assert read.status_code == 200
        assert read.parsed.given_name == "Ada"
        etag = read.headers["ETag"]
        patch = models.CitizenPatch.from_dict({"preferred_name": "Addie"})
        changed = update_citizen.sync_detailed(citizen.id, client=api, body=patch, if_match=etag)
        assert changed.status_code == 200, changed.content
        assert changed.parsed.preferred_name == "Addie"
        assert changed.headers["ETag"] != etag

        # A stale ETag: a 412 whose body is the typed problem model.
        stale = update_citizen.sync_detailed(citizen.id, client=api, body=patch, if_match=etag)
        assert stale.status_code == 412
        assert isinstance(stale.parsed, models.Problem)
        assert stale.parsed.status == 412
        assert stale.parsed.title

        # Record a contact with the citizen.
        started = datetime.now(UTC) - timedelta(minutes=10)
        contact = models.InteractionCreate.from_dict(
            {
                "citizen_id": str(citizen.id),
                "channel": "phone",
                "outcome": "resolved",
                "service_code": "RATES-PAY",
                "started_at": started.isoformat(),
                "ended_at": (started + timedelta(minutes=4)).isoformat(),
            }
        )
        recorded = create_interaction.sync_detailed(
            client=api, body=contact, idempotency_key=str(uuid.uuid4())
        )
        assert recorded.status_code == 201, recorded.content
        assert recorded.parsed.citizen_id == citizen.id

        # List, one per page, following the Link header's cursor.
        second = models.CitizenCreate.from_dict(new_citizen_payload(given_name="Grace"))
        assert create_citizen.sync_detailed(client=api, body=second).status_code == 201
        first_page = list_citizens.sync_detailed(client=api, limit=1)
        assert first_page.status_code == 200
        assert len(first_page.parsed) == 1
        cursor = _next_cursor(first_page.headers["Link"])
        next_page = list_citizens.sync_detailed(client=api, limit=1, cursor=cursor)
        assert next_page.status_code == 200
        assert len(next_page.parsed) == 1
        assert next_page.parsed[0].id != first_page.parsed[0].id
