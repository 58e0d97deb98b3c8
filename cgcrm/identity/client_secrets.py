"""OAuth client secrets: stored as SHA-256, as refresh tokens and authorization codes are.

- A secret is 256 random bits we generate (``secrets.token_urlsafe(32)``), not something a
  person chose: there is no dictionary to try, so a slow or keyed hash buys nothing over
  SHA-256 (as for API keys). It is checked on every ``/oauth/token`` call, where argon2id cost
  ~190 CPU-ms a token; SHA-256 costs microseconds.
- Stored as ``sha256$<hex digest>``, compared in constant time.
- Hashes made before (argon2id, ``$argon2...``) still verify; a successful check returns the
  new form for the caller to store, so each client moves over on its next token request.
- Anything else stored never matches.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

SHA256_PREFIX = "sha256$"
ARGON2_PREFIX = "$argon2"

_argon2 = PasswordHasher()


def hash_client_secret(secret: str) -> str:
    """The stored form of ``secret``."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
    return SHA256_PREFIX + digest


def check_client_secret(stored: str, presented: str) -> tuple[bool, str | None]:
    """(matches, the stored form to replace ``stored`` with: an older hash that matched)."""
    if stored.startswith(SHA256_PREFIX):
        return hmac.compare_digest(stored, hash_client_secret(presented)), None
    if stored.startswith(ARGON2_PREFIX) and _argon2_matches(stored, presented):
        return True, hash_client_secret(presented)
    return False, None


def _argon2_matches(stored: str, presented: str) -> bool:
    try:
        return _argon2.verify(stored, presented)
    except (VerificationError, InvalidHashError):
        return False


@cache
def stand_in_hash() -> str:
    """The stored form of a secret nobody knows (once a process): an unknown client id is
    checked against it, so it costs what a known one does."""
    return hash_client_secret(secrets.token_urlsafe(32))
