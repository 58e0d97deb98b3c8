"""HTTP conventions shared by every blueprint: request ids, ETag/If-Match, JSON bodies,
security headers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask.sessions import SessionInterface
from marshmallow import ValidationError as MarshmallowError

from cgcrm.core.access import view_handler
from cgcrm.core.errors import (
    MalformedRequest,
    PreconditionRequired,
    UnsupportedMediaType,
    ValidationError,
)
from cgcrm.core.fields import Text

F = TypeVar("F", bound=Callable[..., Any])

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Strong comparison (RFC 9110 §13.1.1): a weak validator never satisfies If-Match.
_ETAG = re.compile(r'^"v(\d{1,18})"$')

# Public documents without personal data that any cache may keep (when 200 or 304). Every
# other response, errors included, is ``no-store``: most carry personal data, and one rule for
# all authenticated answers (the catalog too) leaves no room for a cache to keep the wrong one.
CACHEABLE = {
    "api-docs.openapi_json": "public, max-age=300",
    "oauth.jwks": "public, max-age=300",
    "oauth.server_metadata": "public, max-age=300",
    "swagger_ui_assets.static": "public, max-age=86400",
    # The staff console's front-end files (npm packages and its own script).
    "console.assets": "public, max-age=3600",
    "console.static": "public, max-age=3600",
}
# JSON is never a page: it may load nothing and be framed nowhere.
DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'none'"
# HTML pages (the Swagger UI at /api/docs) load only our own files; their inline scripts are
# allowed by hash. Swagger UI sets inline styles, so styles alone may be inline.
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)
FORM_BODY = "application/x-www-form-urlencoded"
_FORM_ATTR = "_cgcrm_accepts_form_posts"
_BODY_TYPES_ATTR = "_cgcrm_body_media_types"


class NoCookieSessions(SessionInterface):
    """The API is stateless (bearer tokens), so no request reads or signs a session cookie.

    Flask's default opens a signed-cookie session on every request; Flask substitutes a
    ``NullSession``, which refuses writes, when this returns None.
    """

    def open_session(self, app: Flask, request: object) -> None:
        return None

    def save_session(self, app: Flask, session: object, response: Response) -> None:
        return None


def assign_request_id() -> None:
    """Adopt the caller's X-Request-ID when well-formed (it correlates logs across systems)."""
    supplied = request.headers.get("X-Request-ID", "")
    g.request_id = supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex


def echo_request_id(response: Response) -> Response:
    response.headers["X-Request-ID"] = getattr(g, "request_id", "")
    return response


def _page_policy(response: Response) -> str:
    hashes = ""
    if not (response.direct_passthrough or response.is_streamed):
        for script in _INLINE_SCRIPT.findall(response.get_data()):
            digest = base64.b64encode(hashlib.sha256(script).digest()).decode()
            hashes += f" 'sha256-{digest}'"
    policy = PAGE_POLICY.format(hashes=hashes)
    # A form whose post redirects elsewhere (the sign-in page back to an OAuth client) names
    # that origin, or browsers enforcing form-action on redirects would block it.
    extra = g.get("form_action_sources")
    return policy.replace("form-action 'self'", f"form-action 'self' {extra}") if extra else policy


def add_security_headers(response: Response) -> Response:
    """``after_request`` for every response: caching, sniffing, framing, referrers, CSP, HSTS."""
    headers = response.headers
    cacheable = response.status_code in {200, 304} and CACHEABLE.get(request.endpoint or "")
    headers["Cache-Control"] = cacheable or "no-store"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    page = response.mimetype == "text/html"
    # A page may send a stricter policy of its own (the sandbox card page: no script at all).
    if not (page and "Content-Security-Policy" in headers):
        headers["Content-Security-Policy"] = _page_policy(response) if page else DOCUMENT_POLICY
    max_age = current_app.config["HSTS_MAX_AGE"]
    if current_app.config["ENV"] == "production" and max_age > 0:
        headers["Strict-Transport-Security"] = f"max-age={max_age}; includeSubDomains"
    return response


def accepts_form_posts(view: F) -> F:
    """Declare that an API write also takes an HTML form's urlencoded body: a page that works
    without JavaScript cannot post JSON. The view reads ``request.form`` itself."""
    setattr(view, _FORM_ATTR, True)
    return view


def require_json_body() -> None:
    """415 for API writes that do not declare a JSON body (OAuth endpoints take forms, and so
    do views marked ``accepts_form_posts``; views marked ``accepts_bodies`` take files)."""
    writes = request.method in {"POST", "PUT", "PATCH"}
    if not (writes and request.path.startswith("/api/")) or request.routing_exception:
        return  # no route or no such method: the 404 or 405 comes first
    handler = view_handler(current_app, request.endpoint, request.method)
    if request.mimetype == FORM_BODY and getattr(handler, _FORM_ATTR, False):
        return
    if request.mimetype in getattr(handler, _BODY_TYPES_ATTR, ()):
        return
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        json.loads(request.get_data(cache=True))
    except RecursionError as exc:
        # The JSON parser recurses per nesting level; a hostile body must not become a 500.
        raise MalformedRequest("the JSON body is nested too deeply") from exc
    except ValueError as exc:
        raise MalformedRequest(f"the body is not valid JSON: {exc}") from exc


def accepts_bodies(*media_types: str) -> Callable[[F], F]:
    """Declare that an API write takes a file of these media types (CSV, NDJSON) as its body
    instead of JSON. The view reads and bounds ``request`` itself."""

    def mark(view: F) -> F:
        setattr(view, _BODY_TYPES_ATTR, frozenset(media_types))
        return view

    return mark


def body_media_types(view: Any) -> frozenset[str]:
    """The file media types a view marked ``accepts_bodies`` takes (none for JSON views)."""
    return frozenset(getattr(view, _BODY_TYPES_ATTR, ()))


def etag_for(version: int) -> str:
    return f'"v{version}"'


def required_version() -> int:
    """The version named by If-Match.

    :raises PreconditionRequired: no If-Match, or ``*`` (which would defeat the check).
    :raises MalformedRequest: an If-Match that is not one of our ETags.
    """
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you read (GET the resource first)"
        )
    match = _ETAG.fullmatch(header)
    if not match:
        # Not an ETag this API issues ("v<version>", strong): a malformed request, as the
        # OpenAPI document describes If-Match, rather than a precondition that failed.
        raise MalformedRequest('If-Match must be an ETag this API sent, such as "v3"')
    return int(match.group(1))


ACCESS_REASON_HEADER = "X-Access-Reason"
_ACCESS_REASON = Text(max_length=200)


def access_reason() -> str | None:
    """The purpose the caller declared in ``X-Access-Reason``, held to the rules of free text.

    It is stored in the audit trail and read by auditors, so it gets the same checks as any
    text field; a header that breaks them is a 422 naming the header, not silently dropped.

    :raises ValidationError: not UTF-8, or text that ``Text`` refuses.
    """
    raw = request.headers.get(ACCESS_REASON_HEADER, "")
    try:
        # WSGI hands header bytes over as latin-1; clients send UTF-8.
        value = raw.encode("latin-1").decode("utf-8")
        reason = _ACCESS_REASON.deserialize(value)
    except (UnicodeError, MarshmallowError) as exc:
        messages = exc.messages if isinstance(exc, MarshmallowError) else ["not UTF-8"]
        raise ValidationError(
            f"the {ACCESS_REASON_HEADER} header is invalid",
            errors={f"header.{ACCESS_REASON_HEADER}": messages},
        ) from exc
    return reason or None
