"""What runs around every console request: the session, CSRF, security headers, error pages,
and what every template may use."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)

from cgcrm.console.api import ApiProblem, SignInAgain
from cgcrm.console.blueprint import bp
from cgcrm.console.csrf import HEADER, csrf_ok, csrf_token
from cgcrm.console.session import current_user, save_session, session, signin_url, take_flash

# No inline script or style anywhere (htmx is told so through its meta config); nothing from
# another origin. Starts from 'none' so a kind of resource not named here loads nothing.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'; manifest-src 'self'"
)


@bp.before_request
def _open_session_and_check_csrf() -> Any:
    session()
    if not csrf_ok():
        return page("console/csrf.html", 400)
    return None


@bp.after_request
def _finish(response: Response) -> Response:
    response = save_session(response)
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    # htmx swaps fragments by request header: a cache must not mix the two answers.
    headers.add("Vary", "HX-Request")
    return response


@bp.errorhandler(SignInAgain)
def _sign_in_again(error: SignInAgain) -> Any:
    target = signin_url(request.full_path.rstrip("?") if request.method == "GET" else None)
    if request.headers.get("HX-Request"):
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


@bp.errorhandler(ApiProblem)
def _api_problem(problem: ApiProblem) -> Any:
    """An API refusal no page handled itself: the GOV.UK error page that fits."""
    if problem.status == 404:
        return page("console/errors/not_found.html", 404)
    if problem.status == 403:
        return page("console/errors/forbidden.html", 403, problem=problem)
    return page(
        "console/errors/problem.html", 502 if problem.status >= 500 else 400, problem=problem
    )


def page(template: str, status: int = 200, **context: Any) -> Response:
    """A rendered page (or fragment) with its status."""
    response = make_response(render_template(template, **context), status)
    response.mimetype = "text/html"
    return response


def is_htmx() -> bool:
    """An htmx request for a fragment (not a history restore, which wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


# The service navigation: (endpoint, text, scope needed). An entry shows once its page exists
# (pages arrive one module at a time) and the user holds its scope.
NAVIGATION = (
    ("console.home", "Find a citizen", None),
    ("console.duplicates", "Possible duplicates", "citizens:write"),
    ("console.dashboard", "Dashboard", "metrics:read"),
)
# Pages under another's entry: the 360 view and its actions belong to "Find a citizen".
NAVIGATION_SECTIONS = {"console.search": "console.home", "console.citizen": "console.home"}


def has_page(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def navigation() -> list[dict[str, Any]]:
    user = current_user()
    if user is None:
        return []
    here = NAVIGATION_SECTIONS.get(request.endpoint or "", request.endpoint)
    return [
        {"href": url_for(endpoint), "text": text, "current": endpoint == here}
        for endpoint, text, scope in NAVIGATION
        if has_page(endpoint) and (scope is None or user.can(scope))
    ]


@bp.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "has_page": has_page,
        # Read by base.html once; a fragment (htmx) leaves it for the next whole page.
        "take_flash": take_flash,
        "navigation": navigation(),
        "csrf_token": csrf_token,
        "csrf_header": HEADER,
        "current_user": current_user(),
        "asset": lambda path: url_for("console.assets", filename=path),
        "static": lambda path: url_for("console.static", filename=path),
        "request_id": g.get("request_id", ""),
    }
