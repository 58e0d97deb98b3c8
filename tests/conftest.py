"""An application bound to real PostgreSQL (or SQLite for the smoke set) and real Redis.

The schema is built once per session by running the migrations into a database of this
session's own (one per xdist worker); each test starts from empty tables and the test catalog.
"""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from cgcrm import create_app
from cgcrm.catalog.codes import catalog_codes
from cgcrm.catalog.models import Channel, Department, IdentifierSystem, Service, ServiceChannelCost
from cgcrm.citizens.name_dictionary import name_dictionary
from cgcrm.extensions import db
from cgcrm.identity.service import create_client

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = os.environ.get("CGCRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CHANNELS = [
    ("web", "Website", "digital"),
    ("mobile_app", "Mobile app", "digital"),
    ("email", "Email", "digital"),
    ("chat", "Web chat", "digital"),
    ("phone", "Phone", "assisted"),
    ("counter", "Counter", "assisted"),
    ("mail", "Post", "assisted"),
    ("outreach", "Outreach", "assisted"),
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``--dist loadgroup`` (make test) group again: pytest-xdist 3.8 marks a grouped test
    by renaming ``item._nodeid``, which pytest 9 no longer reads (the id lives in ``item._id``),
    so every ``xdist_group`` was ignored and, e.g., the browser tests started one live stack per
    worker. This does the renaming xdist meant, on the attribute pytest reads. Remove it once
    pytest-xdist supports pytest 9's node ids."""
    if not getattr(config.option, "loadgroup", False):
        return
    from _pytest.nodeid import NodeId

    for item in items:
        names = sorted(
            {
                str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                for mark in item.iter_markers("xdist_group")
            }
        )
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = NodeId.parse(item.nodeid + suffix)  # type: ignore[attr-defined]


def _drop_database(url: str) -> None:
    parsed = sa.engine.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def _session_database(tmp_path_factory: pytest.TempPathFactory, worker: str) -> str:
    base = os.environ.get("CGCRM_TEST_DATABASE_URL", DEFAULT_DATABASE)
    if base.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'cgcrm.sqlite3'}"
    url = sa.engine.make_url(base.replace("postgresql://", "postgresql+psycopg://", 1))
    # Unique per process: several suites (xdist workers, other checkouts) may run at once.
    name = f"{url.database}_{worker}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Flask]:
    key_file = tmp_path_factory.mktemp("keys") / "jwt.pem"
    from cgcrm.identity.keys import _generate_pem

    key_file.write_bytes(_generate_pem())
    database_url = _session_database(tmp_path_factory, worker_id)
    application = create_app(
        {
            "ENV": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "JWT_PRIVATE_KEY_FILE": str(key_file),
            "AUDIT_CHECKPOINT_FILE": str(key_file.parent / "audit-checkpoints.jsonl"),
        }
    )
    with application.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    yield application
    with application.app_context():
        db.engine.dispose()
    if database_url.startswith("postgresql"):
        _drop_database(database_url)


def _tables() -> list[str]:
    return [t.name for t in reversed(db.metadata.sorted_tables)]


def _seed_test_catalog() -> None:
    db.session.add_all(Channel(code=c, name=n, kind=k) for c, n, k in CHANNELS)
    rates = Department(code="RATES", name="Rates and Property")
    waste = Department(code="WASTE", name="Waste and Environment")
    customer = Department(code="CUSTOMER", name="Customer Service")
    db.session.add_all([rates, waste, customer])
    db.session.flush()
    db.session.add_all(
        [
            Service(
                code="RATES-PAY",
                name="Pay council rates",
                department=rates,
                sla_target_days=2,
                fee_minor=0,
                unit_costs=[
                    ServiceChannelCost(channel_code="web", unit_cost_minor=40),
                    ServiceChannelCost(channel_code="phone", unit_cost_minor=850),
                ],
            ),
            Service(
                code="WASTE-MISSED-BIN",
                name="Report a missed bin",
                department=waste,
                sla_target_days=3,
            ),
        ]
    )
    # Identifiers of these systems are shown in full to their department only (DRIVER_LICENCE
    # is left undeclared: masked for every department).
    db.session.add_all(
        [
            IdentifierSystem(code="RATES_ACCOUNT", name="Rates account", department_id=rates.id),
            IdentifierSystem(code="LIBRARY_CARD", name="Library card", department_id=customer.id),
        ]
    )
    db.session.commit()


class _EmptyState:
    """Puts a session's database back to empty tables plus the test catalog before each test.

    On PostgreSQL this is one round trip of DELETEs (as a superuser may: the audit tables'
    triggers refuse it otherwise) and sequence resets, then the catalog's rows as the first
    test's seeding wrote them. TRUNCATE gives every table a new file and fsyncs it at commit:
    that alone cost 0.3 to 1 s a test, most of the suite's time on a loaded machine.
    """

    def __init__(self) -> None:
        self._emptying = ""
        self._catalog: list[tuple[sa.Table, list[dict[str, Any]]]] | None = None

    def reset(self) -> None:
        if db.engine.dialect.name != "postgresql":
            for table in _tables():
                db.session.execute(sa.text(f"DELETE FROM {table}"))
            db.session.commit()
            _seed_test_catalog()
            return
        db.session.connection().exec_driver_sql(self._emptying_statement())
        db.session.commit()
        if self._catalog is None:
            _seed_test_catalog()
            self._catalog = self._read_catalog()
            return
        for table, rows in self._catalog:
            db.session.execute(table.insert(), rows)
        db.session.commit()

    def _emptying_statement(self) -> str:
        if not self._emptying:
            sequences = db.session.scalars(
                sa.text(
                    "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                    "FROM information_schema.sequences WHERE sequence_schema = current_schema()"
                )
            ).all()
            self._emptying = "; ".join(
                [
                    "SET LOCAL session_replication_role = replica",
                    *(f"DELETE FROM {table}" for table in _tables()),
                    *(f"SELECT setval('{sequence}', 1, false)" for sequence in sequences),
                ]
            )
        return self._emptying

    @staticmethod
    def _read_catalog() -> list[tuple[sa.Table, list[dict[str, Any]]]]:
        """The seeded rows of every table the seeding wrote, parents first."""
        seeded = []
        for table in db.metadata.sorted_tables:
            rows = [dict(row) for row in db.session.execute(table.select()).mappings()]
            if rows:
                seeded.append((table, rows))
        db.session.remove()
        return seeded


_empty_state = _EmptyState()


@pytest.fixture(autouse=True)
def _clean_state(app: Flask) -> Iterator[None]:
    with app.app_context():
        _empty_state.reset()
        # The audit checkpoints outside the database describe the trail just emptied.
        Path(app.config["AUDIT_CHECKPOINT_FILE"]).unlink(missing_ok=True)
        db.session.remove()
    # Tests change the catalog under the same codes; a live process's caches never see that.
    catalog_codes.clear()
    name_dictionary.clear()
    yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_URL)


class Api:
    """A test client that acts as one OAuth2 client, with a real token from /oauth/token."""

    def __init__(self, app: Flask, scope: str, department: str = "CUSTOMER") -> None:
        self.app = app
        self.http = app.test_client()
        with app.app_context():
            issued = create_client(f"test {secrets.token_hex(3)}", department, scope)
            db.session.remove()
        self.client_id = issued.client.client_id
        self.client_secret = issued.client_secret
        response = self.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        self.token: str = response.get_json()["access_token"]

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.http.get(url, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        return self.http.post(url, headers=self.headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Any:
        return self.http.patch(url, headers=self.headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def make_api(app: Flask) -> Any:
    def make(scope: str, department: str = "CUSTOMER") -> Api:
        return Api(app, scope, department)

    return make


# A department's own system: keeps citizens, records contacts, works cases.
DEPARTMENT_SYSTEM = "citizens:read citizens:write interactions:write cases:write"


@pytest.fixture
def rates(make_api: Any) -> Api:
    """The rates department's system."""
    return make_api(DEPARTMENT_SYSTEM, "RATES")


@pytest.fixture
def waste(make_api: Any) -> Api:
    """The waste department's system."""
    return make_api(DEPARTMENT_SYSTEM, "WASTE")


@pytest.fixture
def citizen_id(rates: Api) -> str:
    """A citizen registered by the rates department."""
    response = rates.post("/api/v1/citizens", json=new_citizen_payload())
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["id"])


@pytest.fixture
def staff(make_api: Any) -> Api:
    """A front-office system: reads and writes citizens, reads audit trails."""
    return make_api("citizens:read citizens:write audit")


def new_citizen_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "given_name": "John",
        "family_name": "Smith",
        "date_of_birth": "1984-03-02",
        "contact_points": [
            {"kind": "email", "value": f"john.smith.{uuid.uuid4().hex[:6]}@example.com"},
            {"kind": "phone", "value": "0412 345 678"},
        ],
        "addresses": [
            {
                "line1": "12 George Street",
                "locality": "Parramatta",
                "region": "NSW",
                "postcode": "2150",
                "valid_from": "2019-07-01",
            }
        ],
    }
    payload.update(overrides)
    return payload


# --- Background work: this process's queues, an in-process burst worker, recorded contacts ---


def purge_job_queues(app: Flask, connection: redis.Redis) -> None:
    """Delete every job and key of this process's queue namespace (never the whole database:
    other test runs share it)."""
    from cgcrm.jobs import all_queues

    for queue in all_queues(connection, app):
        registries = [
            queue.started_job_registry,
            queue.failed_job_registry,
            queue.scheduled_job_registry,
            queue.finished_job_registry,
            queue.deferred_job_registry,
            queue.canceled_job_registry,
        ]
        job_ids = set(queue.get_job_ids())
        for registry in registries:
            job_ids.update(registry.get_job_ids(cleanup=False))
        for job_id in job_ids:
            connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}", f"rq:executions:{job_id}")
        connection.delete(queue.key, queue.intermediate_queue_key, *(r.key for r in registries))
    for key in connection.scan_iter(match=f"*{app.config['QUEUE_NAMESPACE']}*", count=1000):
        connection.delete(key)


@pytest.fixture
def job_queues(app: Flask, redis_client: redis.Redis) -> Iterator[redis.Redis]:
    """This process's queues, empty before and after the test; yields the Redis client."""
    purge_job_queues(app, redis_client)
    yield redis_client
    purge_job_queues(app, redis_client)


@pytest.fixture
def burst_worker(app: Flask, job_queues: redis.Redis) -> Any:
    """``flask worker --burst`` in-process: relay pending events, then run every queued job
    (in forked work horses, as in production)."""
    from cgcrm.worker.runner import run_worker

    def run(**kwargs: Any) -> bool:
        return run_worker(app, burst=True, **kwargs)

    return run


CONTACT_STARTED = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def record_contact(app: Flask) -> Any:
    """Record an interaction through the service (row + ``interaction.recorded`` event)."""
    from cgcrm.core.principal import Actor, Principal
    from cgcrm.interactions.service import record_interaction

    def record(**overrides: Any) -> uuid.UUID:
        with app.app_context():
            department = db.session.scalar(
                sa.select(Department).where(Department.code == "CUSTOMER")
            )
            assert department is not None
            principal = Principal(
                kind="client",
                id="contact-centre",
                department_id=department.id,
                department_code=department.code,
                scopes=frozenset({"interactions:write"}),
            )
            started = overrides.get("started_at", CONTACT_STARTED)
            data: dict[str, Any] = {
                "channel": "phone",
                "direction": "inbound",
                "outcome": "resolved",
                "service_code": "RATES-PAY",
                "started_at": started,
                "ended_at": started + timedelta(seconds=300),
                **overrides,
            }
            interaction = record_interaction(Actor(principal, "req-test"), data)
            db.session.remove()
            return interaction.id

    return record


@contextmanager
def counting_queries(app: Any) -> Iterator[list[str]]:
    """The SQL statements the application sends while the block runs.

    The revocation list's refresh is left out: it runs on its own clock (once a second), so on
    a slow machine it lands in some blocks and not others.
    """
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "FROM revoked_tokens" not in statement:
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def rate_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Install a rate limiter with the given ``RATE_LIMIT_*`` settings (the suite's own are far
    too high to reach) and counters of its own, for the rest of the test."""
    from cgcrm.core.ratelimit import RateLimiter, build_rate_limiter

    def install(**settings: Any) -> RateLimiter:
        current: RateLimiter = app.extensions["cgcrm.ratelimiter"]
        limiter = build_rate_limiter(
            {**app.config, **settings},
            {name: policy.client_of for name, policy in current.policies.items()},
            prefix=f"{app.config['QUEUE_NAMESPACE']}{uuid.uuid4().hex}.",
        )
        monkeypatch.setitem(app.extensions, "cgcrm.ratelimiter", limiter)
        return limiter

    return install
