"""Fixtures of the matching tests."""

from __future__ import annotations

from tests.metrics.conftest import post_contact  # noqa: F401  (contacts through the API)
