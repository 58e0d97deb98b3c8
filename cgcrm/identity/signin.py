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
"""

from __future__ import annotations

import hashlib
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

SLOW_AFTER = 3
MAX_SLOW_SECONDS = 60
ADDRESS_FACTOR = 4
USER_LOCKED = "user.locked"
ADDRESS_LOCKED = "address.locked"
USER_SIGNED_IN = "user.signed_in"
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


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


def check_credentials(email: str, password: str, client_id: str | None) -> SignInOutcome:
    """The user these credentials sign in, or None with the wait before the next attempt."""
    throttle: SignInThrottle = current_app.extensions[_EXTENSION]
    key = email_key(email)
    address = caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"])
    wait = throttle.wait_for(key, address)
    if wait:
        return SignInOutcome(None, wait)
    normalised = email.strip().lower()
    user = None
    if 0 < len(normalised) <= 254 and "\x00" not in normalised:
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == normalised))
    matches, rehash = verify_password(user.password_hash if user else None, password)
    if user is not None and matches and user.active and user.department_id is not None:
        throttle.succeeded(key)
        if rehash and len(password) <= MAX_LENGTH:
            user.password_hash = hash_password(password)
            db.session.commit()
        record_security_event(
            USER_SIGNED_IN,
            client_id=client_id,
            address=address,
            request_id=g.get("request_id"),
            user_id=str(user.id),
            at=utcnow().isoformat(),
        )
        return SignInOutcome(user)
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
    return SignInOutcome(None, wait)


def init_signin(app: Any) -> None:
    app.extensions[_EXTENSION] = build_signin_throttle(app.config)
