"""CSRF protection for every POST under /console (synchroniser token, per session).

A form carries the session's token in hidden field ``csrf_token``; htmx sends it in header
``X-CSRF-Token``, read from ``<meta name="csrf-token">``. SameSite=Lax on the session cookie is
the first line; this is the second, for browsers and paths where Lax does not hold.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request

from cgcrm.console.session import session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token() -> str:
    """The session's token, made on first use (templates call it for every form)."""
    current = session()
    token = current.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        current.set("csrf", token)
    return str(token)


def csrf_ok() -> bool:
    """Whether an unsafe request carries the session's token."""
    if request.method not in UNSAFE_METHODS:
        return True
    expected = session().get("csrf")
    sent = request.headers.get(HEADER) or request.form.get(FIELD, "")
    return bool(expected) and bool(sent) and hmac.compare_digest(str(expected), sent)
