"""Operator commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask


def test_clients_create_prints_credentials_that_work(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "clients",
            "create",
            "Rates system",
            "--department",
            "RATES",
            "--scopes",
            "citizens:read",
        ]
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(":", 1) for line in result.output.strip().splitlines())
    client_id, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    token = app.test_client().post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    assert token.status_code == 200


def test_clients_create_refuses_unknown_scopes_and_departments(app: Flask) -> None:
    runner = app.test_cli_runner()
    bad_scope = runner.invoke(
        args=["clients", "create", "X", "--department", "RATES", "--scopes", "everything"]
    )
    assert bad_scope.exit_code != 0
    assert "unknown scopes" in bad_scope.output
    bad_dept = runner.invoke(
        args=["clients", "create", "X", "--department", "NOPE", "--scopes", "citizens:read"]
    )
    assert bad_dept.exit_code != 0


def test_users_create(app: Flask) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=[
            "users",
            "create",
            "Officer@Council.example",
            "--role",
            "front_office",
            "--department",
            "CUSTOMER",
            "--password",
            "a long passphrase of mine",
        ]
    )
    assert ok.exit_code == 0, ok.output
    assert "officer@council.example" in ok.output
    weak = ["--department", "CUSTOMER", "--password", "password1234"]
    common = runner.invoke(
        args=["users", "create", "y@council.example", "--role", "case_worker", *weak]
    )
    assert common.exit_code != 0 and "too common" in common.output
    again = runner.invoke(
        args=["users", "create", "officer@council.example", "--role", "front_office"],
        input="a long passphrase of mine\na long passphrase of mine\n",
    )
    assert again.exit_code != 0
    bad_role = runner.invoke(args=["users", "create", "x@council.example", "--role", "king"])
    assert bad_role.exit_code != 0


def test_seed_is_idempotent(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo clients' secrets go to the instance folder: not the checkout's own.
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "--citizens", "15"])
    assert first.exit_code == 0, first.output
    assert "citizens: added 17" in first.output
    second = runner.invoke(args=["seed", "--citizens", "15"])
    assert "citizens: 17 present, none added" in second.output
    assert "added {'departments': 0, 'channels': 0, 'services': 0, 'identifier_systems': 0}" in (
        second.output
    )
