"""A real OpenID provider for the federation tests: a second instance of our own server,
served by gunicorn on loopback with a database and signing key of its own, and a proxy on
loopback that stands where an attacker on the path would, between us and the provider's token
endpoint. The fixtures are module-scoped: each test module that imports them gets its own.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa
from flask import Flask, request
from flask.testing import FlaskClient
from flask_migrate import upgrade
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from cgcrm import create_app
from cgcrm.catalog.codes import catalog_codes
from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.federation.service import FEDERATION_REFUSED
from cgcrm.identity.keys import _generate_pem
from cgcrm.identity.oidc import ACR_MULTI_FACTOR, ACR_PASSWORD
from cgcrm.identity.service import create_client, create_user
from tests.conftest import _drop_database, _seed_test_catalog
from tests.identity.signin_helpers import PASSWORD, REDIRECT, Console, csrf_of, pkce, register
from tests.live_server import PROJECT_ROOT, free_port, gunicorn_serving

PROVIDER = "gov"
ADA = "ada@gov.example"  # front_office in RATES at the provider
SAM = "sam@gov.example"  # supervisor in CUSTOMER at the provider


@dataclass
class IdentityProvider:
    base: str
    key_pem: bytes
    client_id: str  # our registration at the provider (federation)
    client_secret: str
    console_id: str  # another client of the provider (the Authlib client test)
    console_secret: str

    @property
    def kid(self) -> str:
        return str(RSAKey.import_key(self.key_pem).thumbprint())


@pytest.fixture(scope="module")
def identity_provider(
    app: Flask, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IdentityProvider]:
    folder = tmp_path_factory.mktemp("idp")
    url = sa.engine.make_url(app.config["DATABASE_URL"])
    database_url = url.set(database=f"{url.database}_idp").render_as_string(hide_password=False)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}_idp" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{url.database}_idp"'))
    admin.dispose()
    key_pem = _generate_pem()
    (folder / "jwt.pem").write_bytes(key_pem)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider_app = create_app(
        {
            "ENV": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": app.config["REDIS_URL"],
            "JWT_PRIVATE_KEY_FILE": str(folder / "jwt.pem"),
            "JWT_ISSUER": base,
            "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}idp.",
            "AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.jsonl"),
        }
    )
    with provider_app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        _seed_test_catalog()
        create_user(ADA, ["front_office"], "RATES", "Ada Lovelace", PASSWORD)
        create_user(SAM, ["supervisor"], "CUSTOMER", "Sam Supervisor", PASSWORD)
        us = create_client(
            "cgcrm (federation)", "CUSTOMER", "openid profile email", redirect_uris=[REDIRECT]
        )
        # The provider registers our callback exactly; create_client takes loopback http only,
        # and the test application's issuer is http://cgcrm.test.
        us.client.redirect_uris = f"{app.config['JWT_ISSUER']}/oauth/federation/{PROVIDER}/callback"
        console = create_client(
            "Another console",
            "CUSTOMER",
            "openid profile email citizens:read",
            redirect_uris=[REDIRECT],
        )
        db.session.commit()
        identity = IdentityProvider(
            base,
            key_pem,
            us.client.client_id,
            us.client_secret,
            console.client.client_id,
            console.client_secret,
        )
        db.session.remove()
        db.engine.dispose()
    catalog_codes.clear()
    try:
        with gunicorn_serving(
            provider_app, folder / "gunicorn.log", port=port, settings={"JWT_ISSUER": base}
        ):
            yield identity
    finally:
        _drop_database(database_url)


class TamperingProxy:
    """Between us and the provider's token endpoint, as an attacker on the path would be: its
    discovery document is the provider's with the token endpoint pointing here; each token
    request is forwarded and the ID token in the answer changed by ``tamper``."""

    def __init__(self, provider_base: str) -> None:
        self.tamper: Callable[[str], str] = lambda token: token
        proxy = Flask("tampering_proxy")

        @proxy.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            document = requests.get(f"{provider_base}{request.path}", timeout=10).json()
            return document | {"token_endpoint": f"{self.base}/oauth/token"}

        @proxy.post("/oauth/token")
        def token() -> Any:
            answer = requests.post(
                f"{provider_base}/oauth/token",
                data=request.form,
                headers={"Authorization": request.headers.get("Authorization", "")},
                timeout=10,
            )
            body = answer.json()
            if "id_token" in body:
                body["id_token"] = self.tamper(body["id_token"])
            return body, answer.status_code

        self.server = make_server("127.0.0.1", 0, proxy, threaded=True)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture(scope="module")
def proxy(identity_provider: IdentityProvider) -> Iterator[TamperingProxy]:
    running = TamperingProxy(identity_provider.base)
    yield running
    running.server.shutdown()


def federation_settings(idp: IdentityProvider, **overrides: Any) -> str:
    entry = {
        "name": PROVIDER,
        "title": "Government ID",
        "issuer": idp.base,
        "client_id": idp.client_id,
        "client_secret": idp.client_secret,
        "scope": "openid profile email",
        "acr_values": ACR_PASSWORD,
        "acr_order": [ACR_PASSWORD, ACR_MULTI_FACTOR],
        "minimum_acr": ACR_PASSWORD,
        "claims": {"email": "email", "name": "name", "department": "department"},
        "department_map": {"RATES": "WASTE"},
        "role_rules": [
            {"claim": "roles", "value": "front_office", "roles": ["case_worker"]},
            {
                "claim": "roles",
                "value": "supervisor",
                "roles": ["supervisor", "auditor"],
                "department": "CUSTOMER",
            },
        ],
        "unknown_users": "provision",
    }
    return json.dumps([entry | overrides])


@pytest.fixture
def federate(
    app: Flask, identity_provider: IdentityProvider, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., None]:
    def configure(**overrides: Any) -> None:
        monkeypatch.setitem(
            app.config, "FEDERATION_PROVIDERS", federation_settings(identity_provider, **overrides)
        )

    return configure


@pytest.fixture
def console(app: Flask) -> Console:
    return register(app, roles=["front_office"], scope="openid profile email citizens:read")


def authorize_url(console: Console, challenge: str, nonce: str) -> str:
    return "/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": console.client_id,
            "redirect_uri": REDIRECT,
            "state": "console-state",
            "nonce": nonce,
            "scope": "openid profile citizens:read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )


def sign_in_at_provider(provider_url: str, email: str) -> str:
    """A person at the provider's sign-in page, in their browser: where it sends them next."""
    browser = requests.Session()
    page = browser.get(provider_url, timeout=10)
    assert page.status_code == 200, page.text
    answer = browser.post(
        provider_url,
        data={"email": email, "password": PASSWORD, "csrf": csrf_of(page.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text
    return str(answer.headers["Location"])


def federated_sign_in(
    client: FlaskClient,
    console: Console,
    email: str = ADA,
    nonce: str = "console-nonce",
    at_provider: Callable[[str], str] = lambda url: url,
) -> tuple[Any, str]:
    """From the console's authorization request to our answer to the provider's redirect.

    :param at_provider: changes the provider URL we send the browser to (an attacker's edit).
    :returns: our answer to the callback, and the console's PKCE verifier.
    """
    verifier, challenge = pkce()
    page = client.get(authorize_url(console, challenge, nonce))
    assert page.status_code == 200, page.text
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link and "Sign in with Government ID" in page.text, page.text
    start = client.get(html.unescape(link.group(1)))
    assert start.status_code == 302, start.text
    assert (
        "HttpOnly" in start.headers["Set-Cookie"] and "SameSite=Lax" in start.headers["Set-Cookie"]
    )
    callback = urlsplit(sign_in_at_provider(at_provider(start.headers["Location"]), email))
    assert callback.path == f"/oauth/federation/{PROVIDER}/callback"
    return client.get(f"{callback.path}?{callback.query}"), verifier


def assert_refused(app: Flask, response: Any, reason: str) -> None:
    assert response.status_code == 403, response.text
    assert "Location" not in response.headers and f"Error code: {reason}" in response.text
    with app.app_context():
        events = db.session.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.kind == FEDERATION_REFUSED)
        ).all()
        assert [event.detail["reason"] for event in events] == [reason]
        db.session.remove()
