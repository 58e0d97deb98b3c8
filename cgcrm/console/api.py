"""The console's client to the public API: HTTP only, with the signed-in user's own token.

``CONSOLE_API_URL`` names the API; empty, requests go in-process through
``httpx.WSGITransport`` to this very application: the same routing, guard, rate limits and
problem+json as over the network, without a socket. A 401 refreshes the tokens once (the
refresh token rotates) and retries; a failed refresh ends the session and raises
``SignInAgain``, which the console turns into a redirect to sign in.

Problem responses (RFC 9457) become ``ApiProblem``: status, title, detail and the field errors,
which pages show as the GOV.UK error summary and field messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import redis
from flask import current_app, g, has_request_context, request

from cgcrm.console.session import ConsoleSession, reload, session, write
from cgcrm.core.ratelimit import caller_address

# Refresh a little before the access token expires, not after a refused call.
EXPIRY_MARGIN = 30
TIMEOUT = httpx.Timeout(10.0, connect=3.0)


class SignInAgain(Exception):
    """The session's tokens no longer work; the user must sign in again."""


@dataclass
class ApiProblem(Exception):
    """A problem+json answer of the API (or a transport failure, as a 502-like problem)."""

    status: int
    title: str
    detail: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    type: str = "about:blank"
    body: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiProblem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = body.get("errors") or {}
        flat: dict[str, list[str]] = {}
        if isinstance(errors, dict):
            _flatten(errors, "", flat)
        return cls(
            status=response.status_code,
            title=str(body.get("title") or response.reason_phrase or "Error"),
            detail=str(body.get("detail") or ""),
            errors=flat,
            type=str(body.get("type") or "about:blank"),
            body=body,
        )


def _flatten(errors: dict[str, Any], prefix: str, into: dict[str, list[str]]) -> None:
    """Marshmallow's nested messages ({"contact_points": {"0": {"value": [...]}}}) as dotted
    field names ("contact_points.0.value")."""
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            _flatten(value, name + ".", into)
        elif isinstance(value, list):
            into.setdefault(name, []).extend(str(v) for v in value if not isinstance(v, dict))
        else:
            into.setdefault(name, []).append(str(value))


class _InProcessTransport(httpx.WSGITransport):
    """In-process, the API sees the address of the browser the console is serving, as a
    network hop would pass it on: rate limits and throttles then count per person, not every
    staff user as 127.0.0.1."""

    @property  # type: ignore[override]
    def remote_addr(self) -> str:
        if has_request_context():
            return caller_address(current_app.config["RATE_LIMIT_PROXY_HOPS"])
        return "127.0.0.1"

    @remote_addr.setter
    def remote_addr(self, _ignored: str) -> None:
        """httpx sets a fixed address at construction; the browser's is read per request."""


def http_client() -> httpx.Client:
    """One pooled client per application: in-process or to CONSOLE_API_URL."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = app.extensions.get("cgcrm.console.http")
    if client is None:
        base = app.config["CONSOLE_API_URL"].rstrip("/")
        if base:
            client = httpx.Client(base_url=base, timeout=TIMEOUT)
        else:
            client = httpx.Client(transport=_InProcessTransport(app=app), timeout=TIMEOUT)
        app.extensions["cgcrm.console.http"] = client
    return cast(httpx.Client, client)


def url(path: str) -> str:
    """Where ``path`` of the API is. In-process, the API sees the host and scheme the browser
    used, so the links it builds (a card payment page, say) are ones the browser can follow."""
    if current_app.config["CONSOLE_API_URL"]:
        return path  # relative to the client's base URL
    return request.host_url.rstrip("/") + path


def client_credentials() -> tuple[str, str]:
    """The console's own OAuth client id and secret (``flask seed`` keeps the demo's)."""
    config = current_app.config
    secret = config["CONSOLE_CLIENT_SECRET"] or _stored_secret()
    return config["CONSOLE_CLIENT_ID"], secret


def _stored_secret() -> str:
    import json
    from pathlib import Path

    path = Path(current_app.instance_path) / "console-client.json"
    try:
        stored = json.loads(path.read_text())
    except (OSError, ValueError):
        return ""
    if stored.get("client_id") != current_app.config["CONSOLE_CLIENT_ID"]:
        return ""
    return str(stored.get("client_secret") or "")


def _headers(extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = {"Accept": "application/json, application/problem+json"}
    request_id = g.get("request_id")
    if request_id:
        headers["X-Request-ID"] = request_id  # one id across the page and its API calls
    return headers | (extra or {})


def token_request(data: dict[str, str]) -> httpx.Response:
    """POST the console's client-authenticated form to an OAuth endpoint path in ``data``."""
    path = data.pop("_path", "/oauth/token")
    return http_client().post(
        url(path),
        data=data,
        auth=client_credentials(),
        headers=_headers({"Accept": "application/json"}),
    )


def store_tokens(current: ConsoleSession, tokens: dict[str, Any]) -> None:
    current.set("access_token", tokens["access_token"])
    if tokens.get("refresh_token"):
        current.set("refresh_token", tokens["refresh_token"])
    current.set("expires_at", int(time.time()) + int(tokens.get("expires_in") or 0))


def _lock(current: ConsoleSession) -> Any:
    connection = cast(redis.Redis, current_app.extensions["cgcrm.redis"])
    return connection.lock(f"cgcrm:console:refresh:{current.sid}", timeout=15, blocking_timeout=10)


def refresh_tokens(used: str) -> str:
    """A new access token for the session, whose access token ``used`` was refused or is due.

    Requests of one page (htmx fires several) may need it at once, and a refresh token used
    twice revokes the whole sign-in: so one refreshes under a lock, and the others find the
    new token in the session when they get the lock.

    :raises SignInAgain: no refresh token, or the server refused it.
    """
    current = session()
    with _lock(current):
        current = reload()
        if current.get("access_token") and current["access_token"] != used:
            return str(current["access_token"])
        refresh = current.get("refresh_token")
        if not refresh:
            raise SignInAgain()
        response = token_request({"grant_type": "refresh_token", "refresh_token": refresh})
        if response.status_code != 200:
            current.drop("access_token")
            current.drop("refresh_token")
            current.drop("user")
            write(current)
            raise SignInAgain()
        store_tokens(current, response.json())
        write(current)
        return str(current["access_token"])


class Api:
    """Calls with the signed-in user's token; answers are JSON or ``ApiProblem``."""

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        current = session()
        token = current.get("access_token")
        if not token:
            raise SignInAgain()
        if int(current.get("expires_at") or 0) - EXPIRY_MARGIN < time.time():
            token = refresh_tokens(token)
        headers = kwargs.pop("headers", None)
        response = self._send(method, path, token, headers, kwargs)
        if response.status_code == 401:
            token = refresh_tokens(token)
            response = self._send(method, path, token, headers, kwargs)
            if response.status_code == 401:
                raise SignInAgain()
        if response.status_code >= 400:
            raise ApiProblem.from_response(response)
        return response

    def _send(
        self,
        method: str,
        path: str,
        token: str,
        headers: dict[str, str] | None,
        kwargs: dict[str, Any],
    ) -> httpx.Response:
        sent = _headers({"Authorization": f"Bearer {token}"} | (headers or {}))
        try:
            return http_client().request(method, url(path), headers=sent, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiProblem(502, "The API did not answer", detail=str(exc)) from exc

    def get(self, path: str, params: Any = None, **kwargs: Any) -> Any:
        return self.request("GET", path, params=params, **kwargs).json()

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        response = self.request("POST", path, json=json, **kwargs)
        return response.json() if response.content else None


def api() -> Api:
    """The API, as the signed-in user."""
    return Api()
