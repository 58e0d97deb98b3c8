"""Client authentication that does not tell known from unknown ids and locks out guessing.

- An unknown (or inactive) client id is checked against a stand-in hash of the same kind as a
  real one (``client_secrets``: one SHA-256 and a constant-time compare), so it is refused with
  the same answer in about the same time. A client whose stored hash is still argon2 (made
  before) costs more until its next successful check replaces it.
- Consecutive failures for one client id (``AUTH_LOCKOUT_FAILURES``, known or not) lock it for
  ``AUTH_LOCKOUT_SECONDS``: while locked it is refused with the same OAuth error as a wrong
  secret, plus ``Retry-After``, before any secret is hashed. Locking is a security event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from flask import current_app, g

from cgcrm.core.counters import SharedCounters
from cgcrm.core.ratelimit import caller_address
from cgcrm.core.security_events import CLIENT_LOCKED, record_security_event
from cgcrm.extensions import db
from cgcrm.identity.callers import claimed_client_id
from cgcrm.identity.client_secrets import check_client_secret, stand_in_hash
from cgcrm.identity.models import OAuthClient


class UnknownClient:
    """What ``query_client`` returns for an id with no active client: its secret check costs
    what a real one costs and always fails."""

    def __init__(self, client_id: str) -> None:
        self.client_id = client_id

    def check_client_secret(self, client_secret: str) -> bool:
        check_client_secret(stand_in_hash(), client_secret)
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in {"client_secret_basic", "client_secret_post"}

    # At the authorization endpoint an unknown id has no redirect URI, so nothing redirects.
    name = "an unknown client"
    scope = ""

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def get_default_redirect_uri(self) -> None:
        return None

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return False


class ClientLocked(InvalidClientError):  # type: ignore[misc]
    """Authlib's answer to a wrong secret, with Retry-After."""

    def __init__(self, methods: Sequence[str], retry_after: int) -> None:
        # The words and status Authlib's ClientAuthentication gives a failed secret check.
        super().__init__(
            status_code=401 if "client_secret_basic" in methods else 400,
            description=f"The client cannot authenticate with methods: {list(methods)}",
        )
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, ("Retry-After", str(self.retry_after))]


class ClientLockout:
    """Consecutive authentication failures per claimed client id, and the locks they cause.

    :param failures: failures in a row that lock the id.
    :param seconds: how long a lock lasts; failures are forgotten this long after the last.
    """

    def __init__(self, counters: SharedCounters, failures: int, seconds: int) -> None:
        self.counters = counters
        self.failures = failures
        self.seconds = seconds

    def locked_for(self, client_id: str) -> int:
        """Seconds the id stays locked (0: not locked)."""
        return self.counters.ttl(f"authlock:{client_id}")

    def failed(self, client_id: str) -> bool:
        """Count a failure; True when it locks the id (and the count starts again)."""
        if self.counters.hit([(f"authfail:{client_id}", self.seconds)])[0] < self.failures:
            return False
        self.counters.set(f"authlock:{client_id}", self.seconds)
        self.counters.delete(f"authfail:{client_id}")
        return True

    def succeeded(self, client_id: str) -> None:
        self.counters.delete(f"authfail:{client_id}")


def build_lockout(config: Any, prefix: str | None = None) -> ClientLockout:
    """The lockout from settings; its counters live beside the rate limits'."""
    counters = SharedCounters(
        config["REDIS_URL"],
        prefix=(config["QUEUE_NAMESPACE"] if prefix is None else prefix) + "auth:",
        timeout=config["RATE_LIMIT_REDIS_TIMEOUT"],
        retry_after=config["RATE_LIMIT_REDIS_RETRY"],
    )
    return ClientLockout(counters, config["AUTH_LOCKOUT_FAILURES"], config["AUTH_LOCKOUT_SECONDS"])


def authenticate_with_lockout(
    authenticate: Callable[..., Any], oauth_request: Any, methods: Sequence[str], endpoint: str
) -> Any:
    """Run Authlib's client authentication unless the claimed id is locked; count the outcome.

    :raises ClientLocked: the id is locked, or this failure locked it.
    :raises InvalidClientError: authentication failed.
    """
    lockout: ClientLockout = current_app.extensions["cgcrm.lockout"]
    claimed = claimed_client_id()
    if claimed is None:
        return authenticate(oauth_request, methods, endpoint)
    key = claimed[:80]  # real ids have at most 64 characters; a probe's may be any length
    wait = lockout.locked_for(key)
    if wait:
        raise ClientLocked(methods, wait)
    try:
        client = authenticate(oauth_request, methods, endpoint)
    except InvalidClientError as error:
        if not lockout.failed(key):
            raise
        record_security_event(
            CLIENT_LOCKED,
            client_id=claimed,
            address=caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"]),
            request_id=g.get("request_id"),
            failures=lockout.failures,
            locked_seconds=lockout.seconds,
            endpoint=endpoint,
        )
        raise ClientLocked(methods, lockout.seconds) from error
    lockout.succeeded(key)
    return client


def keep_upgraded_secret_hash(client: Any) -> None:
    """Commit the new stored hash of a client whose older (argon2) one just matched.

    Client authentication is the first thing every OAuth endpoint does, so nothing else is
    pending in the session and the UPDATE joins the transaction that read the client; the
    client-credentials grant writes nothing and would never commit it. Once a client.
    """
    if isinstance(client, OAuthClient) and db.session.is_modified(client):
        db.session.commit()
