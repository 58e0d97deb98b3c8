"""Human case references such as ``C-7K3M-9QX2``: read aloud, typed, and checked.

Seven random Crockford base32 symbols (no I, L, O or U) and one check symbol: the body's value
modulo 37 (Crockford's check: the modulus is prime, so every single wrong symbol and every swap
of two adjacent symbols of the body is caught). Crockford spells the values 32-36 with
``*~$=U``; a body whose check would need one of those is never issued, so every reference is
letters and digits only.
Imports nothing of ours.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "C"
BODY_LENGTH = 7
LENGTH = len("C-XXXX-XXXX")
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford decoding: letters people confuse with digits read as the digit.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
INVALID = "not a valid case reference"


def check_symbol(body: str) -> str | None:
    """The check symbol of ``body``, or None when Crockford would need a non-alphanumeric one."""
    value = 0
    for symbol in body:
        value = value * 32 + _VALUES[symbol]
    remainder = value % 37
    return ALPHABET[remainder] if remainder < 32 else None


def _format(symbols: str) -> str:
    return f"{PREFIX}-{symbols[:4]}-{symbols[4:]}"


def new_reference() -> str:
    """A random reference with its check symbol, e.g. ``C-7K3M-9QX2``."""
    while True:
        body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
        check = check_symbol(body)
        if check is not None:
            return _format(body + check)


def normalise(text: str) -> str:
    """The canonical form of a reference as a person typed it.

    Case, dashes, spaces and the ``C`` prefix are optional; O, I and L read as 0, 1 and 1.

    :raises ValueError: not a reference, or its check symbol does not match.
    """
    compact = "".join(text.split()).replace("-", "").upper()
    if len(compact) == BODY_LENGTH + 2 and compact.startswith(PREFIX):
        compact = compact[1:]
    compact = compact.translate(_ALIASES)
    if len(compact) != BODY_LENGTH + 1 or any(symbol not in _VALUES for symbol in compact):
        raise ValueError(INVALID)
    if check_symbol(compact[:BODY_LENGTH]) != compact[BODY_LENGTH]:
        raise ValueError(INVALID)
    return _format(compact)
