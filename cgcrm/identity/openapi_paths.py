"""The OAuth endpoints in the OpenAPI document: they are plain Flask views (Authlib answers them),
so their operations are written out here rather than derived from schemas."""

from __future__ import annotations

from typing import Any

OAUTH_ERROR = {
    "type": "object",
    "description": "RFC 6749 §5.2 error",
    "properties": {
        "error": {"type": "string", "example": "invalid_client"},
        "error_description": {"type": "string"},
    },
    "required": ["error"],
}
_FORM = "application/x-www-form-urlencoded"
_COMMON_HEADERS = {
    "X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"},
    "RateLimit-Policy": {"$ref": "#/components/headers/RateLimit-Policy"},
    "RateLimit": {"$ref": "#/components/headers/RateLimit"},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _COMMON_HEADERS,
        "content": {"application/json": {"schema": schema}},
    }


def _errors(*statuses: int) -> dict[str, Any]:
    described = {
        400: "The request is invalid (RFC 6749 §5.2).",
        401: "The client could not be authenticated.",
        413: "The request body is too large.",
        429: "Too many requests; see Retry-After.",
        503: "The service is unavailable; retry shortly (see Retry-After).",
    }
    responses = {str(s): _json(OAUTH_ERROR, described[s]) for s in statuses}
    for status in ("429", "503"):
        if status in responses:
            retry = {"$ref": "#/components/headers/Retry-After"}
            responses[status]["headers"] = {**_COMMON_HEADERS, "Retry-After": retry}
    return responses


def _form_operation(
    operation_id: str, summary: str, fields: dict[str, Any], required: list[str], ok: Any
) -> dict[str, Any]:
    credentials = {
        "client_id": {"type": "string", "description": "with client_secret_post"},
        "client_secret": {"type": "string", "description": "with client_secret_post"},
    }
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["oauth"],
            "security": [{"clientSecretBasic": []}, {}],
            "requestBody": {
                "required": True,
                "content": {
                    _FORM: {
                        "schema": {
                            "type": "object",
                            "properties": {**fields, **credentials},
                            "required": required,
                        }
                    }
                },
            },
            "responses": {"200": ok, **_errors(400, 401, 413, 429, 503)},
        }
    }


TOKEN = {
    "type": "object",
    "properties": {
        "access_token": {"type": "string"},
        "token_type": {"type": "string", "example": "Bearer"},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
        "refresh_token": {"type": "string", "description": "staff sign-ins only"},
    },
    "required": ["access_token", "token_type", "expires_in", "scope"],
}
INTROSPECTION = {
    "type": "object",
    "properties": {"active": {"type": "boolean"}},
    "required": ["active"],
    "additionalProperties": True,
}
JSON_OBJECT = {"type": "object", "additionalProperties": True}

OAUTH_PATHS: dict[str, dict[str, Any]] = {
    "/oauth/token": _form_operation(
        "issueToken",
        "Issue an access token: client credentials, or a staff sign-in's authorization code "
        "(PKCE S256) or refresh token (rotated on every use). HTTP Basic or client_secret_post.",
        {
            "grant_type": {
                "type": "string",
                "enum": ["client_credentials", "authorization_code", "refresh_token"],
            },
            "scope": {"type": "string", "description": "space-separated; defaults to all held"},
            "code": {"type": "string", "description": "authorization_code: the code"},
            "redirect_uri": {"type": "string", "description": "authorization_code: as sent"},
            "code_verifier": {"type": "string", "description": "authorization_code: PKCE"},
            "refresh_token": {"type": "string", "description": "refresh_token: the token"},
        },
        ["grant_type"],
        _json(TOKEN, "A signed RFC 9068 access token."),
    ),
    "/oauth/revoke": _form_operation(
        "revokeToken",
        "Revoke one of your tokens (RFC 7009). A refresh token ends its sign-in: it, the refresh "
        "tokens rotated from it and the access tokens they issued.",
        {
            "token": {"type": "string"},
            "token_type_hint": {"type": "string", "enum": ["access_token", "refresh_token"]},
        },
        ["token"],
        _json(JSON_OBJECT, "Revoked, or the token was not yours or not known (RFC 7009 §2.2)."),
    ),
    "/oauth/introspect": _form_operation(
        "introspectToken",
        "Describe an access token (RFC 7662).",
        {
            "token": {"type": "string"},
            "token_type_hint": {"type": "string", "enum": ["access_token"]},
        },
        ["token"],
        _json(INTROSPECTION, "Whether the token is active, and its claims when it is."),
    ),
    "/.well-known/jwks.json": {
        "get": {
            "operationId": "getJwks",
            "summary": "The public keys that verify access tokens.",
            "tags": ["oauth"],
            "security": [],
            "responses": {"200": _json(JSON_OBJECT, "A JSON Web Key Set.")},
        }
    },
    "/.well-known/oauth-authorization-server": {
        "get": {
            "operationId": "getAuthorizationServerMetadata",
            "summary": "RFC 8414 authorization server metadata.",
            "tags": ["oauth"],
            "security": [],
            "responses": {"200": _json(JSON_OBJECT, "The server's endpoints and abilities.")},
        }
    },
    "/.well-known/openid-configuration": {
        "get": {
            "operationId": "getOpenIdConfiguration",
            "summary": "OpenID Connect discovery: endpoints, scopes, claims, acr values.",
            "tags": ["oauth"],
            "security": [],
            "responses": {"200": _json(JSON_OBJECT, "OpenID Provider Metadata.")},
        }
    },
    "/oauth/userinfo": {
        method: {
            "operationId": f"{method}UserInfo",
            "summary": "OpenID Connect userinfo: the claims about the signed-in staff user.",
            "tags": ["oauth"],
            "security": [{"oauth2": ["openid"]}],
            "responses": {
                "200": _json(JSON_OBJECT, "sub, and name, department, roles, email per scope."),
                # Errors under /oauth/ take RFC 6749's shape, as the clients there expect.
                "401": _json(OAUTH_ERROR, "No valid access token, or the user was disabled."),
                "403": _json(OAUTH_ERROR, "The token lacks openid, or is a client's own token."),
            },
        }
        for method in ("get", "post")
    },
}
SECURITY_SCHEMES = {
    "clientSecretBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "An OAuth client's id and secret (client_secret_basic).",
    }
}
