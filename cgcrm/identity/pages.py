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

A user with a TOTP second factor gets a second page after a right password, asking for the
6-digit code (or a recovery code); it posts to the same URL with a ``pending`` field: a signed,
five-minute token naming the user, tied to this browser's CSRF cookie and to this authorization
request. No server-side state is kept between the two pages.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint, Response, current_app, g, make_response, render_template, request
from itsdangerous import BadData, URLSafeTimedSerializer

from cgcrm.identity.federation.directory import directory
from cgcrm.identity.signin import check_credentials, check_second_factor

bp = Blueprint("signin", __name__, template_folder="templates")

CSRF_COOKIE = "cgcrm_signin"
MESSAGES = {
    "email": "Enter your email address",
    "password": "Enter your password",
    "wrong": "Enter a correct email address and password",
    "csrf": "Your sign-in page expired. Enter your email address and password again",
    "expired": "Your sign-in took too long. Enter your email address and password again",
    "code": "Enter the security code",
    "wrong_code": "Enter a correct security code",
}
# How long after the password the security code may be entered.
PENDING_SECONDS = 300


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
    return _with_csrf("identity/signin.html", grant, status, errors, email=email)


def _code_form(
    grant: Any, status: int, pending: str, errors: Sequence[tuple[str, str]] = ()
) -> Any:
    return _with_csrf("identity/second_factor.html", grant, status, errors, pending=pending)


def _with_csrf(
    template: str, grant: Any, status: int, errors: Sequence[tuple[str, str]], **context: Any
) -> Any:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if len(cookie) != 43:
        cookie = secrets.token_urlsafe(32)
    response = _page(
        template,
        status,
        client_name=grant.client.name,
        action=request.full_path,
        errors=list(errors),
        csrf=_csrf_mac(cookie),
        federation=_federation_links(),
        **context,
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


def _pending_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="signin-second-factor")


def _binding(cookie: str) -> tuple[str, str]:
    """What a half-done sign-in is tied to: this browser (its CSRF cookie) and this
    authorization request (client, redirect URI, PKCE challenge, state: the query string)."""
    request_key = hashlib.sha256(request.full_path.encode("utf-8", "surrogatepass")).hexdigest()
    return _csrf_mac(cookie)[:32], request_key[:32]


def _pending_token(user_id: uuid.UUID, cookie: str) -> str:
    browser, authorization = _binding(cookie)
    token: str = _pending_signer().dumps({"u": str(user_id), "b": browser, "r": authorization})
    return token


def _pending_user(token: str, cookie: str) -> uuid.UUID | None:
    """The user whose password was right in this browser, for this request, lately; or None."""
    try:
        data = _pending_signer().loads(token[:500], max_age=PENDING_SECONDS)
        if [data["b"], data["r"]] != list(_binding(cookie)):
            return None
        return uuid.UUID(data["u"])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def _wait_message(wait: int) -> str:
    minutes = max(1, -(-wait // 60))
    if wait < 60:
        return f"You have tried to sign in too many times. Wait {wait} seconds, then try again"
    return (
        "You have tried to sign in too many times. "
        f"Try again in {minutes} minute{'s' if minutes > 1 else ''}"
    )


def _too_many(response: Response, wait: int) -> Response:
    response.headers["Retry-After"] = str(wait)
    return response


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
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = request.form.get("csrf", "")
    if not cookie or not hmac.compare_digest(_csrf_mac(cookie), sent):
        return _form(grant, 400, email, [("email", MESSAGES["csrf"])])
    if "pending" in request.form:
        return _second_step(grant, cookie)
    password = request.form.get("password", "")
    missing = [(f, MESSAGES[f]) for f, v in (("email", email), ("password", password)) if not v]
    if missing:
        return _form(grant, 400, email, missing)
    outcome = check_credentials(email, password, grant.client.client_id)
    if outcome.user is None:
        if outcome.wait:
            return _too_many(
                _form(grant, 429, email, [("email", _wait_message(outcome.wait))]), outcome.wait
            )
        return _form(grant, 400, email, [("email", MESSAGES["wrong"])])
    if outcome.needs_second_factor:
        return _code_form(grant, 200, _pending_token(outcome.user.id, cookie))
    return _authorized(grant, outcome.user, outcome.methods)


def _second_step(grant: Any, cookie: str) -> Any:
    """The code step: the password was right (the signed ``pending`` field says for whom)."""
    pending = request.form.get("pending", "")
    user_id = _pending_user(pending, cookie)
    if user_id is None:
        return _form(grant, 400, "", [("email", MESSAGES["expired"])])
    code = request.form.get("code", "")[:64].strip()
    if not code:
        return _code_form(grant, 400, pending, [("code", MESSAGES["code"])])
    outcome = check_second_factor(user_id, code, grant.client.client_id)
    if outcome.user is None:
        if outcome.wait:
            return _too_many(
                _code_form(grant, 429, pending, [("code", _wait_message(outcome.wait))]),
                outcome.wait,
            )
        return _code_form(grant, 400, pending, [("code", MESSAGES["wrong_code"])])
    return _authorized(grant, outcome.user, outcome.methods)


def _authorized(grant: Any, user: Any, methods: tuple[str, ...]) -> Any:
    # CSP form-action must allow the redirect that follows the post (core.http reads this).
    redirect_uri = grant.request.payload.redirect_uri or ""
    parts = urlsplit(redirect_uri)
    g.form_action_sources = f"{parts.scheme}://{parts.netloc}"
    g.signin_methods = methods  # recorded with the session (oauth.save_authorization_code)
    return _server().create_authorization_response(
        request=grant.request, grant_user=user, grant=grant
    )
