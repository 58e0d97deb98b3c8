"""The catalog (channels, services) as the console shows it: names for codes, choices for
forms. Read through the API and kept in this process for a few minutes: it changes rarely,
holds nothing personal, and every page would otherwise fetch it again."""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import current_app

from cgcrm.console.api import api

KEEP_SECONDS = 300
_lock = threading.Lock()


def _cached(name: str, load: Any) -> Any:
    store = current_app.extensions.setdefault("cgcrm.console.catalog", {})
    found = store.get(name)
    if found is not None and found[0] > time.monotonic():
        return found[1]
    value = load()
    with _lock:
        store[name] = (time.monotonic() + KEEP_SECONDS, value)
    return value


def channels() -> list[dict[str, Any]]:
    """Every channel: code, name, kind (digital or assisted)."""
    return list(_cached("channels", lambda: api().get("/api/v1/channels")))


def services() -> list[dict[str, Any]]:
    """Every service (code, name, department, fee), by name."""

    def load() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            response = api().request("GET", "/api/v1/services", params=params)
            found.extend(response.json())
            cursor = _next_cursor(response.headers.get("Link", ""))
            if not cursor or len(found) > 5000:
                return sorted(found, key=lambda s: s["name"])

    return list(_cached("services", load))


def _next_cursor(link: str) -> str | None:
    """The cursor of the ``rel="next"`` link (RFC 8288), if any."""
    from urllib.parse import parse_qs, urlsplit

    for part in link.split(","):
        if 'rel="next"' in part and "<" in part:
            url = part[part.index("<") + 1 : part.index(">")]
            values = parse_qs(urlsplit(url).query).get("cursor")
            return values[0] if values else None
    return None


def channel_names() -> dict[str, str]:
    return {c["code"]: c["name"] for c in channels()}


def service_names() -> dict[str, str]:
    return {s["code"]: s["name"] for s in services()}


def departments() -> list[dict[str, Any]]:
    """Every department (code, name), by name (the dashboard's filter)."""

    def load() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            params = {"limit": 200} | ({"cursor": cursor} if cursor else {})
            response = api().request("GET", "/api/v1/departments", params=params)
            found.extend(response.json())
            cursor = _next_cursor(response.headers.get("Link", ""))
            if not cursor or len(found) > 5000:
                return sorted(found, key=lambda d: d["name"])

    return list(_cached("departments", load))
