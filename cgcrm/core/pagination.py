"""Keyset pagination: opaque cursors, ``?limit=``, and ``Link: <…>; rel="next"``."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import current_app, request

from cgcrm.core.errors import ValidationError
from cgcrm.core.time_bounds import parse_moment

T = TypeVar("T")


def encode_cursor(after: Any) -> str:
    raw = json.dumps({"after": str(after)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, convert: Callable[[str], T]) -> T | None:
    """The key a page starts after, converted with ``convert`` (``uuid.UUID``, ``int``).

    :raises ValidationError: the cursor was not issued by us.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = convert(str(data["after"]))
        if isinstance(after, int) and not 0 <= after < 2**63:
            raise ValueError("cursor out of range")
        return after
    except (ValueError, TypeError, KeyError, UnicodeError, AttributeError, OverflowError) as exc:
        raise ValidationError("invalid cursor", errors={"cursor": ["invalid"]}) from exc


def moment_and_id(key: str) -> tuple[datetime, uuid.UUID]:
    """A ``moment|uuid`` keyset position, the moment held to the bounds every date field has.

    :raises ValueError: not that shape, a moment without offset or out of range.
    """
    moment, _, ident = key.partition("|")
    return parse_moment(moment), uuid.UUID(ident)


def moment_and_id_key(moment: datetime, ident: uuid.UUID) -> str:
    """The cursor key ``moment_and_id`` reads back."""
    return f"{moment.isoformat()}|{ident}"


def page_limit(limit: int | None) -> int:
    if limit is None:
        return int(current_app.config["PAGE_SIZE_DEFAULT"])
    return min(limit, int(current_app.config["PAGE_SIZE_MAX"]))


def next_link(
    items: list[Any], limit: int, key: Callable[[Any], Any] = lambda i: i.id
) -> str | None:
    """The Link header value for the page after ``items``, if there may be one."""
    if len(items) < limit:
        return None
    args = {k: v for k, v in request.args.items() if k != "cursor"}
    args["cursor"] = encode_cursor(key(items[-1]))
    return f'<{request.base_url}?{urlencode(args)}>; rel="next"'
