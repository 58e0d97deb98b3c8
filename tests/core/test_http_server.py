"""The HTTP server's own refusals are problem+json, and its banner does not name gunicorn.

A real gunicorn (config/gunicorn.conf.py, as `make run` starts it) on a free loopback port;
raw sockets, because an HTTP client library refuses to send most of these requests.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask

from tests.live_server import gunicorn_serving


@pytest.fixture(scope="module")
def server(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    log_file = Path(tmp_path_factory.mktemp("gunicorn")) / "gunicorn.log"
    with gunicorn_serving(app, log_file) as base:
        parts = urlsplit(base)
        assert parts.hostname and parts.port
        yield parts.hostname, parts.port


def _exchange(server: tuple[str, int], raw: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(server, timeout=10) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


LONG_LINE = b"GET /api/v1/citizens?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
LARGE_HEADER = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 9000 + b"\r\n\r\n"
MANY_HEADERS = (
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-H%d: 1\r\n" % i for i in range(120))
    + b"\r\n"
)
NUL_IN_IDEMPOTENCY_KEY = (
    b"POST /api/v1/citizens HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x00b\r\n"
    b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)
BAD_HEADER_NAME = b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n"
MALFORMED_LINE = b"THIS IS NOT HTTP\r\n\r\n"
BAD_VERSION = b"GET /healthz HTTP/7.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (LONG_LINE, 414),
        (LARGE_HEADER, 431),
        (MANY_HEADERS, 431),
        (NUL_IN_IDEMPOTENCY_KEY, 400),
        (BAD_HEADER_NAME, 400),
        (MALFORMED_LINE, 400),
        (BAD_VERSION, 400),
    ],
    ids=[
        "uri-too-long",
        "header-too-large",
        "too-many-headers",
        "nul-in-header",
        "bad-header-name",
        "malformed",
        "bad-version",
    ],
)
def test_refusals_are_problem_documents(server: tuple[str, int], raw: bytes, status: int) -> None:
    code, headers, body = _exchange(server, raw)
    assert code == status, body
    assert headers["content-type"] == "application/problem+json"
    assert int(headers["content-length"]) == len(body)
    document = json.loads(body)
    assert document["status"] == status
    assert {"type", "title", "detail"} <= set(document)
    assert "gunicorn" not in headers.get("server", "").lower()
    assert b"<html" not in body.lower()


def test_the_banner_does_not_name_gunicorn(server: tuple[str, int]) -> None:
    code, headers, _ = _exchange(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert code == 200
    assert "gunicorn" not in headers.get("server", "gunicorn").lower()
    code, headers, _ = _exchange(server, b"GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n")
    assert code == 404
    assert headers["content-type"] == "application/problem+json"
    assert "gunicorn" not in headers.get("server", "gunicorn").lower()
