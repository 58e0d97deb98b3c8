"""A staff user and a console client registered for sign-in, shared by the sign-in tests."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass

from flask import Flask

from cgcrm.extensions import db
from cgcrm.identity.service import create_client, create_user

PASSWORD = "a long passphrase for the counter"
REDIRECT = "http://127.0.0.1:8765/callback"


@dataclass
class Console:
    client_id: str
    client_secret: str
    email: str


def register(
    app: Flask,
    roles: list[str] | None = None,
    scope: str = "citizens:read citizens:write payments:write audit",
    email: str = "clerk@council.example",
) -> Console:
    with app.app_context():
        issued = create_client(
            "Staff console", "CUSTOMER", scope, redirect_uris=[REDIRECT, REDIRECT + "2"]
        )
        create_user(email, roles or ["front_office"], "RATES", "Clerk", PASSWORD)
        db.session.remove()
    return Console(issued.client.client_id, issued.client_secret, email)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)
