"""The console's server-side sessions: a random id in cookie ``cgcrm_console``, data in Redis.

The browser never sees a token: the session holds the user's access and refresh tokens, who
they are (``GET /api/v1/me`` at sign-in), the CSRF token and, during a sign-in, its PKCE
verifier, state and nonce. Redis keeps each session under the SHA-256 of its id (a copy of
Redis does not give away live cookies) and forgets it after CONSOLE_SESSION_SECONDS unused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

import redis
from flask import Response, current_app, g, redirect, request, url_for

COOKIE = "cgcrm_console"
_KEY = "cgcrm:console:session:"
F = TypeVar("F", bound=Callable[..., Any])


class ConsoleSession(dict[str, Any]):
    """One session's data; ``sid`` is None until it is first saved."""

    def __init__(self, sid: str | None = None, data: dict[str, Any] | None = None) -> None:
        super().__init__(data or {})
        self.sid = sid
        self.modified = False
        self.ended = False

    def set(self, key: str, value: Any) -> None:
        self[key] = value
        self.modified = True

    def drop(self, key: str) -> None:
        if self.pop(key, None) is not None:
            self.modified = True


def _redis() -> redis.Redis:
    return cast(redis.Redis, current_app.extensions["cgcrm.redis"])


def _key(sid: str) -> str:
    return _KEY + hashlib.sha256(sid.encode()).hexdigest()


def _ttl() -> int:
    return int(current_app.config["CONSOLE_SESSION_SECONDS"])


def open_session() -> ConsoleSession:
    """``before_request``: the session the cookie names, or a new empty one."""
    sid = request.cookies.get(COOKIE, "")
    if 20 <= len(sid) <= 64:
        raw = _redis().get(_key(sid))
        if raw is not None:
            return ConsoleSession(sid, json.loads(raw))
    return ConsoleSession()


def session() -> ConsoleSession:
    found = g.get("console_session")
    if found is None:
        found = g.console_session = open_session()
    return cast(ConsoleSession, found)


def reload() -> ConsoleSession:
    """Read this request's session again from Redis (another request may have refreshed the
    tokens meanwhile); keeps what this request changed only if it saves nothing else."""
    current = session()
    if current.sid is None:
        return current
    raw = _redis().get(_key(current.sid))
    current.clear()
    if raw is not None:
        current.update(json.loads(raw))
    return current


def write(current: ConsoleSession) -> None:
    """Store the session now (not only when the response leaves: the token refresh must be
    visible to the requests running beside this one)."""
    if current.sid is None:
        current.sid = secrets.token_urlsafe(32)
    _redis().set(_key(current.sid), json.dumps(current), ex=_ttl())
    current.modified = False
    g.console_cookie_due = True


def rotate(current: ConsoleSession) -> None:
    """Give the session a new id (at sign-in: an id planted before cannot ride the sign-in)."""
    if current.sid is not None:
        _redis().delete(_key(current.sid))
    current.sid = None
    current.modified = True


def end(current: ConsoleSession) -> None:
    if current.sid is not None:
        _redis().delete(_key(current.sid))
    current.clear()
    current.ended = True


def save_session(response: Response) -> Response:
    """``after_request``: store a changed session, keep a used one alive, set the cookie."""
    current = g.get("console_session")
    if current is None:
        return response
    secure = bool(current_app.config["CONSOLE_COOKIE_SECURE"])
    path = url_for("console.home")
    if current.ended:
        response.delete_cookie(COOKIE, path=path, secure=secure, httponly=True, samesite="Lax")
        return response
    if current.modified:
        write(current)
    elif current.sid is not None:
        _redis().expire(_key(current.sid), _ttl())
    if g.pop("console_cookie_due", False) and current.sid is not None:
        response.set_cookie(
            COOKIE, current.sid, path=path, secure=secure, httponly=True, samesite="Lax"
        )
    return response


@dataclass(frozen=True)
class User:
    """The signed-in staff user, as ``GET /api/v1/me`` described them at sign-in."""

    id: str
    name: str
    email: str
    department: str | None
    roles: tuple[str, ...]
    scopes: frozenset[str]

    @classmethod
    def from_me(cls, me: dict[str, Any]) -> User:
        return cls(
            id=str(me["id"]),
            name=me.get("name") or me.get("email") or str(me["id"]),
            email=me.get("email") or "",
            department=me.get("department"),
            roles=tuple(me.get("roles") or ()),
            scopes=frozenset(me.get("scopes") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "department": self.department,
            "roles": list(self.roles),
            "scopes": sorted(self.scopes),
        }

    def can(self, scope: str) -> bool:
        return scope in self.scopes


def current_user() -> User | None:
    """The signed-in user, or None."""
    me = session().get("user")
    return User.from_me(me) if me and session().get("access_token") else None


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path inside the console, never another site."""
    home = url_for("console.home")
    if not target or not target.startswith(home) or "//" in target or "\\" in target:
        return home
    return target


def signin_url(target: str | None = None) -> str:
    nxt = safe_next(target)
    return url_for("console.signin") + ("?" + urlencode({"next": nxt}) if nxt else "")


def signin_required(view: F) -> F:
    """Send a signed-out visitor to sign in, and back here afterwards. An htmx request is told
    to load the sign-in page as a whole page (``HX-Redirect``), not inside a fragment."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = signin_url(request.full_path.rstrip("?") if request.method == "GET" else None)
            if request.headers.get("HX-Request"):
                response = Response(status=204)
                response.headers["HX-Redirect"] = target
                return response
            return redirect(target)
        return view(*args, **kwargs)

    return cast(F, wrapper)


def flash(message: str) -> None:
    """A success message for the next page this user sees (the GOV.UK success banner)."""
    session().set("flash", message)


def take_flash() -> str | None:
    current = session()
    message = current.get("flash")
    if message:
        current.drop("flash")
    return str(message) if message else None
