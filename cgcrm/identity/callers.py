"""Which client a request claims to be, cheaply, for counting it before it is authenticated."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from flask import request

from cgcrm.identity.keys import SigningKeys
from cgcrm.identity.tokens import signing_keys


def bearer_token() -> str | None:
    """The request's bearer token (RFC 6750 header), or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def token_client_id() -> str | None:
    """The client of the request's bearer token when we signed it (expired or not), else None.

    The signature check is cached per process (``SigningKeys.trusted_claims``), so this costs a
    dictionary look-up for a token already seen; the guard still checks expiry and revocation.
    """
    token = bearer_token()
    if token is None:
        return None
    keys: SigningKeys = signing_keys()
    claims = keys.trusted_claims(token)
    return str(claims["client_id"]) if claims else None


def claimed_client_id() -> str | None:
    """The client id an OAuth request names (HTTP Basic user, else the ``client_id`` field),
    unverified: it may not exist, and the secret is not checked here."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        # RFC 6749 §2.3.1: the id is form-urlencoded inside Basic credentials.
        return unquote(decoded.partition(":")[0]) or None
    if request.mimetype == "application/x-www-form-urlencoded":
        return request.form.get("client_id") or None
    return None
