"""The live stack the browser tests drive: a database of its own migrated to head with demo-like
data, gunicorn serving ``wsgi:app`` on a free loopback port, and a ``flask worker``.

Everything runs in subprocesses configured only through ``CGCRM_*`` variables, as a deployment
is; the test process drives the browser and never opens the application itself.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import sqlalchemy as sa

from tests.live_server import PROJECT_ROOT, _wait_ready, free_port

GUNICORN = Path(sys.executable).parent / "gunicorn"
CONSOLE_CLIENT_ID = "cgcrm-console"


@dataclass(frozen=True)
class LiveStack:
    base_url: str
    password: str
    staff: dict[str, str]  # role -> email
    known_citizens: list[str]  # ids of cgcrm.cli.KNOWN_DEMO_CITIZENS, in order
    console_client_id: str
    logs: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def email(self, role: str) -> str:
        return self.staff[role]


def _create_database(base_url: str, worker: str) -> str:
    url = sa.engine.make_url(base_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_browser_{worker}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def _process(
    command: list[str], env: dict[str, str], log_file: Path, grace: float = 20
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` in a session of its own (it and its children stop together); on the way
    out, SIGTERM, and SIGKILL if it has not stopped ``grace`` seconds later."""
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _purge_namespace(redis_url: str, namespace: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter(match=f"*{namespace}*", count=1000):
        connection.delete(key)
    connection.close()


@contextmanager
def live_stack(
    database_base_url: str, redis_url: str, worker: str, tmp: Path
) -> Iterator[LiveStack]:
    """Start the stack; yield it; stop everything and drop its database."""
    from cgcrm.identity.keys import _generate_pem

    key_file = tmp / "jwt.pem"
    key_file.write_bytes(_generate_pem())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    namespace = f"browser{os.getpid()}."
    console_secret = secrets.token_urlsafe(32)
    database_url = _create_database(database_base_url, worker)
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "CGCRM_ENV": "test",
        "CGCRM_DATABASE_URL": database_url,
        "CGCRM_REDIS_URL": redis_url,
        "CGCRM_QUEUE_NAMESPACE": namespace,
        "CGCRM_JWT_PRIVATE_KEY_FILE": str(key_file),
        "CGCRM_JWT_ISSUER": base,
        "CGCRM_AUDIT_CHECKPOINT_FILE": str(tmp / "audit-checkpoints.jsonl"),
        "CGCRM_CONSOLE_CLIENT_ID": CONSOLE_CLIENT_ID,
        "CGCRM_CONSOLE_CLIENT_SECRET": console_secret,
    }
    try:
        with ExitStack() as running:
            # gunicorn boots (imports, builds the app) while the seeding runs; it is asked to
            # answer only once the data is there. The worker starts after: its scheduler reads
            # the tables at once.
            server_log = tmp / "gunicorn.log"
            server = running.enter_context(
                _process(
                    [
                        str(GUNICORN),
                        "--config",
                        str(PROJECT_ROOT / "config" / "gunicorn.conf.py"),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "2",
                        "wsgi:app",
                    ],
                    env,
                    server_log,
                )
            )
            data = _seed(env, base, console_secret)
            running.enter_context(
                _process(
                    [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                    env,
                    tmp / "worker.log",
                    # Its warm shutdown waits for its threads' sleeps; nothing of it is kept.
                    grace=3,
                )
            )
            _wait_ready(base, server, server_log)
            yield LiveStack(
                base_url=base,
                password=data["password"],
                staff=data["staff"],
                known_citizens=data["known_citizens"],
                console_client_id=CONSOLE_CLIENT_ID,
                logs=tmp,
            )
    finally:
        _purge_namespace(redis_url, namespace)
        _drop_database(database_url)


def _seed(env: dict[str, str], base: str, console_secret: str) -> dict[str, Any]:
    """Run tests/browser/seed_stack.py in a process of its own; what it created."""
    seeded = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.browser.seed_stack",
            "--console-client-id",
            CONSOLE_CLIENT_ID,
            "--console-redirect-uri",
            f"{base}/console/callback",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        input=console_secret + "\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    if seeded.returncode != 0:
        raise RuntimeError(f"seeding the browser stack failed:\n{seeded.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(seeded.stdout.strip().splitlines()[-1])
    return result
