"""Fixtures shared by the citizen tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.citizens.hostile.harness import Harness


@pytest.fixture
def harness(app: Flask, staff: Any) -> Harness:
    """One staff client and one target citizen, for the hostile-input tests."""
    return Harness(app, staff)
