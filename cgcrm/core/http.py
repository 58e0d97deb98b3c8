"""HTTP conventions shared by every blueprint: request ids, ETag/If-Match, JSON bodies."""

from __future__ import annotations

import json
import re
import uuid

from flask import Flask, Response, g, request
from flask.sessions import SessionInterface

from cgcrm.core.errors import (
    MalformedRequest,
    PreconditionRequired,
    UnsupportedMediaType,
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Strong comparison (RFC 9110 §13.1.1): a weak validator never satisfies If-Match.
_ETAG = re.compile(r'^"v(\d{1,18})"$')


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


def require_json_body() -> None:
    """415 for API writes that do not declare a JSON body (OAuth endpoints take forms)."""
    writes = request.method in {"POST", "PUT", "PATCH"}
    if not (writes and request.path.startswith("/api/")) or request.routing_exception:
        return  # no route or no such method: the 404 or 405 comes first
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        json.loads(request.get_data(cache=True))
    except RecursionError as exc:
        # The JSON parser recurses per nesting level; a hostile body must not become a 500.
        raise MalformedRequest("the JSON body is nested too deeply") from exc
    except ValueError as exc:
        raise MalformedRequest(f"the body is not valid JSON: {exc}") from exc


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
