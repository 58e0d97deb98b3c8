"""Encryption at rest for sensitive values, and blind indexes to find them without decrypting."""

from __future__ import annotations

import base64
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app

from cgcrm.settings import ConfigError


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        secret.encode()
    )


class FieldCipher:
    """MultiFernet: the first key encrypts, every key decrypts, so keys rotate without downtime."""

    def __init__(self, fernet_keys: list[bytes], index_key: bytes) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in fernet_keys])
        self._index_key = index_key

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("value was encrypted with a key that is no longer configured") from exc

    def blind_index(self, canonical: str) -> str:
        # The one-shot digest (OpenSSL's, in C): the same HMAC-SHA256 without an HMAC object
        # per value (a bulk import hashes every row and every identifier).
        return hmac.digest(self._index_key, canonical.encode(), "sha256").hex()


def build_cipher(app: Flask) -> FieldCipher:
    """Keys from configuration; outside production they may be derived from SECRET_KEY.

    :raises ConfigError: production without explicit keys.
    """
    config = app.config
    production = config["ENV"] == "production"
    if config["ENCRYPTION_KEYS"]:
        fernet_keys = [k.strip().encode() for k in config["ENCRYPTION_KEYS"].split(",") if k]
    elif production:
        raise ConfigError("production refuses to start without CGCRM_ENCRYPTION_KEYS")
    else:
        fernet_keys = [base64.urlsafe_b64encode(_derive(config["SECRET_KEY"], b"fields"))]
    if config["BLIND_INDEX_KEY"]:
        index_key = config["BLIND_INDEX_KEY"].encode()
    elif production:
        raise ConfigError("production refuses to start without CGCRM_BLIND_INDEX_KEY")
    else:
        index_key = _derive(config["SECRET_KEY"], b"blind-index")
    return FieldCipher(fernet_keys, index_key)


def cipher() -> FieldCipher:
    return current_app.extensions["cgcrm.cipher"]  # type: ignore[no-any-return]
