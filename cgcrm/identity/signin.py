"""Checking a staff user's email and password behind a throttle that tells no account apart.

- Each failure is counted against the email (hashed: no addresses in Redis) and the caller's
  address, known account or not. From the ``SLOW_AFTER``-th failure in a row an email must wait
  before its next attempt (2, 4, 8 … seconds, at most ``MAX_SLOW_SECONDS``); at
  ``AUTH_LOCKOUT_FAILURES`` it is locked for ``AUTH_LOCKOUT_SECONDS``. An address is locked for
  as long after ``ADDRESS_FACTOR`` times as many failures (one address trying many emails).
- While an email or address must wait, the attempt is refused before any hash is computed,
  with the same words whether or not the account exists.
- An unknown email, a user without a password, a disabled user and a wrong password all cost
  one argon2 verification and get one answer.
- Locks are security events (``user.locked``, ``address.locked``), and so is each sign-in.
- A user with a TOTP second factor (``identity.totp``) passes the password step, then the code
  step behind the same throttle: a wrong code counts as a wrong password, and the failures are
  cleared only when the whole sign-in succeeds. Using a recovery code is a security event.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import select

from cgcrm.core.clock import utcnow
from cgcrm.core.counters import SharedCounters
from cgcrm.core.ratelimit import caller_address
from cgcrm.core.security_events import record_security_event
from cgcrm.extensions import db
from cgcrm.identity.models import StaffUser
from cgcrm.identity.passwords import MAX_LENGTH, hash_password, verify_password
from cgcrm.identity.totp import RECOVERY, check_code, confirmed_factor, recovery_codes_left

SLOW_AFTER = 3
MAX_SLOW_SECONDS = 60
ADDRESS_FACTOR = 4
USER_LOCKED = "user.locked"
ADDRESS_LOCKED = "address.locked"
USER_SIGNED_IN = "user.signed_in"
RECOVERY_CODE_USED = "user.recovery_code_used"
_EXTENSION = "cgcrm.signin_throttle"


class SignInThrottle:
    """Failures per email and per address, and the waits and locks they cause."""

    def __init__(self, counters: SharedCounters, failures: int, seconds: int) -> None:
        self.counters = counters
        self.failures = failures
        self.seconds = seconds

    def wait_for(self, email_key: str, address: str) -> int:
        """Seconds before this email may try again from this address (0: now)."""
        return max(
            self.counters.ttl(f"userlock:{email_key}"),
            self.counters.ttl(f"userslow:{email_key}"),
            self.counters.ttl(f"addrlock:{address}"),
        )

    def failed(self, email_key: str, address: str) -> tuple[int, list[str]]:
        """Count a failure: the wait it causes, and the locks it set (event kinds)."""
        user_count, address_count = self.counters.hit(
            [(f"userfail:{email_key}", self.seconds), (f"addrfail:{address}", self.seconds)]
        )
        locks: list[str] = []
        wait = 0
        if user_count >= self.failures:
            self.counters.set(f"userlock:{email_key}", self.seconds)
            self.counters.delete(f"userfail:{email_key}")
            locks.append(USER_LOCKED)
            wait = self.seconds
        elif user_count >= SLOW_AFTER:
            wait = min(2 ** (user_count - SLOW_AFTER + 1), MAX_SLOW_SECONDS)
            self.counters.set(f"userslow:{email_key}", wait)
        if address_count >= self.failures * ADDRESS_FACTOR:
            self.counters.set(f"addrlock:{address}", self.seconds)
            self.counters.delete(f"addrfail:{address}")
            locks.append(ADDRESS_LOCKED)
            wait = max(wait, self.seconds)
        return wait, locks

    def succeeded(self, email_key: str) -> None:
        self.counters.delete(f"userfail:{email_key}", f"userslow:{email_key}")


def build_signin_throttle(config: Any) -> SignInThrottle:
    counters = SharedCounters(
        config["REDIS_URL"],
        prefix=config["QUEUE_NAMESPACE"] + "signin:",
        timeout=config["RATE_LIMIT_REDIS_TIMEOUT"],
        retry_after=config["RATE_LIMIT_REDIS_RETRY"],
    )
    return SignInThrottle(counters, config["AUTH_LOCKOUT_FAILURES"], config["AUTH_LOCKOUT_SECONDS"])


@dataclass(frozen=True)
class SignInOutcome:
    user: StaffUser | None
    wait: int = 0  # seconds before the next attempt may be made (0: now)
    # The password was right, and the user's second factor is still to be checked: the
    # failures counted so far stand until it is (a known password must not reset them).
    needs_second_factor: bool = False
    methods: tuple[str, ...] = ("pwd",)  # RFC 8176 names of what the user proved


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _throttle() -> SignInThrottle:
    throttle: SignInThrottle = current_app.extensions[_EXTENSION]
    return throttle


def _address() -> str:
    return caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"])


def check_credentials(email: str, password: str, client_id: str | None) -> SignInOutcome:
    """The user these credentials sign in, or None with the wait before the next attempt.

    A user with a confirmed second factor comes back with ``needs_second_factor``: the sign-in
    is not done (nor recorded) until ``check_second_factor`` accepts a code.
    """
    throttle = _throttle()
    key = email_key(email)
    address = _address()
    wait = throttle.wait_for(key, address)
    if wait:
        return SignInOutcome(None, wait)
    normalised = email.strip().lower()
    user = None
    if 0 < len(normalised) <= 254 and "\x00" not in normalised:
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == normalised))
    matches, rehash = verify_password(user.password_hash if user else None, password)
    if user is not None and matches and user.active and user.department_id is not None:
        if rehash and len(password) <= MAX_LENGTH:
            user.password_hash = hash_password(password)
            db.session.commit()
        if confirmed_factor(user.id) is not None:
            return SignInOutcome(user, needs_second_factor=True)
        _signed_in(throttle, key, user, client_id, address, ("pwd",))
        return SignInOutcome(user)
    return SignInOutcome(None, _failed(throttle, key, address, client_id))


def check_second_factor(user_id: uuid.UUID, code: str, client_id: str | None) -> SignInOutcome:
    """Finish a sign-in whose password was right with a TOTP or recovery code, behind the same
    throttle as the password (failures count against the user's email and the address).

    :param user_id: the user the password step named (from the page's signed token).
    """
    throttle = _throttle()
    address = _address()
    user = db.session.get(StaffUser, user_id)
    if user is None or not user.active:
        return SignInOutcome(None)
    key = email_key(user.email)
    wait = throttle.wait_for(key, address)
    if wait:
        return SignInOutcome(None, wait)
    used = check_code(user.id, code)
    if used is None:
        return SignInOutcome(None, _failed(throttle, key, address, client_id))
    if used == RECOVERY:
        record_security_event(
            RECOVERY_CODE_USED,
            client_id=client_id,
            address=address,
            request_id=g.get("request_id"),
            user_id=str(user.id),
            recovery_codes_left=recovery_codes_left(user.id),
        )
    methods = ("pwd", "otp")
    _signed_in(throttle, key, user, client_id, address, methods)
    return SignInOutcome(user, methods=methods)


def check_account_code(
    user: StaffUser, code: str, *, pending: bool = False
) -> tuple[str | None, int]:
    """Check a code the user sends to manage their own second factor (the API), counted as a
    sign-in failure when wrong: a stolen access token must not become a way to guess codes.

    :returns: what was spent (``OTP``, ``RECOVERY``) or None, and the wait before the next
        attempt (when waiting, nothing was checked).
    """
    throttle = _throttle()
    key = email_key(user.email)
    address = _address()
    wait = throttle.wait_for(key, address)
    if wait:
        return None, wait
    used = check_code(user.id, code, pending=pending)
    if used is None:
        _failed(throttle, key, address, None)
        return None, 0
    throttle.succeeded(key)
    return used, 0


def check_account_password(user: StaffUser, password: str) -> tuple[bool, int]:
    """Check the user's own password before a change to how they sign in (NIST SP 800-63B
    §6.1.2: binding a new authenticator asks for one already bound), behind the sign-in
    throttle: a stolen access token alone must not bind the thief's authenticator.

    :returns: whether it was right, and the wait before the next attempt (when waiting,
        nothing was checked).
    """
    throttle = _throttle()
    key = email_key(user.email)
    address = _address()
    wait = throttle.wait_for(key, address)
    if wait:
        return False, wait
    matches, _ = verify_password(user.password_hash, password)
    if not matches:
        _failed(throttle, key, address, None)
        return False, 0
    throttle.succeeded(key)
    return True, 0


def _signed_in(
    throttle: SignInThrottle,
    key: str,
    user: StaffUser,
    client_id: str | None,
    address: str,
    methods: tuple[str, ...],
) -> None:
    throttle.succeeded(key)
    record_security_event(
        USER_SIGNED_IN,
        client_id=client_id,
        address=address,
        request_id=g.get("request_id"),
        user_id=str(user.id),
        at=utcnow().isoformat(),
        methods=list(methods),
    )


def _failed(throttle: SignInThrottle, key: str, address: str, client_id: str | None) -> int:
    """Count a failure; record the locks it sets. Returns the wait it causes."""
    wait, locks = throttle.failed(key, address)
    for kind in locks:
        record_security_event(
            kind,
            client_id=client_id,
            address=address,
            request_id=g.get("request_id"),
            email_key=key,
            failures=throttle.failures * (ADDRESS_FACTOR if kind == ADDRESS_LOCKED else 1),
            locked_seconds=throttle.seconds,
        )
    return wait


def init_signin(app: Any) -> None:
    app.extensions[_EXTENSION] = build_signin_throttle(app.config)
