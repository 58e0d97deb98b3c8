"""The gunicorn worker we serve with: the HTTP server's own refusals speak problem+json too.

gunicorn answers requests it cannot parse (request line or headers too long, too many headers,
invalid characters in a header, a malformed request line) before the application sees them,
with an HTML page of its own, and names itself in every ``Server`` header. This worker keeps
gunicorn's sync model and replaces both: the refusal is an RFC 9457 problem document with the
status gunicorn chose, and the banner is ours. ``config/gunicorn.conf.py`` selects it.
"""

from __future__ import annotations

import json
import logging
import ssl
import uuid
from typing import Any

import gunicorn.http.wsgi
from gunicorn import util
from gunicorn.http import errors
from gunicorn.workers.sync import SyncWorker

from cgcrm.core.errors import problem

log = logging.getLogger(__name__)
SERVER_BANNER = "cgcrm"
_DETAIL_LIMIT = 200

# The first matching class decides (subclasses before their bases). Every other parse error is
# a 400; anything else (including a response header the application got wrong) is a 500.
_REFUSALS: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], int, str], ...] = (
    (
        (errors.InvalidResponseHeader, errors.InvalidResponseHeaderName),
        500,
        "Internal server error",
    ),
    (errors.LimitRequestLine, 414, "URI too long"),
    (errors.LimitRequestHeaders, 431, "Request header fields too large"),
    (errors.ExpectationFailed, 417, "Expectation failed"),
    (errors.UnsupportedTransferCoding, 501, "Not implemented"),
    (errors.ConfigurationProblem, 500, "Internal server error"),
    ((errors.ForbiddenProxyRequest, ssl.SSLError), 403, "Forbidden"),
    (errors.ParseException, 400, "Bad request"),
)
_REASONS = {400: "Bad Request", 403: "Forbidden", 414: "URI Too Long", 417: "Expectation Failed"}
_REASONS |= {431: "Request Header Fields Too Large", 500: "Internal Server Error"}
_REASONS |= {501: "Not Implemented"}


def classify(exc: BaseException) -> tuple[int, str, str]:
    """The status, title and detail of the answer to a request gunicorn refused."""
    for kinds, status, title in _REFUSALS:
        if isinstance(exc, kinds):
            if status == 500:
                return status, title, "something went wrong on our side"
            detail = str(exc) or title
            if len(detail) > _DETAIL_LIMIT:
                detail = detail[:_DETAIL_LIMIT] + "…"
            return status, title, f"the HTTP request could not be read: {detail}"
    return 500, "Internal server error", "something went wrong on our side"


def problem_bytes(status: int, title: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document; the connection closes."""
    body = json.dumps(problem(status, title, detail)).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, title)}\r\n"
        f"Server: {SERVER_BANNER}\r\n"
        f"Date: {util.http_date()}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"X-Request-ID: {uuid.uuid4().hex}\r\n"
        "\r\n"
    )
    return head.encode("latin-1") + body


class ProblemWorker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, answering its own refusals with problem+json."""

    def init_process(self) -> None:
        # gunicorn has no setting for its banner; every response it frames reads this constant.
        gunicorn.http.wsgi.SERVER = SERVER_BANNER
        super().init_process()

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, title, detail = classify(exc)
        if status >= 500:
            self.log.exception("Error handling request")
        else:
            host = addr[0] if addr else ""
            self.log.warning("Invalid request from ip=%s: %s", host, exc)
        try:
            util.write_nonblock(client, problem_bytes(status, title, detail))
        except Exception:  # the client may be gone; there is no one left to tell
            self.log.debug("Failed to send error response.")
