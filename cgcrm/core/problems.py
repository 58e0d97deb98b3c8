"""The one place errors become HTTP: RFC 9457 problem+json for everything the API says.

The OAuth endpoints (``/oauth/*``) are the exception: OAuth clients parse RFC 6749 §5.2 error
JSON (``error``, ``error_description``), so every error there, including ours (405, 413, a lost
database, a 500), is rendered in that shape instead.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, has_request_context, json, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from cgcrm.core.errors import DomainError, problem

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
OAUTH_PREFIX = "/oauth/"
# RFC 6749 §4.1.2.1 / §5.2 error codes for the statuses our own handlers produce.
_OAUTH_ERRORS = {
    401: "invalid_client",
    403: "access_denied",
    429: "temporarily_unavailable",
    500: "server_error",
    503: "temporarily_unavailable",
}


def oauth_error(status: int, description: str) -> dict[str, str]:
    """An RFC 6749 error document for ``status``."""
    code = _OAUTH_ERRORS.get(status, "server_error" if status >= 500 else "invalid_request")
    return {"error": code, "error_description": description}


def _capped(errors: Any, budget: list[int]) -> Any:
    """``errors`` with at most ``budget[0]`` messages kept, depth first; spends the budget."""
    if isinstance(errors, dict):
        kept: dict[str, Any] = {}
        for key, value in errors.items():
            if budget[0] <= 0:
                break
            kept[key] = _capped(value, budget)
        return kept
    if isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        taken = errors[: max(budget[0], 1)]
        budget[0] -= len(taken)
        return taken
    budget[0] -= 1
    return errors


def _count(errors: Any) -> int:
    if isinstance(errors, dict):
        return sum(_count(value) for value in errors.values())
    if isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        return len(errors)
    return 1


def cap_errors(body: dict[str, Any]) -> dict[str, Any]:
    """A problem whose ``errors`` lists at most PROBLEM_MAX_ERRORS messages.

    A request with 100,000 bad items must not earn a 10 MB answer; the first messages say what
    is wrong, and ``errors_omitted`` how many more were left out.
    """
    errors = body.get("errors")
    if not errors:
        return body
    limit = int(current_app.config.get("PROBLEM_MAX_ERRORS", 50))
    total = _count(errors)
    if total <= limit:
        return body
    kept = _capped(errors, [limit])
    omitted = total - _count(kept)
    return {
        **body,
        "errors": kept,
        "errors_omitted": omitted,
        "detail": f"{body['detail']} ({omitted} more errors left out)",
    }


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """``body`` as problem+json, or as an OAuth error on the OAuth endpoints."""
    body = cap_errors(body)
    if has_request_context() and request.path.startswith(OAUTH_PREFIX):
        oauth_body = oauth_error(body["status"], body.get("detail") or body["title"])
        response = Response(
            json.dumps(oauth_body), status=body["status"], mimetype="application/json"
        )
        response.headers["Cache-Control"] = "no-store"
    else:
        response = Response(json.dumps(body), status=body["status"], mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _validation_errors(messages: Any) -> dict[str, Any]:
    """webargs nests messages by location ({"json": {...}}); clients want field -> messages."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    flat: dict[str, Any] = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            for name, detail in errors.items():
                key = name if location in {"json", "query", "querystring"} else f"{location}.{name}"
                flat[key] = detail
        else:
            flat[location] = errors
    return flat


def handle_domain_error(error: DomainError) -> Response:
    extra = dict(error.extra)
    headers: dict[str, str] = {}
    www_error = extra.pop("www_error", None)
    retry_after = extra.pop("retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, int(retry_after)))
    elif error.status == 429:
        headers["Retry-After"] = "1"  # every 429 names when to retry (the document requires it)
    if error.status == 401 or www_error:
        value = 'Bearer realm="cgcrm"'
        if www_error:
            value += f', error="{www_error}"'
        headers["WWW-Authenticate"] = value
    body = problem(
        error.status, error.title, error.detail, slug=error.slug, errors=error.errors, **extra
    )
    return problem_response(body, headers)


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    title = error.name
    detail = error.description or title
    errors = None
    data = getattr(error, "data", None) or {}
    if status == 422 and "messages" in data:
        detail = "the request is invalid: see errors"
        errors = _validation_errors(data["messages"])
        title = "Invalid input"
    elif status == 400 and "messages" in data:
        detail = "the request body is not valid JSON"
        errors = _validation_errors(data["messages"])
    headers = {}
    allowed = getattr(error, "valid_methods", None)
    if status == 405 and allowed:
        headers["Allow"] = ", ".join(allowed)
    body = problem(status, title, detail, errors=errors)
    return problem_response(body, headers)


def handle_unexpected(error: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    body = problem(
        500,
        "Internal server error",
        "something went wrong on our side; the change, if any, was not saved",
    )
    return problem_response(body)


def handle_database_error(error: DBAPIError) -> Response:
    """A lost or unreachable database is a 503 the client may retry, not our bug."""
    if not (error.connection_invalidated or isinstance(error, OperationalError)):
        return handle_unexpected(error)
    log.warning("database unavailable on %s %s: %s", request.method, request.path, error.orig)
    body = problem(
        503,
        "Service unavailable",
        "the database could not be reached; retry shortly (with the same Idempotency-Key for "
        "a create, so that it is not recorded twice)",
    )
    return problem_response(body, {"Retry-After": "1"})


def register_problem_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
