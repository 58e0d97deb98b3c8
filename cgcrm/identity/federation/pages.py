"""The browser's way through an external provider: ``start`` (from the sign-in page's "Sign in
with <provider>" link, carrying the client's authorization request) and ``callback`` (the
provider's answer), which ends as our sign-in page would: a redirect to the client with a code.

The ``state`` is also set as an HttpOnly cookie, so an answer is accepted only in the browser
that asked for it (no one can finish their own sign-in in someone else's browser). SameSite is
Lax, not Strict: the answer arrives as a top-level navigation from the provider's site.
"""

from __future__ import annotations

from typing import Any

from authlib.oauth2.rfc6749 import OAuth2Error
from flask import Blueprint, current_app, redirect, request
from flask.wrappers import Request
from werkzeug.test import EnvironBuilder

from cgcrm.identity.federation.client import FederationRefused
from cgcrm.identity.federation.directory import directory
from cgcrm.identity.federation.service import finish_federated_sign_in, start_federated_sign_in
from cgcrm.identity.pages import _page, _request_error, _server

bp = Blueprint("federation", __name__)  # its pages are the sign-in pages' templates

STATE_COOKIE = "cgcrm_federation"
COOKIE_PATH = "/oauth/federation"
# What the person is told, by refusal reason; the security event keeps the detail.
EXPLANATIONS = {
    "provider": "This sign-in option is not available.",
    "provider_unavailable": "The other sign-in service did not answer. Try again shortly, or "
    "sign in with your email address and password.",
    "provider_metadata": "The other sign-in service is not set up correctly. Contact support.",
    "provider_error": "The other sign-in service did not sign you in.",
    "cancelled": "You cancelled signing in there.",
    "state": "Your sign-in expired or was already used. Go back to the service you came from "
    "and start again.",
    "token_exchange": "The other sign-in service did not confirm your sign-in. Start again.",
    "id_token": "The other sign-in service's answer could not be trusted. Start again.",
    "acr": "This service needs a stronger sign-in than the one you used. Sign in again with "
    "your security key or second factor at the other sign-in service.",
    "user": "You cannot use this service with that account. Ask your administrator for access.",
}


def _refused(provider_name: str, refused: FederationRefused) -> Any:
    provider = directory().client(provider_name)
    title = provider.provider.title if provider is not None else "another service"
    unavailable = refused.reason in {"provider_unavailable", "provider_metadata"}
    explanation = EXPLANATIONS.get(refused.reason, EXPLANATIONS["provider_error"])
    if refused.reason == "provider_error" and refused.detail == "access_denied":
        explanation = EXPLANATIONS["cancelled"]
    return _page(
        "identity/problem.html",
        502 if unavailable else 403,
        heading=f"You could not sign in with {title}",
        explanation=explanation,
        error=refused.reason,
        # The same request the client made, validated again when followed: a way back to the
        # sign-in page for a person who cancelled or whose provider refused.
        again_url=f"/oauth/authorize?{refused.authorize_query}"
        if refused.authorize_query
        else None,
    )


@bp.get("/oauth/federation/<provider_name>/start")
def start(provider_name: str) -> Any:
    try:
        grant = _server().get_consent_grant(end_user=None)
    except OAuth2Error as error:
        return _request_error(error)
    query = request.query_string.decode("ascii", "replace")
    try:
        url, state = start_federated_sign_in(provider_name, query, grant.client.client_id)
    except FederationRefused as refused:
        return _refused(provider_name, refused)
    response = redirect(url, 302)
    response.set_cookie(
        STATE_COOKIE,
        state,
        max_age=current_app.config["FEDERATION_SIGN_IN_TTL"],
        path=COOKIE_PATH,
        secure=current_app.config["ENV"] == "production",
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.get("/oauth/federation/<provider_name>/callback")
def callback(provider_name: str) -> Any:
    params = {key: request.args.get(key, "") for key in ("state", "code", "error")}
    try:
        signed_in = finish_federated_sign_in(
            provider_name, params, request.cookies.get(STATE_COOKIE, "")
        )
    except FederationRefused as refused:
        response = _refused(provider_name, refused)
        response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
        return response
    # The client's own request, as it reached /oauth/authorize, validated again now.
    original = Request(
        EnvironBuilder(
            path="/oauth/authorize",
            base_url=request.host_url,
            query_string=signed_in.authorize_query,
        ).get_environ()
    )
    try:
        grant = _server().get_consent_grant(request=original, end_user=signed_in.user)
    except OAuth2Error as error:
        return _request_error(error)
    grant.request.authentication = signed_in.authentication
    response = _server().create_authorization_response(
        request=grant.request, grant_user=signed_in.user, grant=grant
    )
    response.delete_cookie(STATE_COOKIE, path=COOKIE_PATH)
    return response
