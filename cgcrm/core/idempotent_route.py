"""Running a create under an Idempotency-Key: reserve, create, store the response, or replay."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from flask import Response, current_app, json, request
from marshmallow import Schema

from cgcrm.core import idempotency
from cgcrm.core.principal import Actor

T = TypeVar("T")


@cache
def _dumper(schema: type[Schema]) -> Schema:
    """One instance a schema class: building one deep-copies its fields (and its nested
    schemas' on first use), several times the cost of the dump itself; dumping keeps no state
    in the instance."""
    return schema()


def run_idempotent(
    actor: Actor,
    payload: Any,
    create: Callable[[Callable[[T], None] | None], T],
    schema: type[Schema],
    headers: Callable[[T], dict[str, str]],
    status: int = 201,
    prefetch: idempotency.Prefetch | None = None,
) -> tuple[T, dict[str, str]] | Response:
    """Call ``create`` once per Idempotency-Key; repeats get the stored response.

    :param create: the service call; receives a hook to run inside its transaction.
    :param schema: serialises what ``create`` returned (the stored body of a replay); made
        only when there is a key, so plain creates do not build it.
    :param headers: the response headers for what ``create`` returned.
    :param prefetch: a one-row read ``create`` needs, done in the key's claim when there is a
        key (``create`` reads ``prefetch.row``, None when it was not read).
    :returns: what ``create`` returned with its headers (no key), or the Response: the one
        stored for the key (serialised once) or the replayed one.
    """
    key = request.headers.get("Idempotency-Key")
    if key is None:
        result = create(None)
        return result, headers(result)
    scope = f"{request.method} {request.path}"
    principal_id = actor.principal.ref
    config = current_app.config
    stored = idempotency.reserve(
        principal_id,
        scope,
        key,
        idempotency.fingerprint(payload),
        config["IDEMPOTENCY_TTL"],
        config["IDEMPOTENCY_LOCK_TIMEOUT"],
        prefetch,
    )
    if stored is not None:
        response = Response(
            json.dumps(stored.body), status=stored.status_code, mimetype="application/json"
        )
        response.headers.update(stored.headers)
        response.headers["Idempotent-Replayed"] = "true"
        return response

    dumped: list[Any] = []

    def remember(result: T) -> None:
        body, made = _dumper(schema).dump(result), headers(result)
        dumped.append((body, made))
        idempotency.complete(principal_id, scope, key, status, body, made)

    try:
        result = create(remember)
    except Exception:
        idempotency.release(principal_id, scope, key)
        raise
    if not dumped:  # pragma: no cover - every create calls its hook before committing
        return result, headers(result)
    # The body and headers just stored are the response: made once, as a replay would send them.
    body, made = dumped[0]
    response = Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers.update(made)
    return response
