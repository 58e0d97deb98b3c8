"""OAuth2 endpoints. They speak RFC 6749/7009/7662 error JSON, as OAuth clients expect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from cgcrm.core import scopes
from cgcrm.core.access import current_actor, requires
from cgcrm.identity.federation.directory import federated_acr_values
from cgcrm.identity.oidc import discovery_document, userinfo_for

blp = Blueprint("oauth", __name__)


def _server() -> Any:
    return current_app.extensions["cgcrm.authorization_server"]


@blp.after_request
def _client_authentication_failed_is_401(response: Response) -> Response:
    """A failed client authentication is 401 however the client authenticated.

    Authlib answers 401 when the credentials came in the Authorization header and 400 when they
    came in the form (client_secret_post); RFC 6749 §5.2 allows 401 for both, and one answer
    tells a caller less and is what the OpenAPI document says.
    """
    if response.status_code == 400 and response.is_json:
        body = response.get_json(silent=True) or {}
        if body.get("error") == "invalid_client":
            response.status_code = 401
            response.headers.setdefault("WWW-Authenticate", 'Basic realm="cgcrm"')
    return response


@blp.post("/oauth/token")
def issue_token() -> Any:
    return _server().create_token_response()


@blp.post("/oauth/revoke")
def revoke_token() -> Any:
    return _server().create_endpoint_response("revocation")


@blp.post("/oauth/introspect")
def introspect_token() -> Any:
    return _server().create_endpoint_response("introspection")


@blp.get("/.well-known/jwks.json")
def jwks() -> Any:
    response = jsonify(current_app.extensions["cgcrm.signing_keys"].public_jwks)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@blp.get("/.well-known/oauth-authorization-server")
def server_metadata() -> Any:
    """RFC 8414 metadata, so clients discover the endpoints instead of hard-coding them."""
    issuer = current_app.config["JWT_ISSUER"]
    return jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/oauth/authorize",
            "token_endpoint": f"{issuer}/oauth/token",
            "revocation_endpoint": f"{issuer}/oauth/revoke",
            "introspection_endpoint": f"{issuer}/oauth/introspect",
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "grant_types_supported": ["client_credentials", "authorization_code", "refresh_token"],
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "scopes_supported": sorted(scopes.ALL_SCOPES),
        }
    )


@blp.get("/.well-known/openid-configuration")
def openid_configuration() -> Any:
    """OpenID Connect discovery: how a console or another system signs staff in through us."""
    issuer = current_app.config["JWT_ISSUER"]
    response = jsonify(discovery_document(issuer, federated_acr_values()))
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@blp.route("/oauth/userinfo", methods=["GET", "POST"])
@requires(scopes.OPENID)
def userinfo() -> Any:
    """OpenID Connect userinfo: what the token's scopes allow about the signed-in user."""
    return jsonify(userinfo_for(current_actor().principal))
