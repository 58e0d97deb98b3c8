"""Staff sign-in through an external OpenID provider, against a real one: a second instance of
our own server, served by gunicorn on loopback with a database and signing key of its own.

This application (the test app) federates to it: discovery, the authorization request with
state, nonce, PKCE and acr_values, the code exchange and the ID token's checks run over real
HTTP. A proxy on loopback stands where an attacker on the path would, between us and the
provider's token endpoint, to hand us ID tokens that are tampered with, signed by another key,
meant for another client, expired, or of another issuer. The provider instance is also checked
as an OpenID provider with Authlib's own client, its ID token validated with joserfc.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from flask import Flask, request
from flask.testing import FlaskClient
from flask_migrate import upgrade
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from joserfc.jwt import JWTClaimsRegistry
from werkzeug.serving import make_server

from cgcrm import create_app
from cgcrm.catalog.codes import catalog_codes
from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.federation.models import FederatedIdentity
from cgcrm.identity.federation.service import FEDERATION_REFUSED
from cgcrm.identity.keys import _generate_pem
from cgcrm.identity.models import StaffUser
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


def _federation(idp: IdentityProvider, **overrides: Any) -> str:
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
            app.config, "FEDERATION_PROVIDERS", _federation(identity_provider, **overrides)
        )

    return configure


@pytest.fixture
def console(app: Flask) -> Console:
    return register(app, roles=["front_office"], scope="openid profile email citizens:read")


def _authorize_url(console: Console, challenge: str, nonce: str) -> str:
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


def _sign_in_at_provider(provider_url: str, email: str) -> str:
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


def _federated_sign_in(
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
    page = client.get(_authorize_url(console, challenge, nonce))
    assert page.status_code == 200, page.text
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link and "Sign in with Government ID" in page.text, page.text
    start = client.get(html.unescape(link.group(1)))
    assert start.status_code == 302, start.text
    assert (
        "HttpOnly" in start.headers["Set-Cookie"] and "SameSite=Lax" in start.headers["Set-Cookie"]
    )
    callback = urlsplit(_sign_in_at_provider(at_provider(start.headers["Location"]), email))
    assert callback.path == f"/oauth/federation/{PROVIDER}/callback"
    return client.get(f"{callback.path}?{callback.query}"), verifier


def _refused(app: Flask, response: Any, reason: str) -> None:
    assert response.status_code == 403, response.text
    assert "Location" not in response.headers and f"Error code: {reason}" in response.text
    with app.app_context():
        events = db.session.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.kind == FEDERATION_REFUSED)
        ).all()
        assert [event.detail["reason"] for event in events] == [reason]
        db.session.remove()


def test_the_provider_publishes_discovery_and_keys(identity_provider: IdentityProvider) -> None:
    discovery = requests.get(
        f"{identity_provider.base}/.well-known/openid-configuration", timeout=10
    ).json()
    assert discovery["issuer"] == identity_provider.base
    assert discovery["authorization_endpoint"] == f"{identity_provider.base}/oauth/authorize"
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    keys = requests.get(discovery["jwks_uri"], timeout=10).json()["keys"]
    assert [key["kid"] for key in keys] == [identity_provider.kid]


def test_a_federated_sign_in_gives_the_mapped_user_a_token(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()
    answer, verifier = _federated_sign_in(client, console)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == REDIRECT
    query = parse_qs(back.query)
    assert query["state"] == ["console-state"]
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(console.client_id, console.client_secret),
    )
    assert token.status_code == 200, token.text
    tokens = token.get_json()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    # The provider's front_office in RATES is our case worker in WASTE (the configured rules).
    assert me.get_json()["email"] == ADA and me.get_json()["roles"] == ["case_worker"]
    assert me.get_json()["department"] == "WASTE"
    # Our ID token for the console: the provider's acr and methods, passed on.
    claims = jwt.decode(
        tokens["id_token"],
        KeySet.import_key_set(client.get("/.well-known/jwks.json").get_json()),
        algorithms=["RS256"],
    ).claims
    assert claims["nonce"] == "console-nonce" and claims["aud"] == console.client_id
    assert claims["acr"] == ACR_PASSWORD and claims["amr"] == ["pwd"]
    assert claims["name"] == "Ada Lovelace" and claims["sub"] == me.get_json()["id"]
    with app.app_context():
        link = db.session.scalar(sa.select(FederatedIdentity))
        assert link is not None and link.provider == PROVIDER and link.last_acr == ACR_PASSWORD
        user = db.session.get(StaffUser, link.user_id)
        assert user is not None and user.password_hash is None  # signs in only through gov
        signed_in = db.session.scalars(
            sa.select(SecurityEvent).where(SecurityEvent.kind == "user.signed_in")
        ).one()
        assert signed_in.detail["provider"] == PROVIDER
        assert signed_in.detail["acr"] == ACR_PASSWORD
        db.session.remove()


def test_a_second_sign_in_follows_the_provider_and_the_rules(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()
    first, _ = _federated_sign_in(client, console, email=SAM, nonce="first")
    assert first.status_code == 302, first.text
    # A rule's department wins over the department claim; the roles are the rules' union.
    with app.app_context():
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == SAM))
        assert user is not None and user.department is not None
        assert (user.department.code, user.role_names) == ("CUSTOMER", ["auditor", "supervisor"])
        db.session.remove()
    # The rules change (a group is no longer granted the auditor role): the next sign-in says so,
    # through the same link.
    federate(
        role_rules=[{"claim": "roles", "value": "supervisor", "roles": ["supervisor"]}],
        department_map={"CUSTOMER": "RATES"},
    )
    second, _ = _federated_sign_in(client, console, email=SAM, nonce="second")
    assert second.status_code == 302, second.text
    with app.app_context():
        user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == SAM))
        assert user is not None and user.department is not None
        assert (user.department.code, user.role_names) == ("RATES", ["supervisor"])
        assert db.session.scalar(sa.select(sa.func.count(FederatedIdentity.id))) == 1
        db.session.remove()


def test_an_unknown_person_is_refused_unless_the_provider_provisions(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate(unknown_users="refuse")
    answer, _ = _federated_sign_in(client, console)
    _refused(app, answer, "user")
    with app.app_context():
        assert db.session.scalar(sa.select(StaffUser).where(StaffUser.email == ADA)) is None
        db.session.remove()


def test_a_local_account_with_the_same_email_is_not_taken_over(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    register(app, email=ADA)
    federate()
    answer, _ = _federated_sign_in(client, console)
    _refused(app, answer, "user")


def test_an_acr_below_the_minimum_is_refused(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate(acr_values=ACR_MULTI_FACTOR, minimum_acr=ACR_MULTI_FACTOR)
    answer, _ = _federated_sign_in(client, console)
    _refused(app, answer, "acr")
    assert "stronger sign-in" in answer.text


def test_an_id_token_for_another_nonce_is_refused(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()

    def other_nonce(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"nonce": "attackers"}
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"

    answer, _ = _federated_sign_in(client, console, at_provider=other_nonce)
    _refused(app, answer, "id_token")


def test_an_answer_is_accepted_once_and_only_in_the_browser_that_asked(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()
    _, challenge = pkce()
    page = client.get(_authorize_url(console, challenge, "n"))
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link
    start = client.get(html.unescape(link.group(1)))
    callback = urlsplit(_sign_in_at_provider(start.headers["Location"], ADA))
    another_browser = app.test_client()
    _refused(app, another_browser.get(f"{callback.path}?{callback.query}"), "state")


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims_of(token: str) -> dict[str, Any]:
    payload = _segments(token)[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _resigned(key_pem: bytes, kid: str, **changes: Any) -> Callable[[str], str]:
    def forge(token: str) -> str:
        claims = _claims_of(token) | changes
        return jwt.encode(
            {"alg": "RS256", "kid": kid, "typ": "JWT"}, claims, RSAKey.import_key(key_pem)
        )

    return forge


def _payload_changed(token: str) -> str:
    header, _, signature = _segments(token)
    claims = _claims_of(token) | {"email": "someone.else@gov.example"}
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _alg_none(token: str) -> str:
    header = _b64(json.dumps({"alg": "none"}).encode())
    return f"{header}.{_segments(token)[1]}."


def _hmac_with_public_key(idp: IdentityProvider) -> Callable[[str], str]:
    public_pem = RSAKey.import_key(idp.key_pem).as_pem(private=False)

    def forge(token: str) -> str:
        header = _b64(json.dumps({"alg": "HS256", "kid": idp.kid}).encode())
        signing_input = f"{header}.{_segments(token)[1]}".encode()
        signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
        return f"{signing_input.decode()}.{_b64(signature)}"

    return forge


FORGERIES: dict[str, Callable[[IdentityProvider], Callable[[str], str]]] = {
    "payload changed, signature kept": lambda idp: _payload_changed,
    "signed by another key under the provider's kid": lambda idp: _resigned(
        _generate_pem(), idp.kid
    ),
    "alg none": lambda idp: _alg_none,
    "HMAC keyed with the provider's public key": _hmac_with_public_key,
    "for another client (aud)": lambda idp: _resigned(idp.key_pem, idp.kid, aud="someone-else"),
    "of another issuer": lambda idp: _resigned(idp.key_pem, idp.kid, iss="http://127.0.0.1:9"),
    "expired": lambda idp: _resigned(
        idp.key_pem, idp.kid, exp=int(time.time()) - 3600, iat=int(time.time()) - 4000
    ),
    "for another sign-in (nonce)": lambda idp: _resigned(idp.key_pem, idp.kid, nonce="replayed"),
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
def test_an_id_token_we_cannot_trust_is_refused(
    app: Flask,
    client: FlaskClient,
    console: Console,
    federate: Callable[..., None],
    identity_provider: IdentityProvider,
    proxy: TamperingProxy,
    monkeypatch: pytest.MonkeyPatch,
    forgery: str,
) -> None:
    federate(discovery_url=f"{proxy.base}/.well-known/openid-configuration")
    monkeypatch.setattr(proxy, "tamper", FORGERIES[forgery](identity_provider))
    answer, _ = _federated_sign_in(client, console)
    _refused(app, answer, "id_token")
    with app.app_context():
        assert db.session.scalar(sa.select(StaffUser).where(StaffUser.email == ADA)) is None
        db.session.remove()


def test_the_proxy_passes_an_untouched_token_through(
    client: FlaskClient, console: Console, federate: Callable[..., None], proxy: TamperingProxy
) -> None:
    """The refusals above are the forgeries', not the proxy's."""
    federate(discovery_url=f"{proxy.base}/.well-known/openid-configuration")
    answer, _ = _federated_sign_in(client, console)
    assert answer.status_code == 302 and "code=" in answer.headers["Location"]


def test_our_provider_with_authlibs_client(identity_provider: IdentityProvider) -> None:
    """A relying party built on Authlib (not our code) signs a staff user in through us, and
    checks the ID token with joserfc against the keys discovery names."""
    idp = identity_provider
    discovery = requests.get(f"{idp.base}/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(
        idp.console_id,
        idp.console_secret,
        scope="openid profile email citizens:read",
        redirect_uri=REDIRECT,
        code_challenge_method="S256",
    )
    verifier, nonce = generate_token(64), generate_token(24)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
    )
    callback = _sign_in_at_provider(url, SAM)
    token = session.fetch_token(
        discovery["token_endpoint"],
        authorization_response=callback,
        code_verifier=verifier,
        state=state,
        timeout=10,
    )
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    decoded = jwt.decode(
        token["id_token"], keys, algorithms=discovery["id_token_signing_alg_values_supported"]
    )
    JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": idp.console_id},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
        auth_time={"essential": True},
    ).validate(decoded.claims)
    assert decoded.claims["email"] == SAM and decoded.claims["roles"] == ["supervisor"]
    assert decoded.claims["acr"] == ACR_PASSWORD
    userinfo = session.get(discovery["userinfo_endpoint"], timeout=10)
    assert userinfo.status_code == 200, userinfo.text
    assert userinfo.json()["sub"] == decoded.claims["sub"]
    assert userinfo.json()["department"] == "CUSTOMER"
    # The same nonce again is refused (back to the client, as an error).
    again, _ = session.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=generate_token(64), nonce=nonce
    )
    replay = requests.get(again, allow_redirects=False, timeout=10)
    assert replay.status_code == 302
    assert parse_qs(urlsplit(replay.headers["Location"]).query)["error"] == ["invalid_request"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        # The discovery document names another issuer than the one configured.
        (
            lambda idp: {
                "discovery_url": f"{idp.base}/.well-known/openid-configuration",
                "issuer": "http://127.0.0.1:9",
            },
            "provider_metadata",
        ),
        # Nobody answers at the configured address.
        (lambda idp: {"issuer": f"http://127.0.0.1:{free_port()}"}, "provider_unavailable"),
    ],
)
def test_a_provider_we_cannot_use_is_said_so_before_leaving(
    app: Flask,
    client: FlaskClient,
    console: Console,
    federate: Callable[..., None],
    identity_provider: IdentityProvider,
    overrides: Callable[[IdentityProvider], dict[str, Any]],
    reason: str,
) -> None:
    federate(**overrides(identity_provider))
    _, challenge = pkce()
    page = client.get(_authorize_url(console, challenge, "n"))
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link
    start = client.get(html.unescape(link.group(1)))
    assert start.status_code == 502 and f"Error code: {reason}" in start.text
    assert "Location" not in start.headers
