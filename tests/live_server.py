"""A real gunicorn, started as `make run` starts it (config/gunicorn.conf.py), on a free loopback
port, serving the test application's database, Redis and signing key."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
# The settings the test application was given explicitly (tests/conftest.py); the rest come
# from config/test.py in the server process too.
PASSED_SETTINGS = ("DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY_FILE", "QUEUE_NAMESPACE")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def gunicorn_serving(
    app: Flask,
    log_file: Path,
    workers: int = 1,
    *,
    port: int | None = None,
    settings: dict[str, str] | None = None,
) -> Iterator[str]:
    """Serve ``wsgi:app`` with our gunicorn config; yield the base URL; stop it afterwards.

    :param port: a free port chosen beforehand (a server that must know its own address).
    :param settings: more ``CGCRM_*`` settings for the server, e.g. its ``JWT_ISSUER``.
    """
    port = port or free_port()
    env = {**os.environ, "CGCRM_ENV": "test", "PYTHONPATH": str(PROJECT_ROOT)}
    env |= {f"CGCRM_{name}": str(app.config[name]) for name in PASSED_SETTINGS}
    env |= {f"CGCRM_{name}": value for name, value in (settings or {}).items()}
    command = [
        str(GUNICORN),
        "--config",
        str(PROJECT_ROOT / "config" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "wsgi:app",
    ]
    base = f"http://127.0.0.1:{port}"
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(base, process, log_file)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log_file.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer: {log_file.read_text()[-2000:]}")
