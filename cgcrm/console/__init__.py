"""The staff console (issue 14): server-rendered pages for front-office staff and administrators.

A backend-for-frontend: it signs staff in with the authorization code + PKCE flow of our own
authorization server, keeps their tokens in a server-side session (the browser holds only the
``cgcrm_console`` cookie), and reads and writes everything through the public API with the
user's own token (``console.api``), never through the service layer, so it can be deployed
apart from the API. It imports no domain package.
"""

from __future__ import annotations

from flask import Flask


def init_console(app: Flask) -> None:
    """Register the console's blueprint, its hooks and its pages on ``app``."""
    from cgcrm.console import filters as _filters  # noqa: F401  (template filters)
    from cgcrm.console import hooks as _hooks  # noqa: F401  (before/after request on bp)
    from cgcrm.console import pages as _pages  # noqa: F401  (routes on bp)
    from cgcrm.console.blueprint import bp

    app.register_blueprint(bp)
