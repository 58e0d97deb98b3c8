"""The keys of the audit trail's HMAC chain: held outside the database, rotatable.

``AUDIT_KEYS`` is ``KEY_ID:SECRET,KEY_ID:SECRET,...``: the first key seals new events and signs
new checkpoints, every key verifies, and each seal and checkpoint records the id of its key. To
rotate, put a new key first and keep the old ones for as long as their events are kept.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from cgcrm.settings import ConfigError

KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
DEVELOPMENT_KEY_ID = "dev"
MIN_SECRET_LENGTH = 32


class AuditKeyring:
    """HMAC-SHA256 under named keys; ``current_id`` names the key that signs."""

    def __init__(self, keys: dict[str, bytes], current_id: str) -> None:
        self._keys = keys
        self.current_id = current_id

    def knows(self, key_id: str) -> bool:
        return key_id in self._keys

    def mac(self, key_id: str, message: bytes) -> str:
        """Lower-case hex HMAC-SHA256 of ``message`` under ``key_id``.

        :raises KeyError: no such key in the ring.
        """
        return hmac.new(self._keys[key_id], message, hashlib.sha256).hexdigest()

    def link(self, key_id: str, prev_hash: str, content: bytes) -> str:
        """An event's hash: its content chained to the previous seal's hash."""
        return self.mac(key_id, prev_hash.encode() + b"\n" + content)

    def matches(self, key_id: str, prev_hash: str, content: bytes, expected: str) -> bool:
        """Whether ``expected`` is the link of ``content`` after ``prev_hash`` (False for an
        unknown key)."""
        if key_id not in self._keys:
            return False
        return hmac.compare_digest(self.link(key_id, prev_hash, content), expected)


def parse_audit_keys(raw: str) -> dict[str, bytes]:
    """``KEY_ID:SECRET`` pairs, in order.

    :raises ConfigError: a malformed pair or a repeated id.
    """
    keys: dict[str, bytes] = {}
    for pair in (part.strip() for part in raw.split(",")):
        if not pair:
            continue
        key_id, sep, secret = pair.partition(":")
        if not sep or not KEY_ID.match(key_id) or not secret:
            raise ConfigError("CGCRM_AUDIT_KEYS: expected KEY_ID:SECRET pairs, comma-separated")
        if key_id in keys:
            raise ConfigError(f"CGCRM_AUDIT_KEYS: key id {key_id!r} appears twice")
        keys[key_id] = secret.encode()
    return keys


def build_audit_keyring(app: Flask) -> AuditKeyring:
    """The keyring from ``AUDIT_KEYS``; outside production one key may be derived from
    SECRET_KEY.

    :raises ConfigError: production without AUDIT_KEYS, or with a secret under 32 characters.
    """
    config = app.config
    production = config["ENV"] == "production"
    keys = parse_audit_keys(config["AUDIT_KEYS"])
    if not keys:
        if production:
            raise ConfigError("production refuses to start without CGCRM_AUDIT_KEYS")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"audit-chain")
        keys = {DEVELOPMENT_KEY_ID: derived.derive(config["SECRET_KEY"].encode())}
    if production and any(len(secret) < MIN_SECRET_LENGTH for secret in keys.values()):
        raise ConfigError("CGCRM_AUDIT_KEYS: every secret must be at least 32 characters")
    return AuditKeyring(keys, next(iter(keys)))


def audit_keyring() -> AuditKeyring:
    return current_app.extensions["cgcrm.audit_keys"]  # type: ignore[no-any-return]
