"""The staff sign-in page of the authorization endpoint (``/oauth/authorize``).

``GET`` validates the client's authorization request with Authlib (client, exact redirect URI,
response type, scopes, PKCE S256) and shows the GOV.UK-style sign-in form; the form posts to the
same URL, request parameters kept in the query string. A good sign-in answers 302 to the
client's redirect URI with ``code`` and ``state``; a bad one shows the form again with an error
summary (focusable, linked to the fields, announced as an alert). Works without JavaScript; the
page loads no script at all.

CSRF: the form carries an HMAC (keyed with SECRET_KEY) of a random value also set as an
HttpOnly, SameSite=Strict cookie scoped to this path; a post whose two do not agree is refused.
An error in the request itself (unknown client, unregistered redirect URI) is a page of its own
and never redirects; any other error is redirected to the client as RFC 6749 §4.1.2.1 says.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint, Response, current_app, g, make_response, render_template, request

from cgcrm.identity.federation.directory import directory
from cgcrm.identity.signin import check_credentials

bp = Blueprint("signin", __name__, template_folder="templates")

CSRF_COOKIE = "cgcrm_signin"
MESSAGES = {
    "email": "Enter your email address",
    "password": "Enter your password",
    "wrong": "Enter a correct email address and password",
    "csrf": "Your sign-in page expired. Enter your email address and password again",
}


def _server() -> Any:
    return current_app.extensions["cgcrm.authorization_server"]


def _csrf_mac(value: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"signin-csrf:" + value.encode(), hashlib.sha256).hexdigest()


def _page(template: str, status: int, **context: Any) -> Response:
    response = make_response(render_template(template, **context), status)
    response.mimetype = "text/html"
    return response


def _form(grant: Any, status: int, email: str = "", errors: Sequence[tuple[str, str]] = ()) -> Any:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if len(cookie) != 43:
        cookie = secrets.token_urlsafe(32)
    response = _page(
        "identity/signin.html",
        status,
        client_name=grant.client.name,
        action=request.full_path,
        email=email,
        errors=list(errors),
        csrf=_csrf_mac(cookie),
        federation=_federation_links(),
    )
    response.set_cookie(
        CSRF_COOKIE,
        cookie,
        max_age=1800,
        path="/oauth/authorize",
        secure=current_app.config["ENV"] == "production",
        httponly=True,
        samesite="Strict",
    )
    return response


def _federation_links() -> list[tuple[str, str]]:
    """ "Sign in with <provider>" links, each carrying the client's request along."""
    query = request.query_string.decode("ascii", "replace")
    return [
        (provider.title, f"/oauth/federation/{provider.name}/start?{query}")
        for provider in directory().providers()
    ]


def _request_error(error: OAuth2Error) -> Any:
    """Redirect the error to a client whose redirect URI checked out; else say it here."""
    if getattr(error, "redirect_uri", None):
        return _server().handle_error_response(None, error)
    return _page(
        "identity/problem.html",
        400,
        heading="This sign-in link is not valid",
        explanation="Go back to the service you came from and start again.",
        error=error.error,
    )


@bp.get("/oauth/authorize")
def authorize_form() -> Any:
    try:
        grant = _server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _request_error(error)
    return _form(grant, 200)


@bp.post("/oauth/authorize")
def authorize_submit() -> Any:
    try:
        grant = _server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _request_error(error)
    email = request.form.get("email", "")[:254].strip()
    password = request.form.get("password", "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get("csrf", "")
    if not cookie or not hmac.compare_digest(_csrf_mac(cookie), sent):
        return _form(grant, 400, email, [("email", MESSAGES["csrf"])])
    missing = [(f, MESSAGES[f]) for f, v in (("email", email), ("password", password)) if not v]
    if missing:
        return _form(grant, 400, email, missing)
    outcome = check_credentials(email, password, grant.client.client_id)
    if outcome.user is None:
        if outcome.wait:
            minutes = max(1, -(-outcome.wait // 60))
            message = (
                "You have tried to sign in too many times. "
                f"Wait {outcome.wait} seconds, then try again"
                if outcome.wait < 60
                else "You have tried to sign in too many times. "
                f"Try again in {minutes} minute{'s' if minutes > 1 else ''}"
            )
            response = _form(grant, 429, email, [("email", message)])
            response.headers["Retry-After"] = str(outcome.wait)
            return response
        return _form(grant, 400, email, [("email", MESSAGES["wrong"])])
    # CSP form-action must allow the redirect that follows the post (core.http reads this).
    redirect_uri = grant.request.payload.redirect_uri or ""
    parts = urlsplit(redirect_uri)
    g.form_action_sources = f"{parts.scheme}://{parts.netloc}"
    return _server().create_authorization_response(
        request=grant.request, grant_user=outcome.user, grant=grant
    )
