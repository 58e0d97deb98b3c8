"""``/console/search``: find a citizen as you type (typos tolerated), narrowed by date of birth
and postcode, through ``GET /api/v1/citizens/search``.

Without JavaScript it is a GET form whose page shows the results. With htmx the search box
asks for the results fragment 200 ms after the last keystroke (``HX-Request``), and the URL
follows, so the back button and a shared link give the same page.
"""

from __future__ import annotations

from typing import Any

from flask import request

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.forms import date_from_parts, field_errors
from cgcrm.console.hooks import is_htmx, page
from cgcrm.console.session import signin_required

RESULTS = 20
MIN_QUERY = 2
API_FIELDS = {"q": "q", "date_of_birth": "dob-day", "postcode": "postcode"}


@bp.get("/search")
@signin_required
def search() -> Any:
    q = request.args.get("q", "").strip()[:200]
    postcode = request.args.get("postcode", "").strip()[:20]
    dob_parts, dob, dob_error = date_from_parts(request.args, "dob")
    errors: dict[str, str] = {}
    if dob_error:
        errors["dob-day"] = f"Date of birth {dob_error}"
    hits: list[dict[str, Any]] | None = None
    asked = len(q) >= MIN_QUERY or dob or postcode
    if asked and not errors:
        params = {"q": q or None, "date_of_birth": dob, "postcode": postcode or None}
        try:
            answer = api().get(
                "/api/v1/citizens/search",
                params={k: v for k, v in params.items() if v} | {"limit": RESULTS},
            )
            hits = answer["results"]
        except ApiProblem as problem:
            if problem.status != 422:
                raise
            errors = field_errors(problem, API_FIELDS)
    context: dict[str, Any] = {
        "q": q,
        "postcode": postcode,
        "dob": dob_parts,
        "hits": hits,
        "errors": errors,
        "narrowed": bool(dob or postcode),
    }
    if is_htmx():
        return page("console/search/_results.html", fragment=True, **context)
    return page("console/search/page.html", **context)
