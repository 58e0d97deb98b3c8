"""Every naughty string in every field of a write, narrowed down to the fields that fail."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from tests.citizens.hostile.harness import Harness
from tests.citizens.hostile.payloads import Path, apply_operation, node_paths
from tests.citizens.hostile.values import NAUGHTY_STRINGS, encode

# Random mutation rarely puts one particular string in one particular field, yet that is what
# it takes for a value that passes validation to overflow a column once it is normalised
# ("ß".upper() is "SS"; unidecode("北") is "Bei"). So this sweep is exhaustive, and cheap: the
# string goes into every field at once; the fields the 4xx answer names get their valid value
# back, and the rest are sent again, until the write succeeds. Only a failure is then narrowed
# down to single fields, to name them.


def _at(payload: Any, path: Path) -> Any:
    for step in path:
        payload = payload[step]
    return payload


def _leaves(payload: Any) -> list[Path]:
    return [p for p in node_paths(payload) if not isinstance(_at(payload, p), dict | list)]


def _error_paths(errors: Any, prefix: Path = ()) -> list[Path]:
    """The fields a problem's ``errors`` member names, as paths into the body."""
    if not isinstance(errors, dict):
        return [prefix]
    found: list[Path] = []
    for key, value in errors.items():
        step: str | int = int(key) if isinstance(key, str) and key.isdigit() else key
        found += _error_paths(value, (*prefix, step))
    return found


SERIAL = itertools.count(1)


def _sweep(
    harness: Harness, method: str, url: str, base: dict[str, Any], value: str, **extra: str
) -> list[str]:
    def send(paths: set[Path]) -> tuple[Any, Any]:
        payload = copy.deepcopy(base)
        if "identifiers" in payload:  # a fresh one each time, or a success makes the next a 409
            payload["identifiers"][0]["value"] = f"RA-SWEEP-{next(SERIAL)}"
        for path in paths:
            payload = apply_operation(payload, path, "replace", value)
        if method == "PATCH":
            extra["If-Match"] = harness.etag
        return harness.write(method, url, data=encode(payload), headers=harness.headers(extra))

    hostile = set(_leaves(base))
    while hostile:
        try:
            response, body = send(hostile)
        except AssertionError as exc:
            failures = []
            for path in sorted(hostile, key=str):
                try:
                    send({path})
                except AssertionError as single:
                    failures.append(f"{method} at {'.'.join(map(str, path))}: {single}")
            return failures or [f"{method} with all of {sorted(hostile, key=str)}: {exc}"]
        if response.status_code < 300:
            return []
        named = _error_paths(body.get("errors") or {})
        blamed = {p for p in hostile if any(p[: len(e)] == e for e in named)}
        if not blamed:
            return []  # refused as a whole (e.g. 409): nothing more to learn from this body
        hostile -= blamed
    return []


def sweep_all(harness: Harness, method: str, url: str, base: dict[str, Any]) -> None:
    failures = [
        f"{ascii(value)[:40]} -> {line[:600]}"
        for value in NAUGHTY_STRINGS
        for line in _sweep(harness, method, url, base, value)
    ]
    assert not failures, "\n".join(failures)
