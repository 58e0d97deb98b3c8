"""Running a create under an Idempotency-Key: reserve, create, store the response, or replay."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Response, current_app, json, request

from cgcrm.core import idempotency
from cgcrm.core.principal import Actor

T = TypeVar("T")


def run_idempotent(
    actor: Actor,
    payload: Any,
    create: Callable[[Callable[[T], None] | None], T],
    render: Callable[[T], tuple[Any, dict[str, str]]],
    status: int = 201,
) -> T | Response:
    """Call ``create`` once per Idempotency-Key; repeats get the stored response.

    :param create: the service call; receives a hook to run inside its transaction.
    :param render: the response body and headers for what ``create`` returned.
    :returns: what ``create`` returned, or the replayed Response.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return create(None)
    scope = f"{request.method} {request.path}"
    principal_id = f"{actor.principal.kind}:{actor.principal.id}"
    config = current_app.config
    stored = idempotency.reserve(
        principal_id,
        scope,
        key,
        idempotency.fingerprint(payload),
        config["IDEMPOTENCY_TTL"],
        config["IDEMPOTENCY_LOCK_TIMEOUT"],
    )
    if stored is not None:
        response = Response(
            json.dumps(stored.body), status=stored.status_code, mimetype="application/json"
        )
        response.headers.update(stored.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    def remember(result: T) -> None:
        body, headers = render(result)
        idempotency.complete(principal_id, scope, key, status, body, headers)

    try:
        return create(remember)
    except Exception:
        idempotency.release(principal_id, scope, key)
        raise
