"""The TOTP second factor (RFC 6238) and its recovery codes, as NIST SP 800-63B §5.1.4 and
§5.1.2 describe them: what is stored, and checking a code once.

- The secret is 20 random bytes (RFC 4226 §4 asks for 160 bits), made here, shown to the user
  once as base32 and as an ``otpauth://`` URI, and stored encrypted with the field cipher
  (``core.crypto``). It is never logged.
- Codes have 6 digits, a 30-second step and HMAC-SHA1, the parameters every authenticator app
  understands. A code of the step before or after the server's is accepted too (clock drift).
- A code is accepted once: ``last_step`` remembers the newest step accepted, and a code of that
  step or an older one is refused as a replay (SP 800-63B §5.1.4.2). The row is locked while it
  is checked, so two requests with one code cannot both win.
- Ten recovery codes of 16 characters (about 80 bits each) are made when the factor is
  confirmed; each works once, and using one is a security event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from sqlalchemy import delete, func, select

from cgcrm.core.clock import utcnow
from cgcrm.core.crypto import cipher
from cgcrm.extensions import db
from cgcrm.identity.account_models import RecoveryCode, StaffTotp

ISSUER = "cgcrm"
DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
SECRET_BYTES = 20
RECOVERY_CODES = 10
# Lower case letters and digits without the ones read alike (0/o, 1/l/i): 31 symbols, so 16 of
# them hold 79 bits.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16

OTP = "otp"
RECOVERY = "recovery"

# ASCII digits only: \d would take other scripts' digits too.
_TOTP_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")
_RECOVERY_CODE = re.compile(rf"[{RECOVERY_ALPHABET}]{{{RECOVERY_LENGTH}}}")


@dataclass(frozen=True)
class NewSecret:
    secret: str  # base32, as authenticator apps take it typed in
    otpauth_uri: str


def _generator(key: bytes) -> TOTP:
    return TOTP(key, DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=True)


def new_secret(user_id: uuid.UUID, account_name: str) -> NewSecret:
    """Give the user a new, unconfirmed secret (replacing an unconfirmed one); the caller
    commits. The secret leaves this function only in the value returned."""
    key = os.urandom(SECRET_BYTES)
    text = base64.b32encode(key).decode("ascii")
    row = db.session.get(StaffTotp, user_id)
    if row is None:
        row = StaffTotp(user_id=user_id)
        db.session.add(row)
    row.secret_encrypted = cipher().encrypt(text)
    row.created_at = utcnow()
    row.confirmed_at = None
    row.last_step = None
    uri = _generator(key).get_provisioning_uri(account_name, ISSUER)
    return NewSecret(secret=text, otpauth_uri=uri)


def confirmed_factor(user_id: uuid.UUID) -> StaffTotp | None:
    """The user's confirmed TOTP factor, or None when sign-in asks for the password alone."""
    row = db.session.get(StaffTotp, user_id)
    return row if row is not None and row.confirmed_at is not None else None


def _locked_factor(user_id: uuid.UUID) -> StaffTotp | None:
    return db.session.scalar(
        select(StaffTotp).where(StaffTotp.user_id == user_id).with_for_update()
    )


def _matching_step(row: StaffTotp, code: str) -> int | None:
    key = base64.b32decode(cipher().decrypt(row.secret_encrypted))
    generator = _generator(key)
    current = int(utcnow().timestamp()) // STEP_SECONDS
    found = None
    # Every step of the window is computed, so the time taken says nothing about which matched.
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(generator.generate(step * STEP_SECONDS), code.encode("ascii")):
            found = step
    return found


def normalise_code(code: str) -> str:
    """What a person typed, without the spaces and hyphens they may add, in lower case."""
    return re.sub(r"[\s-]", "", code).lower()


def check_code(user_id: uuid.UUID, code: str, *, pending: bool = False) -> str | None:
    """Spend a TOTP code (``OTP``) or a recovery code (``RECOVERY``) of the user; None when it
    is not a code they may use now. Commits what it spends.

    :param pending: check against the unconfirmed secret (enrolment); recovery codes are not
        accepted then.
    """
    typed = normalise_code(code)
    row = _locked_factor(user_id)
    if row is None or (row.confirmed_at is None) != pending:
        db.session.rollback()
        return None
    if _TOTP_CODE.fullmatch(typed):
        step = _matching_step(row, typed)
        if step is None or (row.last_step is not None and step <= row.last_step):
            db.session.rollback()
            return None
        row.last_step = step
        db.session.commit()
        return OTP
    if pending or not _RECOVERY_CODE.fullmatch(typed):
        db.session.rollback()
        return None
    recovery = db.session.scalar(
        select(RecoveryCode)
        .where(
            RecoveryCode.code_hash == _recovery_hash(user_id, typed),
            RecoveryCode.used_at.is_(None),
        )
        .with_for_update()
    )
    if recovery is None:
        db.session.rollback()
        return None
    recovery.used_at = utcnow()
    db.session.commit()
    return RECOVERY


def confirm_factor(user_id: uuid.UUID) -> tuple[datetime, list[str]]:
    """Mark the user's pending factor confirmed and give them new recovery codes (the old ones
    stop working); the caller commits. Returns when, and the codes, shown once.

    :raises LookupError: the user has no factor.
    """
    row = db.session.get(StaffTotp, user_id)
    if row is None:
        raise LookupError("no factor to confirm")
    confirmed_at = row.confirmed_at = utcnow()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [
        "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        for _ in range(RECOVERY_CODES)
    ]
    db.session.add_all(
        RecoveryCode(code_hash=_recovery_hash(user_id, code), user_id=user_id) for code in codes
    )
    shown = ["-".join(code[i : i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]
    return confirmed_at, shown


def remove_factor(user_id: uuid.UUID) -> None:
    """Forget the user's secret and recovery codes; the caller commits."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(delete(StaffTotp).where(StaffTotp.user_id == user_id))


def recovery_codes_left(user_id: uuid.UUID) -> int:
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def _recovery_hash(user_id: uuid.UUID, normalised: str) -> str:
    return hashlib.sha256(f"{user_id}:{normalised}".encode("ascii")).hexdigest()
