"""Staff passwords, as NIST SP 800-63B (§3.1.1.2) asks of memorized secrets.

- At least ``MIN_LENGTH`` (12) characters, counted as Unicode code points after NFKC
  normalisation; long passphrases allowed up to ``MAX_LENGTH`` (which only bounds the cost of
  hashing a hostile input); every printable character and space allowed.
- No composition rules (no "one digit, one symbol") and no periodic expiry.
- Refused when it is on the shipped list of common passwords (``data/common-passwords.txt.gz``,
  compared case-insensitively) or is built from the user's own email address or the service's
  name.
- Hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile); a hash made with other
  parameters is replaced at the next successful sign-in (``verify_password`` says so).
"""

from __future__ import annotations

import gzip
import secrets
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"
CONTEXT_WORDS = ("cgcrm", "password", "government", "council")

_hasher = PasswordHasher()


def normalise(password: str) -> str:
    """NFKC, as SP 800-63B §5.1.1.2 asks, so the same passphrase typed on two keyboards matches."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased (read once a process)."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def password_problems(password: str, email: str | None = None) -> list[str]:
    """Why ``password`` may not be chosen (empty: it may), worded for the person choosing it."""
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        return [f"Your password must be {MIN_LENGTH} characters or more"]
    if len(text) > MAX_LENGTH:
        return [f"Your password must be {MAX_LENGTH} characters or fewer"]
    if any(unicodedata.category(c) in {"Cc", "Cs"} for c in text):
        return ["Your password must not contain control characters"]
    folded = text.lower()
    if folded in common_passwords() or len(set(folded)) <= 2:
        return ["Your password is too common: choose one that is harder to guess"]
    context = list(CONTEXT_WORDS)
    if email:
        local = email.split("@")[0].lower()
        if len(local) >= 4:
            context.append(local)
    stripped = folded
    for word in context:
        stripped = stripped.replace(word, "")
    if len(stripped.strip("0123456789!@#$%^&*()-_=+.,;: ")) < 4:
        return ["Your password must not be made from your email address or the service's name"]
    return []


def hash_password(password: str) -> str:
    return _hasher.hash(normalise(password))


def verify_password(hashed: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs rehash). A missing hash is checked against a stand-in, so a user with no
    password costs what a user with one does, and never matches."""
    text = normalise(password)[: MAX_LENGTH * 4]
    if not hashed:
        _verify(stand_in_password_hash(), text)
        return False, False
    if not _verify(hashed, text):
        return False, False
    return True, _hasher.check_needs_rehash(hashed)


def _verify(hashed: str, text: str) -> bool:
    try:
        return _hasher.verify(hashed, text)
    except (VerificationError, InvalidHashError):
        return False


@cache
def stand_in_password_hash() -> str:
    """A hash of a password nobody knows, with the current parameters (once a process)."""
    return _hasher.hash(secrets.token_urlsafe(32))
