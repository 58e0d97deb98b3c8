"""Human payment and refund references such as ``PAY-7K3M-9Q2D-X``: read aloud, typed, checked.

Eight random Crockford base32 symbols (no I, L, O or U) and one check symbol, the body's value
modulo 37 (Crockford's check: every single wrong symbol and every swap of two adjacent symbols
is caught). A body whose check would need one of Crockford's symbols for 32-36 is never issued,
so references are letters and digits only. Imports nothing of ours.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYMENT_PREFIX = "PAY"
REFUND_PREFIX = "RFD"
BODY_LENGTH = 8
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def check_symbol(body: str) -> str | None:
    """The check symbol of ``body``, or None when Crockford would need a non-alphanumeric one."""
    value = 0
    for symbol in body:
        value = value * 32 + _VALUES[symbol]
    remainder = value % 37
    return ALPHABET[remainder] if remainder < 32 else None


def _format(prefix: str, symbols: str) -> str:
    return f"{prefix}-{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def new_reference(prefix: str = PAYMENT_PREFIX) -> str:
    """A random reference with its check symbol, e.g. ``PAY-7K3M-9Q2D-X``."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
        check = check_symbol(body)
        if check is not None:
            return _format(prefix, body + check)


def normalise(text: str, prefix: str = PAYMENT_PREFIX) -> str:
    """The canonical form of a reference as a person typed it.

    Case, dashes, spaces and the prefix are optional; O, I and L read as 0, 1 and 1.

    :raises ValueError: not a reference, or its check symbol does not match.
    """
    compact = "".join(text.split()).replace("-", "").upper()
    if compact.startswith(prefix) and len(compact) == len(prefix) + BODY_LENGTH + 1:
        compact = compact[len(prefix) :]
    compact = compact.translate(_ALIASES)
    if len(compact) != BODY_LENGTH + 1 or any(symbol not in _VALUES for symbol in compact):
        raise ValueError("not a valid reference")
    if check_symbol(compact[:BODY_LENGTH]) != compact[BODY_LENGTH]:
        raise ValueError("not a valid reference: the check character does not match")
    return _format(prefix, compact)
