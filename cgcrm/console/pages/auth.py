"""Signing staff in and out: authorization code + PKCE (S256) against our own server.

``/console/signin`` starts a sign-in: a fresh session holds the PKCE verifier and ``state``,
and the browser goes to ``/oauth/authorize`` (the API's sign-in page). ``/console/callback``
checks ``state``, swaps the code and verifier for tokens with the console's client secret,
asks ``GET /api/v1/me`` who signed in, and starts a new session (new id). ``/console/signout``
(POST, CSRF-checked) revokes the sign-in at ``/oauth/revoke`` (the refresh token's whole
family, access tokens included) and deletes the session.
"""

from __future__ import annotations

import contextlib
import hmac
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import current_app, redirect, request, url_for

from cgcrm.console.api import api, client_credentials, store_tokens, token_request
from cgcrm.console.blueprint import bp
from cgcrm.console.csrf import csrf_token
from cgcrm.console.hooks import page
from cgcrm.console.session import User, end, rotate, safe_next, session, write

AUTHORIZE_PATH = "/oauth/authorize"


def _redirect_uri() -> str:
    return url_for("console.callback", _external=True)


def _revoke(current: Any) -> None:
    """Revoke the session's sign-in at the server (best effort: the session ends anyway)."""
    token = current.get("refresh_token") or current.get("access_token")
    if token:
        hint = "refresh_token" if current.get("refresh_token") else "access_token"
        with contextlib.suppress(httpx.HTTPError):
            token_request({"_path": "/oauth/revoke", "token": token, "token_type_hint": hint})


@bp.get("/signin")
def signin() -> Any:
    current = session()
    _revoke(current)  # signing in again ends the sign-in this browser had
    rotate(current)
    current.clear()
    verifier = generate_token(64)
    pending = {
        "state": generate_token(32),
        "verifier": verifier,
        "next": safe_next(request.args.get("next")),
        "redirect_uri": _redirect_uri(),
    }
    current.set("pending", pending)
    client_id, _ = client_credentials()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": pending["redirect_uri"],
            "state": pending["state"],
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    return redirect(f"{current_app.config['CONSOLE_API_URL'].rstrip('/')}{AUTHORIZE_PATH}?{query}")


@bp.get("/callback")
def callback() -> Any:
    current = session()
    pending = current.get("pending") or {}
    state = request.args.get("state", "")
    if not pending or not hmac.compare_digest(str(pending.get("state", "")), state):
        return page(
            "console/signin_failed.html",
            400,
            reason="The sign-in did not start here, or it started in another window.",
        )
    if request.args.get("error"):
        current.drop("pending")
        reason = request.args.get("error_description") or "The sign-in was refused."
        return page("console/signin_failed.html", 400, reason=reason)
    response = token_request(
        {
            "grant_type": "authorization_code",
            "code": request.args.get("code", ""),
            "redirect_uri": pending["redirect_uri"],
            "code_verifier": pending["verifier"],
        }
    )
    if response.status_code != 200:
        current.drop("pending")
        return page(
            "console/signin_failed.html",
            400,
            reason="The sign-in expired or was already used. Sign in again.",
        )
    # A new session id for the signed-in session: an id seen before sign-in is worth nothing.
    rotate(current)
    current.clear()
    store_tokens(current, response.json())
    write(current)
    me = api().get("/api/v1/me")
    current.set("user", User.from_me(me).as_dict())
    csrf_token()
    return redirect(pending.get("next") or url_for("console.home"))


@bp.post("/signout")
def signout() -> Any:
    current = session()
    _revoke(current)
    end(current)
    return redirect(url_for("console.signed_out"))


@bp.get("/signed-out")
def signed_out() -> Any:
    return page("console/signed_out.html")
