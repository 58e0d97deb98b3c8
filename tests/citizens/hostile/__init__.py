"""Helpers for the hostile-input tests (``tests/citizens/test_hostile_*.py``): hostile values
and strategies, valid payloads and their mutations, and the harness that sends a request and
checks that a rejected write changed nothing."""
