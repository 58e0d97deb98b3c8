"""Signing in and out of the console, its session cookie, CSRF and security headers."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tests.console.conftest import ConsoleBrowser, ConsoleClient, sign_in_through_the_flow


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(anonymous: ConsoleBrowser) -> None:
    response = anonymous.get("/console/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/signin?next=")


def test_signing_in_through_the_authorization_server_lands_on_the_search(
    officer: ConsoleBrowser,
) -> None:
    page = officer.get("/console/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<h1" in html and "Find a citizen" in html
    assert "Signed in as" in html
    cookie = officer.get_cookie("cgcrm_console", path="/console/")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"
    # The browser holds no token: only the session's random id.
    assert "eyJ" not in cookie.value and "eyJ" not in html


def test_pages_send_a_strict_content_security_policy(officer: ConsoleBrowser) -> None:
    headers = officer.get("/console/").headers
    policy = headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_a_post_without_the_csrf_token_is_refused(officer: ConsoleBrowser) -> None:
    response = officer.post("/console/signout")
    assert response.status_code == 400
    assert "Your page expired" in response.get_data(as_text=True)
    # Still signed in: the refused post changed nothing.
    assert officer.get("/console/").status_code == 200


def test_signing_out_revokes_the_tokens(
    app: Any, officer: ConsoleBrowser, console_client: ConsoleClient
) -> None:
    from tests.console.session_helpers import session_tokens

    access, refresh = session_tokens(app, officer)
    me = officer.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert me.status_code == 200
    response = officer.post("/console/signout", data={"csrf_token": officer.csrf})
    assert response.status_code == 302
    assert officer.follow(response).status_code == 200
    assert officer.get_cookie("cgcrm_console", path="/console/") is None
    # The API refuses the access token, and the refresh token buys no new one.
    refused = officer.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert refused.status_code == 401
    refreshed = officer.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh},
        auth=(console_client.client_id, console_client.client_secret),
    )
    assert refreshed.status_code == 400
    assert officer.get("/console/").status_code == 302


def test_the_assets_come_from_the_npm_packages(anonymous: ConsoleBrowser) -> None:
    css = anonymous.get("/console/assets/govuk-frontend.min.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    text = css.get_data(as_text=True)
    assert "@font-face" not in text and "url(/assets/" not in text
    assert anonymous.get("/console/assets/htmx.min.js").status_code == 200
    assert anonymous.get("/console/assets/govuk-frontend.min.js").status_code == 200
    assert anonymous.get("/console/assets/images/favicon.svg").status_code == 200
    assert anonymous.get("/console/assets/../package.json").status_code == 404
    assert anonymous.get("/console/assets/axe-core/axe.min.js").status_code == 404
    assert anonymous.get("/console/static/console.js").status_code == 200


def test_the_demo_seed_registers_the_console_and_staff_who_can_sign_in(
    app: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    from cgcrm.cli import DEMO_STAFF, DEMO_STAFF_PASSWORD
    from tests.console.conftest import Staff, browser, sign_in_through_the_flow

    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    monkeypatch.setitem(app.config, "CONSOLE_CLIENT_SECRET", "")  # read from the seed's file
    monkeypatch.setitem(app.config, "PORT", 5077)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "--citizens", "3"]).exit_code == 0
    assert (tmp_path / "console-client.json").stat().st_mode & 0o077 == 0
    info = runner.invoke(args=["demo-info", "--base-url", "http://127.0.0.1:5077"])
    assert "Staff console: http://127.0.0.1:5077/console/" in info.output
    assert f"password:  {DEMO_STAFF_PASSWORD}" in info.output

    counter = browser(app)
    counter.origin = "http://127.0.0.1:5077"
    email, role, department, _name = DEMO_STAFF[0]
    sign_in_through_the_flow(counter, Staff(email, DEMO_STAFF_PASSWORD, [role], department))
    assert "Casey Counter" in counter.get("/console/").get_data(as_text=True)
    # The console's client acts only for signed-in users: no client-credentials token.
    from cgcrm.console.api import _stored_secret

    with app.test_request_context():
        secret = _stored_secret()
    refused = counter.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(app.config["CONSOLE_CLIENT_ID"], secret),
    )
    assert refused.status_code in {400, 401}


def test_an_expired_access_token_is_refreshed_once_and_rotates(
    app: Any, officer: ConsoleBrowser
) -> None:
    from tests.console.session_helpers import put_session, session_data

    key, data = session_data(app, officer)
    data["expires_at"] = 0  # as if the access token had run out
    put_session(app, key, data)
    assert officer.get("/console/search?q=Smith").status_code == 200
    _, after = session_data(app, officer)
    assert after["access_token"] != data["access_token"]
    assert after["refresh_token"] != data["refresh_token"]
    assert after["expires_at"] > 0


def test_a_refused_refresh_sends_the_user_to_sign_in(app: Any, officer: ConsoleBrowser) -> None:
    from tests.console.session_helpers import put_session, session_data

    key, data = session_data(app, officer)
    data["expires_at"] = 0
    data["refresh_token"] = "not-a-token-we-issued"
    put_session(app, key, data)
    response = officer.get("/console/search?q=Smith")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/signin?next=")
    assert officer.get("/console/").status_code == 302


def test_signing_in_again_ends_the_previous_sign_in(app: Any, officer: ConsoleBrowser) -> None:
    from tests.console.conftest import sign_in_through_the_flow
    from tests.console.session_helpers import session_tokens

    access, _refresh = session_tokens(app, officer)
    assert officer.staff is not None
    sign_in_through_the_flow(officer, officer.staff)
    refused = officer.get("/api/v1/me", headers={"Authorization": f"Bearer {access}"})
    assert refused.status_code == 401
    assert officer.get("/console/").status_code == 200


def test_in_process_the_api_counts_the_browsers_address_not_the_consoles(
    app: Flask, console_client: Any, make_staff: Any, redis_client: Any
) -> None:
    # Every staff user's token requests go through the console; were they all 127.0.0.1, one
    # address's OAuth limit would be shared by the whole office.
    pattern = f"{app.config['QUEUE_NAMESPACE']}rl:oauth:address:*"
    for earlier in redis_client.scan_iter(match=pattern):
        redis_client.delete(earlier)
    client = ConsoleBrowser(app, app.response_class, use_cookies=True)
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    sign_in_through_the_flow(client, make_staff(["front_office"]))
    counted = {key.decode().split(":")[-2] for key in redis_client.scan_iter(match=pattern)}
    assert counted == {"203.0.113.9"}
