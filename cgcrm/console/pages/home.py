"""``/console/``: the search box, and the links the user's roles open."""

from __future__ import annotations

from typing import Any

from flask import url_for

from cgcrm.console.blueprint import bp
from cgcrm.console.hooks import has_page, page
from cgcrm.console.session import current_user, signin_required


@bp.get("/")
@signin_required
def home() -> Any:
    user = current_user()
    links = []
    if user is not None and user.can("metrics:read") and has_page("console.dashboard"):
        links.append(
            ("Dashboard: channels, satisfaction and service levels", url_for("console.dashboard"))
        )
    if user is not None and user.can("citizens:write") and has_page("console.duplicates"):
        links.append(("Possible duplicate records to review", url_for("console.duplicates")))
    return page("console/home.html", links=links)
