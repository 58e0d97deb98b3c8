"""The signature on a provider's notification: HMAC-SHA256 over a timestamp and the raw body.

Header (``Pay-Signature``)::

    Pay-Signature: t=1764535200,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd

``v1`` is the lower-case hex HMAC-SHA256, keyed with the shared secret, of
``<t>.<raw body bytes>``. Signing the timestamp with the body means an old notification cannot
be passed off as new by changing ``t``, so a tolerance on ``t`` bounds how long a captured
notification can be replayed (the notification id then catches a replay within it). While a
secret is being rotated the sender may give several ``v1`` values; one matching any secret we
hold is enough. Comparisons use ``hmac.compare_digest``.

Imports nothing of ours: the sandbox gateway signs with it and our endpoint verifies with it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

HEADER = "Pay-Signature"
SCHEME = "v1"
# A header is a few hundred bytes; anything much longer is not one of ours.
_MAX_HEADER = 2048
_MAX_SIGNATURES = 5


class SignatureRefused(Exception):
    """The header is missing, malformed, or matches no secret (``reason`` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureStale(Exception):
    """The signature is good but its timestamp is outside the tolerance."""

    def __init__(self, timestamp: int, skew: int) -> None:
        super().__init__(f"signed {skew} seconds away from now")
        self.timestamp = timestamp
        self.skew = skew


@dataclass(frozen=True)
class ParsedHeader:
    timestamp: int
    signatures: tuple[str, ...]


def secrets_from(setting: str, fallback_key: str) -> list[str]:
    """The shared secrets of a comma-separated setting (first: the one that signs); when it is
    empty, one derived from ``fallback_key`` (the application's SECRET_KEY: development and
    tests, where both ends are this application)."""
    secrets = [part.strip() for part in setting.split(",") if part.strip()]
    if secrets:
        return secrets
    derived = hmac.new(fallback_key.encode(), b"cgcrm sandbox notification secret", hashlib.sha256)
    return [derived.hexdigest()]


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """The header value for ``body`` signed at ``timestamp`` (Unix seconds) with each secret.

    :raises ValueError: no secret.
    """
    if not secrets:
        raise ValueError("no signing secret")
    parts = [f"t={timestamp}", *(f"{SCHEME}={_mac(secret, timestamp, body)}" for secret in secrets)]
    return ",".join(parts)


def parse_header(value: str | None) -> ParsedHeader:
    """The timestamp and signatures of a header.

    :raises SignatureRefused: absent, too long, or not ``t=<digits>,v1=<hex>[,v1=<hex>…]``.
    """
    if not value:
        raise SignatureRefused(f"no {HEADER} header")
    if len(value) > _MAX_HEADER or not value.isascii():
        raise SignatureRefused(f"the {HEADER} header is malformed")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit() and len(item) <= 12 and timestamp is None:
            timestamp = int(item)
        elif key == SCHEME and len(item) == 64 and all(c in "0123456789abcdef" for c in item):
            signatures.append(item)
        elif key not in {"t", SCHEME}:
            continue  # schemes of later versions are ignored, as senders may add them
        else:
            raise SignatureRefused(f"the {HEADER} header is malformed")
    if timestamp is None or not signatures or len(signatures) > _MAX_SIGNATURES:
        raise SignatureRefused(f"the {HEADER} header is malformed")
    return ParsedHeader(timestamp, tuple(signatures))


def verify(
    value: str | None, body: bytes, secrets: Sequence[str], now: float, tolerance: int
) -> int:
    """Check a header against the raw body; the signed timestamp when it is genuine and fresh.

    The signature is checked before the time, so a forged header is always told apart from a
    genuine old one.

    :raises SignatureRefused: missing, malformed or not made with any of ``secrets``.
    :raises SignatureStale: genuine, but signed more than ``tolerance`` seconds from ``now``.
    """
    parsed = parse_header(value)
    matched = False
    for secret in secrets:
        expected = _mac(secret, parsed.timestamp, body)
        for candidate in parsed.signatures:
            # Every pair is compared: the time taken says nothing about which one matched.
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureRefused("the signature does not match the body")
    skew = int(now) - parsed.timestamp
    if abs(skew) > tolerance:
        raise SignatureStale(parsed.timestamp, skew)
    return parsed.timestamp
