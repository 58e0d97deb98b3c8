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
_ANONYMOUS_ATTR = "_cgcrm_allows_anonymous"


def requires(*scopes: str) -> Callable[[F], F]:
    """Declare the scopes a view needs; ``@requires()`` means any authenticated principal."""

    def mark(view: F) -> F:
        setattr(view, _SCOPES_ATTR, frozenset(scopes))
        return view

    return mark


def allows_anonymous(view: F) -> F:
    """Declare that a view also answers callers who send no ``Authorization`` header at all.

    The guard lets such a caller through without a principal (``optional_actor`` is None) and
    the rate limiter counts it on the tight ``public`` policy; a caller that sends a token is
    authenticated and held to the view's ``@requires`` scopes as everywhere. The view decides
    what an anonymous caller may do. The OpenAPI document shows the operation's security as
    ``[{}, {oauth2: [...]}]``.
    """
    setattr(view, _ANONYMOUS_ATTR, True)
    return view


def view_handler(app: Flask, endpoint: str | None, method: str) -> Any:
    """The function that serves ``method`` on ``endpoint`` (a MethodView's method), or None."""
    view = app.view_functions.get(endpoint or "")
    if view is None:
        return None
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        return handler
    return view


def declared_scopes(app: Flask, endpoint: str, method: str) -> frozenset[str] | None:
    """The scopes a view declared for a method, or None when it declared nothing."""
    return getattr(view_handler(app, endpoint, method), _SCOPES_ATTR, None)


def anonymous_allowed(app: Flask, endpoint: str | None, method: str) -> bool:
    """Whether the view declared ``@allows_anonymous`` for this method."""
    return bool(getattr(view_handler(app, endpoint, method), _ANONYMOUS_ATTR, False))


def current_actor() -> Actor:
    """The authenticated principal of this request and the request's id."""
    return Actor(principal=g.principal, request_id=g.request_id)


def optional_actor() -> Actor | None:
    """The authenticated caller, or None for an anonymous one (``@allows_anonymous`` views)."""
    principal = g.get("principal")
    return Actor(principal=principal, request_id=g.request_id) if principal else None
