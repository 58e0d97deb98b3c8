"""Staff sign-in: authorization code with PKCE S256, the sign-in page, the throttle, refresh
rotation, disabling a user, and scopes that never exceed what the client and user hold."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cgcrm.core.security_events import SecurityEvent
from cgcrm.extensions import db
from cgcrm.identity.models import StaffUser
from cgcrm.identity.passwords import password_problems
from cgcrm.identity.signin import USER_LOCKED, build_signin_throttle
from tests.identity.signin_helpers import PASSWORD, REDIRECT, Console, csrf_of, pkce, register


@pytest.fixture(autouse=True)
def _own_throttle(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test counts sign-in failures afresh (the same emails recur across tests)."""
    config = {**app.config, "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}."}
    monkeypatch.setitem(app.extensions, "cgcrm.signin_throttle", build_signin_throttle(config))


def _authorize_url(console: Console, challenge: str, **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": console.client_id,
        "redirect_uri": REDIRECT,
        "state": "st-123",
        "nonce": "n-456",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def _sign_in(
    http: FlaskClient, console: Console, challenge: str, password: str = PASSWORD, **extra: str
) -> Any:
    url = _authorize_url(console, challenge, **extra)
    page = http.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    return http.post(
        url,
        data={"email": console.email, "password": password, "csrf": csrf_of(page.get_data(True))},
    )


def _code(response: Any) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    return query["code"][0]


def _token(http: FlaskClient, console: Console, **form: str) -> Any:
    return http.post("/oauth/token", data=form, auth=(console.client_id, console.client_secret))


def _signed_in(http: FlaskClient, console: Console, **extra: str) -> dict[str, Any]:
    verifier, challenge = pkce()
    code = _code(_sign_in(http, console, challenge, **extra))
    response = _token(
        http,
        console,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def test_sign_in_gives_the_users_department_roles_and_scopes(app: Flask, client: Any) -> None:
    console = register(app)
    tokens = _signed_in(client, console)
    # front_office ∩ the client's scopes: audit is the client's but not the user's.
    assert set(tokens["scope"].split()) == {"citizens:read", "citizens:write", "payments:write"}
    assert tokens["refresh_token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.get_data(as_text=True)
    body = me.get_json()
    assert body["kind"] == "user" and body["department"] == "RATES"
    assert body["roles"] == ["front_office"] and body["email"] == console.email
    assert set(body["scopes"]) == set(tokens["scope"].split())


def test_me_for_a_client(make_api: Any) -> None:
    body = make_api("citizens:read").get("/api/v1/me").get_json()
    assert body["kind"] == "client" and body["roles"] == [] and body["department"] == "CUSTOMER"


def test_the_page_is_accessible_and_protected(app: Flask, client: Any) -> None:
    console = register(app)
    _, challenge = pkce()
    page = client.get(_authorize_url(console, challenge))
    html = page.get_data(as_text=True)
    assert '<label for="email">' in html and '<label for="password">' in html
    assert "<script" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert (
        "HttpOnly" in page.headers["Set-Cookie"] and "SameSite=Strict" in page.headers["Set-Cookie"]
    )
    # A post without the page's CSRF token is refused, whatever the credentials.
    forged = client.post(
        _authorize_url(console, challenge),
        data={"email": console.email, "password": PASSWORD, "csrf": "0" * 64},
    )
    assert forged.status_code == 400 and "Location" not in forged.headers
    # A wrong password: the error summary is announced and links to the field.
    wrong = _sign_in(client, console, challenge, password="not the right one at all")
    html = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and 'role="alert"' in html and 'href="#email"' in html
    assert "Enter a correct email address and password" in html


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"scope": "citizens:read cross_department"}, "invalid_scope"),
        ({"nonce": "bad\x00nonce"}, "invalid_request"),
    ],
)
def test_bad_requests_go_back_to_the_client(
    app: Flask, client: Any, extra: dict[str, Any], error: str
) -> None:
    console = register(app)
    _, challenge = pkce()
    response = client.get(_authorize_url(console, challenge, **extra))
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["error"] == [error] and query["state"] == ["st-123"]


def test_a_scope_the_user_lacks_is_refused_not_trimmed(app: Flask, client: Any) -> None:
    console = register(app)
    _, challenge = pkce()
    response = _sign_in(client, console, challenge, scope="citizens:read audit")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["error"] == ["invalid_scope"]


def test_an_unregistered_redirect_uri_never_redirects(app: Flask, client: Any) -> None:
    console = register(app)
    _, challenge = pkce()
    for uri in (REDIRECT + "/x", REDIRECT.upper(), "https://evil.example/cb", None):
        response = client.get(_authorize_url(console, challenge, redirect_uri=uri))
        assert response.status_code == 400 and "Location" not in response.headers
    implicit = client.get(_authorize_url(console, challenge, response_type="token"))
    assert implicit.status_code in {302, 400}
    if implicit.status_code == 302:
        assert "error=unsupported_response_type" in implicit.headers["Location"]
    for client_id in ("nobody", "x\x00y", "", console.client_id + "x"):
        response = client.get(_authorize_url(console, challenge, client_id=client_id))
        assert response.status_code == 400 and "Location" not in response.headers
        posted = client.post(_authorize_url(console, challenge, client_id=client_id), data={})
        assert posted.status_code == 400 and "Location" not in posted.headers


def test_a_code_works_once_and_only_with_its_verifier(app: Flask, client: Any) -> None:
    console = register(app)
    verifier, challenge = pkce()
    code = _code(_sign_in(client, console, challenge))
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    other, _ = pkce()
    wrong = _token(client, console, **form, code_verifier=other)
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"
    # Tried with a wrong verifier, the code is spent.
    assert _token(client, console, **form, code_verifier=verifier).status_code == 400

    verifier, challenge = pkce()
    code = _code(_sign_in(client, console, challenge))
    form = {**form, "code": code, "code_verifier": verifier}
    first = _token(client, console, **form)
    assert first.status_code == 200
    again = _token(client, console, **form)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    # The replay revoked what the first use issued (RFC 6749 §4.1.2): the access token at once,
    bearer = {"Authorization": f"Bearer {first.get_json()['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    # and the refresh token.
    refresh = _token(
        client, console, grant_type="refresh_token", refresh_token=first.get_json()["refresh_token"]
    )
    assert refresh.status_code == 400


def test_refresh_rotates_and_reuse_revokes_the_family(app: Flask, client: Any) -> None:
    console = register(app)
    first = _signed_in(client, console)
    second = _token(
        client, console, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert second.status_code == 200
    rotated = second.get_json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # More scope than the sign-in gave is refused.
    wider = _token(
        client,
        console,
        grant_type="refresh_token",
        refresh_token=rotated["refresh_token"],
        scope="citizens:read audit",
    )
    assert wider.status_code == 400 and wider.get_json()["error"] == "invalid_scope"
    # The old one again: the whole family goes, the newest refresh and access tokens too.
    replay = _token(
        client, console, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert replay.status_code == 400
    newest = _token(
        client, console, grant_type="refresh_token", refresh_token=rotated["refresh_token"]
    )
    assert newest.status_code == 400
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"})
    assert me.status_code == 401


def test_revoking_a_refresh_token_ends_the_whole_sign_in(app: Flask, client: Any) -> None:
    # RFC 7009: how a client (the staff console) signs its user out.
    console = register(app)
    first = _signed_in(client, console)
    second = _token(
        client, console, grant_type="refresh_token", refresh_token=first["refresh_token"]
    ).get_json()
    other = register(app, email="other.clerk@council.example")
    refused = client.post(
        "/oauth/revoke",
        data={"token": second["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(other.client_id, other.client_secret),
    )
    assert refused.status_code == 400  # not that client's token: nothing revoked
    revoked = client.post(
        "/oauth/revoke",
        data={"token": second["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(console.client_id, console.client_secret),
    )
    assert revoked.status_code == 200
    again = _token(
        client, console, grant_type="refresh_token", refresh_token=second["refresh_token"]
    )
    assert again.status_code == 400
    for access in (first["access_token"], second["access_token"]):
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
        assert me.status_code == 401


def test_a_disabled_user_cannot_refresh_or_sign_in(app: Flask, client: Any, make_api: Any) -> None:
    console = register(app)
    tokens = _signed_in(client, console)
    with app.app_context():
        user_id = db.session.scalar(db.select(StaffUser.id).where(StaffUser.email == console.email))
        db.session.remove()
    admin = make_api("admin")
    assert admin.post(f"/api/v1/staff-users/{user_id}/disable", json={}).status_code == 200
    # Its access token is refused at once in this process (elsewhere within the revocation
    # window), and its refresh token cannot mint another.
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    refresh = _token(
        client, console, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refresh.status_code == 400
    _, challenge = pkce()
    response = _sign_in(client, console, challenge)
    assert response.status_code == 400
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    not_admin = make_api("citizens:read")
    assert not_admin.post(f"/api/v1/staff-users/{user_id}/disable", json={}).status_code == 403


def test_failures_lock_without_telling_accounts_apart(
    app: Flask, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {
        **app.config,
        "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}.",
        "AUTH_LOCKOUT_FAILURES": 3,
    }
    monkeypatch.setitem(app.extensions, "cgcrm.signin_throttle", build_signin_throttle(config))
    console = register(app)
    _, challenge = pkce()
    answers = {}
    for email in (console.email, "nobody@council.example"):
        statuses = []
        for _ in range(3):
            page = client.get(_authorize_url(console, challenge))
            response = client.post(
                _authorize_url(console, challenge),
                data={
                    "email": email,
                    "password": "wrong wrong wrong",
                    "csrf": csrf_of(page.get_data(True)),
                },
            )
            statuses.append((response.status_code, response.headers.get("Retry-After")))
        answers[email] = statuses
    assert answers[console.email] == answers["nobody@council.example"]
    assert answers[console.email][-1] == (429, "300")
    # While locked, even the right password is refused, with a clear message.
    refused = _sign_in(client, console, challenge)
    assert refused.status_code == 429 and "Try again in 5 minutes" in refused.get_data(True)
    with app.app_context():
        kinds = db.session.scalars(db.select(SecurityEvent.kind)).all()
        db.session.remove()
    assert kinds.count(USER_LOCKED) == 2


def test_the_throttle_slows_down_before_it_locks(app: Flask) -> None:
    config = {**app.config, "QUEUE_NAMESPACE": f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4()}."}
    throttle = build_signin_throttle(config)
    throttle.failures = 6
    waits = [throttle.failed("k", "192.0.2.1")[0] for _ in range(6)]
    assert waits == [0, 0, 2, 4, 8, throttle.seconds]
    assert throttle.wait_for("k", "192.0.2.1") > 0
    assert throttle.wait_for("other", "192.0.2.2") == 0


def test_password_rules() -> None:
    assert password_problems("short one")  # under 12
    assert password_problems("MegaParol12345")  # on the common list (any case)
    assert password_problems("aaaaaaaaaaaaaaaa")
    assert password_problems("clerkclerk2024!", "clerkclerk@council.example")
    assert not password_problems("correct horse battery staple")
    assert not password_problems("zwölf Zeichen lang, ohne Regeln")


def test_hostile_sign_in_input_is_refused_plainly(app: Flask, client: Any) -> None:
    console = register(app)
    _, challenge = pkce()
    url = _authorize_url(console, challenge)
    csrf = csrf_of(client.get(url).get_data(as_text=True))
    for email, password in (
        ("a\x00b@council.example", PASSWORD),
        ("x" * 5000, PASSWORD),
        (console.email, "p" * 100_000),
        (console.email, "nul \x00 in a long password"),
    ):
        response = client.post(url, data={"email": email, "password": password, "csrf": csrf})
        assert response.status_code in {400, 429}, response.status_code
    raw = f"email=%ED%A0%80%FF&password=%ED%A0%80%00xxxxxxxxxxxxx&csrf={csrf}"
    response = client.post(url, data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code in {400, 429}, response.status_code
    for bad in ({"state": "s\x00"}, {"scope": "\x00"}, {"code_challenge": "short"}):
        # state is only echoed back (percent-encoded); none of them is a 500.
        assert client.get(_authorize_url(console, challenge, **bad)).status_code in {200, 302, 400}
    token = client.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": "\x00" * 300},
        auth=(console.client_id, console.client_secret),
    )
    assert token.status_code == 400 and token.get_json()["error"] == "invalid_grant"
