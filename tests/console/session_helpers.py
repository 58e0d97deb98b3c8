"""Reading a console session's tokens from Redis, as only a test may."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Flask


def session_tokens(app: Flask, client: Any) -> tuple[str, str]:
    cookie = client.get_cookie("cgcrm_console", path="/console/")
    assert cookie is not None
    key = "cgcrm:console:session:" + hashlib.sha256(cookie.value.encode()).hexdigest()
    data = json.loads(app.extensions["cgcrm.redis"].get(key))
    return data["access_token"], data["refresh_token"]


def session_data(app: Flask, client: Any) -> tuple[str, dict[str, Any]]:
    cookie = client.get_cookie("cgcrm_console", path="/console/")
    assert cookie is not None
    key = "cgcrm:console:session:" + hashlib.sha256(cookie.value.encode()).hexdigest()
    return key, json.loads(app.extensions["cgcrm.redis"].get(key))


def put_session(app: Flask, key: str, data: dict[str, Any]) -> None:
    app.extensions["cgcrm.redis"].set(key, json.dumps(data), ex=600)
