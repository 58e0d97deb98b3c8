"""The process, its database and Redis, HTTP and logging."""

from __future__ import annotations

from cgcrm.settings.core import Setting

RUNTIME: tuple[Setting, ...] = (
    Setting("ENV", str, "development", "One of development, test, production."),
    Setting(
        "SECRET_KEY",
        str,
        "",
        "Signs sessions and derives the identifier encryption and blind-index keys when "
        "ENCRYPTION_KEYS is empty. Required in production.",
    ),
    Setting(
        "DATABASE_URL",
        str,
        "",
        "SQLAlchemy URL. postgresql://… in production (psycopg 3 is used); empty means an "
        "SQLite file under instance/. Required in production.",
    ),
    Setting("REDIS_URL", str, "redis://127.0.0.1:6379/0", "Redis for queues and readiness."),
    Setting(
        "POOL_PING_AFTER_IDLE",
        float,
        1.0,
        "Seconds a pooled database connection may sit idle before it is tested at checkout; "
        "connections in use more recently are trusted (see cgcrm/core/pool.py).",
    ),
    Setting(
        "HSTS_MAX_AGE",
        int,
        31536000,
        "max-age of Strict-Transport-Security, sent in production only; 0 sends none.",
    ),
    Setting("PORT", int, 5000, "Port of `make run`."),
    Setting("LOG_LEVEL", str, "INFO", "Python logging level."),
    Setting("SQL_ECHO", bool, False, "Log every SQL statement (debugging only)."),
)
