"""Rate limits per client and per network address, stricter on /oauth/* than on /api/.

Every request under a limited path adds one to two fixed-window counters, its address's and
(when it names one) its client's, in one Redis round trip, before the request is authenticated
or any secret is hashed; over either limit it is refused with 429. Responses carry the counter
closest to its limit as ``RateLimit-Policy`` and ``RateLimit``
(draft-ietf-httpapi-ratelimit-headers), and ``Retry-After`` when refused.

Which client a request belongs to is the identity layer's business: ``init_rate_limits`` takes
one function per policy that names the client (or None), so this module imports nothing above
``core``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request

from cgcrm.core.access import anonymous_allowed
from cgcrm.core.counters import SharedCounters
from cgcrm.core.errors import problem
from cgcrm.core.problems import problem_response
from cgcrm.settings import ConfigError

log = logging.getLogger(__name__)

# The first matching prefix decides the policy; other paths (health probes, JWKS) are not
# limited: probes must never be refused, and the JWKS is public and cacheable.
PATH_POLICIES = (("/oauth/", "oauth"), ("/api/", "api"))
# Callers without a token of ours at views open to anyone (``@allows_anonymous``: the survey
# page and its answers) are counted per address on this far tighter policy, wherever the path.
PUBLIC_POLICY = "public"
ClientOf = Callable[[], str | None]


@dataclass(frozen=True)
class Quota:
    """At most ``limit`` requests per fixed window of ``window`` seconds."""

    limit: int
    window: int

    @classmethod
    def parse(cls, setting: str, text: str) -> Quota:
        """``"120/60"``: 120 requests per 60 seconds.

        :raises ConfigError: not two positive integers.
        """
        limit, _, window = str(text).partition("/")
        try:
            quota = cls(int(limit), int(window))
        except ValueError:
            quota = cls(0, 0)
        if quota.limit < 1 or quota.window < 1:
            raise ConfigError(f"CGCRM_{setting}: expected <requests>/<seconds>, not {text!r}")
        return quota


@dataclass(frozen=True)
class Usage:
    """One counter after this request: what the ``RateLimit`` headers report."""

    quota: Quota
    remaining: int
    reset: int  # seconds until the window ends
    exceeded: bool


@dataclass(frozen=True)
class Policy:
    name: str
    per_client: Quota
    per_address: Quota
    client_of: ClientOf


def _key_part(value: str) -> str:
    """Identifiers come from callers: long or odd ones are hashed to a bounded key."""
    if len(value) <= 64 and value.isprintable():
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def caller_address(proxy_hops: int) -> str:
    """The caller's address: the TCP peer, or what the outermost of ``proxy_hops`` trusted
    proxies (each appending to X-Forwarded-For) saw."""
    if proxy_hops:
        forwarded = ",".join(request.headers.getlist("X-Forwarded-For")).split(",")
        hops = [hop.strip() for hop in forwarded if hop.strip()]
        if len(hops) >= proxy_hops:
            return hops[-proxy_hops]
    return request.remote_addr or "unknown"


class RateLimiter:
    """Counts requests per policy; one per application (``app.extensions``).

    :param counters: where the counts live.
    :param policies: by name (``api``, ``oauth``).
    :param proxy_hops: trusted proxies appending to X-Forwarded-For (0: the TCP peer).
    """

    def __init__(
        self, counters: SharedCounters, policies: Mapping[str, Policy], proxy_hops: int = 0
    ) -> None:
        self.counters = counters
        self.policies = dict(policies)
        self.proxy_hops = proxy_hops

    def policy_for(self, path: str) -> Policy | None:
        for prefix, name in PATH_POLICIES:
            if path.startswith(prefix):
                return self.policies[name]
        return None

    def policy_for_request(self) -> Policy | None:
        """This request's policy: ``public`` for a caller without a token of ours at a view
        that allows anonymous callers, else the one of its path."""
        public = self.policies.get(PUBLIC_POLICY)
        if (
            public is not None
            and anonymous_allowed(current_app, request.endpoint, request.method)
            and public.client_of() is None
        ):
            return public
        return self.policy_for(request.path)

    def address(self) -> str:
        return caller_address(self.proxy_hops)

    def count(self, policy: Policy) -> Usage:
        """Count this request against its address's and client's quotas; the tightest."""
        now = time.time()
        counted: list[tuple[str, Quota]] = [(f"address:{self.address()}", policy.per_address)]
        client = policy.client_of()
        if client:
            counted.append((f"client:{client}", policy.per_client))
        keys = [
            (f"rl:{policy.name}:{_key_part(who)}:{int(now // quota.window)}", quota.window + 1)
            for who, quota in counted
        ]
        usages = [
            Usage(
                quota=quota,
                remaining=max(0, quota.limit - hits),
                reset=max(1, math.ceil(quota.window - now % quota.window)),
                exceeded=hits > quota.limit,
            )
            for (_, quota), hits in zip(counted, self.counters.hit(keys), strict=True)
        ]
        exceeded = [usage for usage in usages if usage.exceeded]
        if exceeded:
            return max(exceeded, key=lambda usage: usage.reset)
        return min(usages, key=lambda usage: (usage.remaining, usage.reset))


def _policy(config: Mapping[str, Any], name: str, client_of: ClientOf) -> Policy:
    per_client, per_address = (
        f"RATE_LIMIT_{name.upper()}_PER_{who}" for who in ("CLIENT", "ADDRESS")
    )
    return Policy(
        name=name,
        per_client=Quota.parse(per_client, config[per_client]),
        per_address=Quota.parse(per_address, config[per_address]),
        client_of=client_of,
    )


def build_rate_limiter(
    config: Mapping[str, Any], client_of: Mapping[str, ClientOf], prefix: str | None = None
) -> RateLimiter:
    """A limiter from settings (``RATE_LIMIT_*``).

    :param client_of: per policy name, the function naming the request's client (``public``
        uses the ``api`` one: a caller with a token of ours is not anonymous).
    :param prefix: of the Redis keys; the deployment's ``QUEUE_NAMESPACE`` when None.
    :raises ConfigError: a malformed quota.
    """
    policies = {name: _policy(config, name, client_of[name]) for name in ("api", "oauth")}
    # Anonymous callers have no client to count: one quota, per address.
    public = Quota.parse("RATE_LIMIT_PUBLIC_PER_ADDRESS", config["RATE_LIMIT_PUBLIC_PER_ADDRESS"])
    policies[PUBLIC_POLICY] = Policy(PUBLIC_POLICY, public, public, client_of["api"])
    counters = SharedCounters(
        config["REDIS_URL"],
        prefix=config["QUEUE_NAMESPACE"] if prefix is None else prefix,
        timeout=config["RATE_LIMIT_REDIS_TIMEOUT"],
        retry_after=config["RATE_LIMIT_REDIS_RETRY"],
    )
    return RateLimiter(counters, policies, proxy_hops=config["RATE_LIMIT_PROXY_HOPS"])


def _refusal(usage: Usage) -> Response:
    # problem_response renders it as RFC 6749 error JSON on /oauth/* (temporarily_unavailable).
    detail = f"too many requests; retry in {usage.reset} seconds"
    return problem_response(problem(429, "Too many requests", detail, slug="too-many-requests"))


def enforce_rate_limits() -> Response | None:
    """``before_request``, ahead of authentication: refuse a request over its limits."""
    limiter: RateLimiter | None = current_app.extensions.get("cgcrm.ratelimiter")
    policy = limiter.policy_for_request() if limiter else None
    if limiter is None or policy is None:
        return None
    usage = g.rate_limit = limiter.count(policy)
    if not usage.exceeded:
        return None
    log.info(
        "rate limit %s;w=%s exceeded on %s %s from %s",
        usage.quota.limit,
        usage.quota.window,
        request.method,
        request.path,
        limiter.address(),
    )
    return _refusal(usage)


def add_rate_limit_headers(response: Response) -> Response:
    """``after_request``: the counter closest to its limit, and Retry-After when refused."""
    usage: Usage | None = g.get("rate_limit")
    if usage is not None:
        response.headers["RateLimit-Policy"] = f"{usage.quota.limit};w={usage.quota.window}"
        response.headers["RateLimit"] = (
            f"limit={usage.quota.limit}, remaining={usage.remaining}, reset={usage.reset}"
        )
        if usage.exceeded:
            response.headers["Retry-After"] = str(usage.reset)
    return response


def init_rate_limits(app: Flask, client_of: Mapping[str, ClientOf]) -> None:
    """Install the limiter (when ``RATE_LIMIT_ENABLED``) and its request hooks.

    ``enforce_rate_limits`` must run before authentication: register this before the guard.
    """
    if app.config["RATE_LIMIT_ENABLED"]:
        app.extensions["cgcrm.ratelimiter"] = build_rate_limiter(app.config, client_of)
    app.before_request(enforce_rate_limits)
    app.after_request(add_rate_limit_headers)
