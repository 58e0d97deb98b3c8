"""The token of a survey link: it names the contact and is signed with the application's secret.

``<contact id><signature>``, 44 URL-safe characters (short enough for an SMS): the contact's
UUID and the first 128 bits of an HMAC-SHA256 over it, each in unpadded base64url. The same
contact always gets the same token, so a retried invitation sends the same link; a token nobody
signed is refused before the database is asked. Only the token's SHA-256 is stored
(``survey_invitations.token_hash``), so the table alone answers no survey.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid

from flask import current_app

TOKEN_PATTERN = r"^[A-Za-z0-9_-]{44}$"
_PART = 22  # unpadded base64url of 16 bytes
_KEY_PURPOSE = b"cgcrm survey link key"
_MESSAGE_PREFIX = b"cgcrm survey link v1:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, _KEY_PURPOSE, hashlib.sha256).digest()


def _signature(interaction_id: uuid.UUID) -> bytes:
    message = _MESSAGE_PREFIX + interaction_id.bytes
    return hmac.new(_key(), message, hashlib.sha256).digest()[:16]


def issue_token(interaction_id: uuid.UUID) -> str:
    """The token of the survey link about ``interaction_id``."""
    return _b64(interaction_id.bytes) + _b64(_signature(interaction_id))


def signed_interaction(token: str) -> uuid.UUID | None:
    """The contact a token names when we signed it, else None (malformed or forged)."""
    if len(token) != 2 * _PART or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token[:_PART] + "==")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 16:
        return None
    interaction_id = uuid.UUID(bytes=raw)
    # Compared as the whole canonical text: base64's spare low bits must not make two tokens.
    if not hmac.compare_digest(issue_token(interaction_id), token):
        return None
    return interaction_id


def token_hash(token: str) -> str:
    """What ``survey_invitations.token_hash`` stores of a token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def survey_link(token: str) -> str:
    """The address a citizen opens: ``{SURVEY_BASE_URL}/s/<token>``."""
    config = current_app.config
    base = str(config["SURVEY_BASE_URL"] or config["JWT_ISSUER"]).rstrip("/")
    return f"{base}/s/{token}"
