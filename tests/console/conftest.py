"""Staff console fixtures: the console's OAuth client, staff users, and Flask test clients
signed in through the real flow (console -> /oauth/authorize's sign-in page -> callback).

Reuse them in ``tests/console/test_<area>.py``::

    def test_something(officer: ConsoleBrowser) -> None:
        page = officer.get("/console/")
        assert page.status_code == 200

    def test_admin_only(sign_in: Any) -> None:
        admin = sign_in(roles=["admin"])
        ...
        admin.post("/console/...", data={"csrf_token": admin.csrf, ...})
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from cgcrm.extensions import db
from cgcrm.identity.service import create_client, create_user

PASSWORD = "console test passphrase"
CALLBACK = "http://localhost/console/callback"
# What the console may ask for: every scope a staff role holds (the user's roles narrow it).
CONSOLE_SCOPE = (
    "citizens:read citizens:write interactions:write cases:write payments:write "
    "consents:record metrics:read audit admin cross_department identifiers:read"
)


@dataclass
class ConsoleClient:
    client_id: str
    client_secret: str


@dataclass
class Staff:
    email: str
    password: str
    roles: list[str]
    department: str


class ConsoleBrowser(FlaskClient):
    """A Flask test client that keeps cookies like a browser, with helpers for the console."""

    staff: Staff | None = None
    # Where the browser thinks the site is (the console's callback URL is built from it).
    origin = "http://localhost"

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", self.origin)
        return super().open(*args, **kwargs)

    @property
    def csrf(self) -> str:
        """The session's CSRF token, read from a page's meta tag."""
        return csrf_of(self.get("/console/").get_data(as_text=True))

    def follow(self, response: Any, limit: int = 10) -> Any:
        """Follow redirects (across /oauth and /console) as a browser would."""
        for _ in range(limit):
            if response.status_code not in {301, 302, 303, 307, 308}:
                return response
            location = urlsplit(response.headers["Location"])
            target = location.path + (f"?{location.query}" if location.query else "")
            response = self.get(target)
        raise AssertionError("too many redirects")


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return unescape(match.group(1))


@pytest.fixture
def console_client(app: Flask, monkeypatch: pytest.MonkeyPatch) -> ConsoleClient:
    """The console's confidential OAuth client, registered as ``flask seed`` does; a fresh id
    per test (the catalog and clients are recreated for every test)."""
    client_id = f"console-{secrets.token_hex(4)}"
    with app.app_context():
        issued = create_client(
            "cgcrm staff console",
            "CUSTOMER",
            CONSOLE_SCOPE,
            client_id=client_id,
            redirect_uris=[CALLBACK],
        )
        issued.client.grant_types = "authorization_code refresh_token"
        db.session.commit()
        db.session.remove()
    monkeypatch.setitem(app.config, "CONSOLE_CLIENT_ID", client_id)
    monkeypatch.setitem(app.config, "CONSOLE_CLIENT_SECRET", issued.client_secret)
    monkeypatch.setitem(app.config, "CONSOLE_API_URL", "")
    return ConsoleClient(client_id, issued.client_secret)


@pytest.fixture
def make_staff(app: Flask) -> Callable[..., Staff]:
    """Register a staff user: ``make_staff(["supervisor"], "RATES")``."""

    def make(roles: list[str] | None = None, department: str = "CUSTOMER") -> Staff:
        roles = roles or ["front_office"]
        email = f"{'-'.join(roles)}.{secrets.token_hex(3)}@council.example"
        with app.app_context():
            create_user(email, roles, department, f"Test {' '.join(roles)}", PASSWORD)
            db.session.remove()
        return Staff(email, PASSWORD, roles, department)

    return make


def browser(app: Flask) -> ConsoleBrowser:
    return ConsoleBrowser(app, app.response_class, use_cookies=True)


def sign_in_through_the_flow(client: ConsoleBrowser, staff: Staff) -> Any:
    """Sign ``staff`` in as a person does: the console sends them to the API's sign-in page,
    they post their credentials there, and the console's callback finishes. Returns the page
    the console lands on."""
    response = client.get("/console/signin")
    assert response.status_code == 302, response.get_data(as_text=True)
    authorize = urlsplit(response.headers["Location"])
    assert authorize.path == "/oauth/authorize"
    form_page = client.get(f"{authorize.path}?{authorize.query}")
    assert form_page.status_code == 200, form_page.get_data(as_text=True)
    html = form_page.get_data(as_text=True)
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', html).group(1))  # type: ignore[union-attr]
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    posted = client.post(
        action, data={"email": staff.email, "password": staff.password, "csrf": csrf}
    )
    assert posted.status_code == 302, posted.get_data(as_text=True)
    assert posted.headers["Location"].startswith(f"{client.origin}/console/callback?")
    landed = client.follow(posted)
    assert landed.status_code == 200, landed.get_data(as_text=True)
    client.staff = staff
    return landed


@pytest.fixture
def sign_in(
    app: Flask, console_client: ConsoleClient, make_staff: Any
) -> Callable[..., ConsoleBrowser]:
    """A browser signed in as a new staff user with these roles and department."""

    def make(roles: list[str] | None = None, department: str = "CUSTOMER") -> ConsoleBrowser:
        client = browser(app)
        sign_in_through_the_flow(client, make_staff(roles, department))
        return client

    return make


@pytest.fixture
def officer(sign_in: Any) -> ConsoleBrowser:
    """A front-office officer of customer service, signed in."""
    return sign_in(["front_office"])


@pytest.fixture
def anonymous(app: Flask, console_client: ConsoleClient) -> ConsoleBrowser:
    """A browser that has not signed in."""
    return browser(app)
