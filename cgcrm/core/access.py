"""How a view declares the scopes it needs, and who acts in the current request.

Declaring lives in core, not in identity, so that every package with endpoints can use it,
including the catalog, on which identity itself builds (DESIGN.md §2: one way only inside a
layer). ``cgcrm.identity.guard`` authenticates the token and enforces these declarations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, g

from cgcrm.core.principal import Actor

F = TypeVar("F", bound=Callable[..., Any])

_SCOPES_ATTR = "_cgcrm_required_scopes"


def requires(*scopes: str) -> Callable[[F], F]:
    """Declare the scopes a view needs; ``@requires()`` means any authenticated principal."""

    def mark(view: F) -> F:
        setattr(view, _SCOPES_ATTR, frozenset(scopes))
        return view

    return mark


def declared_scopes(app: Flask, endpoint: str, method: str) -> frozenset[str] | None:
    """The scopes a view declared for a method, or None when it declared nothing."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        view = handler
    return getattr(view, _SCOPES_ATTR, None)


def current_actor() -> Actor:
    """The authenticated principal of this request and the request's id."""
    return Actor(principal=g.principal, request_id=g.request_id)
