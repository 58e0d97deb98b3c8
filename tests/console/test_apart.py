"""The console deployed apart from the API: the same pages, the API reached over the network
(``CONSOLE_API_URL``), the browser sent to the API's own sign-in page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from flask import Flask

from tests.console.conftest import ConsoleClient, browser
from tests.live_server import gunicorn_serving


def test_the_console_works_against_an_api_over_the_network(
    app: Flask,
    console_client: ConsoleClient,
    make_staff: Any,
    citizen_id: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = make_staff(["front_office"])
    with gunicorn_serving(app, tmp_path / "api.log") as api_base:
        monkeypatch.setitem(app.config, "CONSOLE_API_URL", api_base)
        # The console's HTTP client is made once per application: make it again for this URL,
        # and again afterwards for the tests that follow.
        app.extensions.pop("cgcrm.console.http", None)
        app.extensions.pop("cgcrm.console.catalog", None)
        try:
            console = browser(app)
            start = console.get("/console/signin").headers["Location"]
            assert start.startswith(f"{api_base}/oauth/authorize?")
            with httpx.Client() as web:  # the browser, at the API's sign-in page
                form = web.get(start).text
                action = unescape(re.search(r'<form method="post" action="([^"]+)"', form)[1])  # type: ignore[index]
                csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form)[1]  # type: ignore[index]
                posted = web.post(
                    api_base + action,
                    data={"email": staff.email, "password": staff.password, "csrf": csrf},
                )
            assert posted.status_code == 302
            back = urlsplit(posted.headers["Location"])
            assert back.path == "/console/callback"
            landed = console.follow(console.get(f"{back.path}?{back.query}"))
            assert landed.status_code == 200 and "Signed in as" in landed.get_data(as_text=True)

            found = console.get("/console/search?q=Jon+Smyth").get_data(as_text=True)
            assert f"/console/citizens/{citizen_id}" in found
            view = console.get(f"/console/citizens/{citizen_id}")
            assert view.status_code == 200 and "12 George Street" in view.get_data(as_text=True)
            assert (
                console.post("/console/signout", data={"csrf_token": console.csrf}).status_code
                == 302
            )
            assert console.get("/console/").status_code == 302
        finally:
            client = app.extensions.pop("cgcrm.console.http", None)
            if client is not None:
                client.close()
            app.extensions.pop("cgcrm.console.catalog", None)
