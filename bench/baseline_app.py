"""The floor for GET /api/v1/citizens/{id}: a minimal Flask app, one raw psycopg SELECT.

No auth, no ORM, no schema, no audit: what Flask + gunicorn + one primary-key lookup cost on
this machine. Run it as the real app is run (bench/get_throughput.py does):

    BASELINE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cgcrm_bench \\
        .venv/bin/gunicorn -w 2 -b 127.0.0.1:8001 baseline_app:app    # from bench/
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import psycopg
from flask import Flask, abort, jsonify
from psycopg.rows import dict_row

DATABASE_URL = os.environ.get(
    "BASELINE_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/cgcrm_bench"
)
COLUMNS = (
    "id, status, given_name, middle_names, family_name, preferred_name, date_of_birth, "
    "date_of_death, preferred_channel, preferred_language, accessibility_needs, "
    "merged_into_id, version, created_at, updated_at"
)
QUERY = "SELECT " + COLUMNS + " FROM citizens WHERE id = %s"

app = Flask(__name__)
_connection: psycopg.Connection[dict[str, Any]] | None = None


def connection() -> psycopg.Connection[dict[str, Any]]:
    """One connection per worker process, opened after gunicorn forks."""
    global _connection
    if _connection is None or _connection.closed:
        _connection = psycopg.connect(DATABASE_URL, autocommit=True, row_factory=dict_row)
    return _connection


@app.get("/healthz")
def healthz() -> Any:
    return {"status": "ok"}


@app.get("/citizens/<uuid:citizen_id>")
def get_citizen(citizen_id: uuid.UUID) -> Any:
    row = connection().execute(QUERY, (citizen_id,)).fetchone()
    if row is None:
        abort(404)
    return jsonify(row)
