"""Rate limits (cgcrm/core/ratelimit.py): "<requests>/<seconds>", a fixed window per key."""

from __future__ import annotations

from cgcrm.settings.core import Setting

RATE_LIMITS: tuple[Setting, ...] = (
    Setting("RATE_LIMIT_ENABLED", bool, True, "Refuse requests over the rate limits with 429."),
    Setting(
        "RATE_LIMIT_API_PER_CLIENT",
        str,
        "3000/60",
        "Requests to /api/ one OAuth client may send per window, from all its addresses.",
    ),
    Setting(
        "RATE_LIMIT_API_PER_ADDRESS",
        str,
        "6000/60",
        "Requests to /api/ one network address may send per window, whatever the client.",
    ),
    Setting(
        "RATE_LIMIT_OAUTH_PER_CLIENT",
        str,
        "600/60",
        "Requests to /oauth/* naming one client id may send per window. A client's secret is a "
        "cheap hash and guessing one locks the client id, so this is sized for a staff console "
        "whose every user's sign-ins and refreshes name its one client id.",
    ),
    Setting(
        "RATE_LIMIT_OAUTH_PER_ADDRESS",
        str,
        "20/60",
        "Requests to /oauth/* one network address may send per window (each may hash a secret).",
    ),
    Setting(
        "RATE_LIMIT_PUBLIC_PER_ADDRESS",
        str,
        "30/60",
        "Requests one network address may send without a token to the views open to anyone "
        "(the satisfaction survey page and its answers) per window.",
    ),
    Setting(
        "RATE_LIMIT_PROXY_HOPS",
        int,
        0,
        "Reverse proxies in front of the app that append to X-Forwarded-For; the address limited "
        "is the one the outermost trusted proxy saw. 0: the TCP peer (no proxy).",
    ),
    Setting(
        "RATE_LIMIT_REDIS_TIMEOUT",
        float,
        0.25,
        "Seconds a rate-limit round trip to Redis may take before the process falls back to "
        "counting in its own memory.",
    ),
    Setting(
        "RATE_LIMIT_REDIS_RETRY",
        float,
        5.0,
        "Seconds a process counts in memory after Redis failed before it tries Redis again.",
    ),
)
