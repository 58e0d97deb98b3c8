"""Secure by default: every view needs a valid bearer token and declares its scopes.

A view opts in to scopes with ``@requires(...)`` (declared in ``cgcrm.core.access``); public
views opt out by endpoint name in ``PUBLIC_ENDPOINTS``. A view with neither is refused for
everyone, and a test walks the URL map so such a view never ships. A view that serves anonymous
callers as well (``@allows_anonymous``) still declares the scopes of those who send a token.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, g, request

from cgcrm.core.access import (
    allows_anonymous,
    anonymous_allowed,
    current_actor,
    declared_scopes,
    optional_actor,
    requires,
)
from cgcrm.core.errors import NotAuthorized, Unauthenticated
from cgcrm.core.principal import Principal
from cgcrm.identity.callers import bearer_token
from cgcrm.identity.tokens import decode_access_token

# Declared in core so the catalog can use them too; re-exported for the routes of the domains.
__all__ = [
    "PUBLIC_BLUEPRINTS",
    "PUBLIC_ENDPOINTS",
    "allows_anonymous",
    "authenticate_request",
    "current_actor",
    "declared_scopes",
    "optional_actor",
    "requires",
]

PUBLIC_ENDPOINTS = frozenset(
    {
        "health.healthz",
        "health.readyz",
        "oauth.issue_token",
        "oauth.revoke_token",
        "oauth.introspect_token",
        "oauth.jwks",
        "oauth.server_metadata",
        "oauth.openid_configuration",
        # Sign-in through an external OpenID provider: pages of the sign-in, as the form is.
        "federation.start",
        "federation.callback",
        # Staff sign-in (authorization endpoint): the page is how a caller gets a token.
        "signin.authorize_form",
        "signin.authorize_submit",
        "api-docs.openapi_json",
        "api-docs.openapi_swagger_ui",
        "swagger_ui_assets.static",
        "static",
        # The citizen's satisfaction survey page: its link's signed token is the credential.
        "survey_pages.answer_form",
        # Payment providers' notifications: the Pay-Signature over the body is the credential.
        "payment_notifications.receive",
    }
)

# Web applications served beside the API that sign their own users in and call the API with
# those users' tokens, like any client: the staff console (cgcrm.console, a session cookie).
PUBLIC_BLUEPRINTS = frozenset({"console"})


def is_public(endpoint: str) -> bool:
    """An endpoint the guard leaves alone: public by name, or of a public blueprint."""
    return endpoint in PUBLIC_ENDPOINTS or endpoint.split(".", 1)[0] in PUBLIC_BLUEPRINTS


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    dept_id = claims.get("dept_id")
    scope = claims.get("scope") or ""
    return Principal(
        kind="client" if claims.get("sub") == claims.get("client_id") else "user",
        id=str(claims.get("sub")),
        department_id=uuid.UUID(dept_id) if dept_id else None,
        department_code=claims.get("dept"),
        scopes=frozenset(scope.split() if isinstance(scope, str) else ()),
        token_id=claims.get("jti"),
    )


def authenticate_request() -> None:
    """``before_request``: resolve the principal and enforce the view's scopes."""
    endpoint = request.endpoint
    if endpoint is None or is_public(endpoint) or request.method == "OPTIONS":
        return
    # Anonymous means no Authorization header at all: a token sent is checked, never ignored.
    if "Authorization" not in request.headers and anonymous_allowed(
        current_app, endpoint, request.method
    ):
        return
    token = bearer_token()
    if token is None:
        raise Unauthenticated("send an access token: Authorization: Bearer <token>")
    claims = decode_access_token(token)
    if claims is None:
        raise Unauthenticated(
            "the access token is invalid, expired or revoked", www_error="invalid_token"
        )
    principal = principal_from_claims(claims)
    g.principal = principal
    needed = declared_scopes(current_app, endpoint, request.method)
    if needed is None:
        raise NotAuthorized("this operation is not open to any principal")
    missing = sorted(s for s in needed if not principal.has_scope(s))
    if missing:
        raise NotAuthorized(
            f"the access token lacks the scope {' '.join(missing)}",
            www_error="insufficient_scope",
            required_scopes=sorted(needed),
        )
