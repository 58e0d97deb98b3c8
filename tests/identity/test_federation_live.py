"""Staff sign-in through an external OpenID provider, against a real one
(``federation_stack``): discovery, the authorization request with state, nonce, PKCE and
acr_values, the code exchange and the ID token's checks over real HTTP; the mapping of the
provider's claims to a staff user and the refusals a person can meet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import requests
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from joserfc import jwt
from joserfc.jwk import KeySet

from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.federation.models import FederatedIdentity
from cgcrm.identity.models import StaffUser
from cgcrm.identity.oidc import ACR_MULTI_FACTOR, ACR_PASSWORD
from tests.identity.federation_stack import (
    ADA,
    PROVIDER,
    SAM,
    IdentityProvider,
    assert_refused,
    authorize_url,
    federated_sign_in,
    sign_in_at_provider,
)
from tests.identity.signin_helpers import REDIRECT, Console, pkce, register


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
    answer, verifier = federated_sign_in(client, console)
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
    first, _ = federated_sign_in(client, console, email=SAM, nonce="first")
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
    second, _ = federated_sign_in(client, console, email=SAM, nonce="second")
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
    answer, _ = federated_sign_in(client, console)
    assert_refused(app, answer, "user")
    with app.app_context():
        assert db.session.scalar(sa.select(StaffUser).where(StaffUser.email == ADA)) is None
        db.session.remove()


def test_a_local_account_with_the_same_email_is_not_taken_over(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    register(app, email=ADA)
    federate()
    answer, _ = federated_sign_in(client, console)
    assert_refused(app, answer, "user")


def test_an_acr_below_the_minimum_is_refused(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate(acr_values=ACR_MULTI_FACTOR, minimum_acr=ACR_MULTI_FACTOR)
    answer, _ = federated_sign_in(client, console)
    assert_refused(app, answer, "acr")
    assert "stronger sign-in" in answer.text


def test_an_id_token_for_another_nonce_is_refused(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()

    def other_nonce(url: str) -> str:
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()} | {"nonce": "attackers"}
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"

    answer, _ = federated_sign_in(client, console, at_provider=other_nonce)
    assert_refused(app, answer, "id_token")


def test_an_answer_is_accepted_once_and_only_in_the_browser_that_asked(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()
    _, challenge = pkce()
    page = client.get(authorize_url(console, challenge, "n"))
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link
    start = client.get(html.unescape(link.group(1)))
    callback = urlsplit(sign_in_at_provider(start.headers["Location"], ADA))
    another_browser = app.test_client()
    assert_refused(app, another_browser.get(f"{callback.path}?{callback.query}"), "state")


def test_a_person_who_cancels_at_the_provider_can_sign_in_another_way(
    app: Flask, client: FlaskClient, console: Console, federate: Callable[..., None]
) -> None:
    federate()
    _, challenge = pkce()
    asked = authorize_url(console, challenge, "n")
    page = client.get(asked)
    link = re.search(r'href="(/oauth/federation/gov/start\?[^"]+)"', page.text)
    assert link
    start = client.get(html.unescape(link.group(1)))
    state = parse_qs(urlsplit(start.headers["Location"]).query)["state"][0]
    cancelled = client.get(
        f"/oauth/federation/{PROVIDER}/callback?"
        + urlencode({"state": state, "error": "access_denied"})
    )
    assert_refused(app, cancelled, "provider_error")
    assert "You cancelled signing in there." in cancelled.text
    again = re.search(
        r'<a href="(/oauth/authorize\?[^"]+)">Sign in another way</a>', cancelled.text
    )
    assert again
    back = urlsplit(html.unescape(again.group(1)))
    assert parse_qs(back.query) == parse_qs(urlsplit(asked).query)
    assert client.get(f"{back.path}?{back.query}").status_code == 200
