"""``flask demo-info``: what a new user is handed after ``make run``."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from flask import Flask


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_demo_info_hands_out_a_counter_and_an_administrator_token(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "--citizens", "3"]).exit_code == 0
    assert (tmp_path / "demo-admin-client.json").stat().st_mode & 0o077 == 0
    result = runner.invoke(args=["demo-info", "--base-url", "http://127.0.0.1:5077"])
    assert result.exit_code == 0, result.output
    counter = re.search(r"^access token:\s+(\S+)$", result.output, re.MULTILINE)
    admin = re.search(r"^admin token:\s+(\S+)$", result.output, re.MULTILINE)
    assert counter and admin
    admin_scopes = str(_claims(admin.group(1))["scope"]).split()
    assert {"admin", "metrics:read", "citizens:read"} <= set(admin_scopes)
    assert "metrics:read" not in str(_claims(counter.group(1))["scope"]).split()
    kpis = re.search(r'"(http://127\.0\.0\.1:5077/api/v1/metrics/kpis\?[^"]+)"', result.output)
    assert kpis and "interval=week" in kpis.group(1)
    client = app.test_client()
    jobs = client.get("/api/v1/admin/jobs", headers={"Authorization": f"Bearer {admin.group(1)}"})
    assert jobs.status_code == 200
