"""A worker killed (SIGKILL) mid-import: run again, the job finishes the file, duplicating
nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask

from cgcrm.citizens.synthetic.generator import generate_citizens
from cgcrm.extensions import db
from cgcrm.integrations.imports.apply import run_import

ROWS = 1200
BATCH = 20
# Runs the import's job function in a process of its own, as an RQ work horse would.
JOB_PROCESS = """
import json, sys
from cgcrm import create_app
from cgcrm.integrations.imports.jobs import apply_import
app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    apply_import(sys.argv[2])
"""


def _progress(app: Flask, import_id: str) -> tuple[int, int]:
    with app.app_context():
        done, rows = db.session.execute(
            sa.text(
                "SELECT rows_done, (SELECT count(*) FROM import_rows WHERE import_id = :id) "
                "FROM citizen_imports WHERE id = :id"
            ),
            {"id": uuid.UUID(import_id)},
        ).one()
        db.session.remove()
    return int(done), int(rows)


def _resume_once_released(import_id: uuid.UUID) -> str:
    """``run_import`` as the job's retry runs it, once the killed worker's session has ended.

    The server ends a session whose client died when it reads the closed socket, a moment
    after the kill (longer on a loaded machine); until then the session's advisory lock holds
    and the job answers "running elsewhere", as it must while another worker runs it.
    """
    deadline = time.monotonic() + 30
    while (outcome := run_import(import_id, batch_size=BATCH)) == "running elsewhere":
        assert time.monotonic() < deadline, "the killed worker's lock was never released"
        time.sleep(0.1)
    return outcome


def test_a_killed_import_resumes_without_duplicates(app: Flask, rates: Any) -> None:
    people = list(generate_citizens(ROWS, seed=11))
    # Every tenth person twice in the file: the copies must link, before and after the kill.
    lines = [json.dumps(p) for p in people] + [json.dumps(p) for p in people[::10]]
    response = rates.post(
        "/api/v1/imports",
        data="\n".join(lines).encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202
    import_id = response.get_json()["id"]
    overrides = {
        key: app.config[key]
        for key in ("ENV", "DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY_FILE")
        if key in app.config
    } | {"IMPORT_BATCH_SIZE": BATCH}
    worker = subprocess.Popen(
        [sys.executable, "-c", JOB_PROCESS, json.dumps(overrides), import_id],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _progress(app, import_id)[0] < 5 * BATCH:
        assert worker.poll() is None, "the job finished before it could be killed"
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    killed_at, rows_then = _progress(app, import_id)
    total = len(lines)
    assert 0 < killed_at < total and killed_at == rows_then

    with app.app_context():
        assert _resume_once_released(uuid.UUID(import_id)) == "completed"
        db.session.remove()
    done = rates.get(f"/api/v1/imports/{import_id}").get_json()
    counts = done["counts"]
    assert done["status"] == "completed" and done["rows_done"] == total
    assert sum(counts.values()) == total and _progress(app, import_id) == (total, total)
    assert counts["rejected"] == 0
    with app.app_context():
        citizens = db.session.scalar(sa.text("SELECT count(*) FROM citizens"))
        duplicate_identifiers = db.session.scalar(
            sa.text(
                "SELECT count(*) FROM (SELECT system, value_index FROM external_identifiers "
                "GROUP BY 1, 2 HAVING count(*) > 1) d"
            )
        )
        db.session.remove()
    # One record per person: the copies linked to the first, wherever the kill fell.
    assert citizens == counts["created"] + counts["review"] <= ROWS
    assert counts["linked"] >= ROWS // 10
    assert duplicate_identifiers == 0
