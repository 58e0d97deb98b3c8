"""Review possible duplicates: the list best score first, two records side by side with why they
were paired, then merge (choosing, field by field, whose value survives) or dismiss; and undo a
merge from its own page.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import redirect, request, url_for
from markupsafe import Markup

from cgcrm.console.api import ApiProblem, api
from cgcrm.console.blueprint import bp
from cgcrm.console.form_state import Form
from cgcrm.console.hooks import page
from cgcrm.console.lookups import citizen_heading, citizen_url
from cgcrm.console.session import signin_required

# The fields a merge chooses (the API's survivorship FIELDS), with what staff call them.
MERGE_FIELDS = (
    ("given_name", "Given name"),
    ("middle_names", "Middle names"),
    ("family_name", "Family name"),
    ("preferred_name", "Preferred name"),
    ("date_of_birth", "Date of birth"),
    ("date_of_death", "Date of death"),
    ("preferred_channel", "Preferred channel"),
    ("preferred_language", "Preferred language"),
    ("accessibility_needs", "Accessibility needs"),
)
STATUSES = (("open", "Open"), ("dismissed", "Dismissed"), ("merged", "Merged"))
BANDS = (("", "Any"), ("match", "Match"), ("possible", "Possible"))
LEVEL_NAMES = {
    "exact": "the same",
    "swapped": "the same, given and family names swapped",
}
PAGE_SIZE = 25
SIDES = ("a", "b")


@bp.get("/duplicates")
@signin_required
def duplicates() -> Any:
    """The review list: open pairs best score first, with why each was paired."""
    status = request.args.get("status", "open")
    band = request.args.get("band", "")
    params: dict[str, Any] = {
        "status": status if status in dict(STATUSES) else "open",
        "limit": PAGE_SIZE,
    }
    if band in ("match", "possible"):
        params["band"] = band
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]
    response = api().request("GET", "/api/v1/duplicates", params=params)
    return page(
        "console/duplicates/list.html",
        pairs=[_described(pair) for pair in response.json()],
        next_cursor=_next_cursor(response.headers.get("Link", "")),
        shown_status=params["status"],
        band=band,
        statuses=STATUSES,
        bands=BANDS,
        dismissed=request.args.get("dismissed") == "1",
    )


def _next_cursor(link: str) -> str | None:
    """The cursor of the ``rel="next"`` link the API sent, for the console's own next link."""
    for part in link.split(","):
        if 'rel="next"' in part and "<" in part and ">" in part:
            target = part[part.index("<") + 1 : part.index(">")]
            found = parse_qs(urlsplit(target).query).get("cursor")
            return found[0] if found else None
    return None


def _name(summary: dict[str, Any] | None) -> str:
    if not summary:
        return "A record you may not see"
    names = [summary.get("given_name"), summary.get("middle_names"), summary.get("family_name")]
    return " ".join(n for n in names if n) or "Name not recorded"


def _described(pair: dict[str, Any]) -> dict[str, Any]:
    """A pair as the pages show it: names, the score in per cent, the reasons in words."""
    explanation = pair.get("explanation") or {}
    reasons = [
        {
            "field": field.replace("_", " ").capitalize(),
            "level": LEVEL_NAMES.get(
                str(item.get("level")), str(item.get("level")).replace("_", " ")
            ),
            "weight": item.get("weight"),
        }
        for field, item in sorted(
            explanation.items(), key=lambda kv: -abs(float((kv[1] or {}).get("weight") or 0))
        )
        if isinstance(item, dict)
    ]
    return {
        **pair,
        "a_name": _name(pair.get("citizen")),
        "b_name": _name(pair.get("other_citizen")),
        "percent": f"{float(pair.get('score') or 0) * 100:.0f}%",
        "reasons": reasons,
    }


@bp.get("/duplicates/<uuid:pair_id>")
@signin_required
def duplicate(pair_id: uuid.UUID) -> Any:
    """Two records side by side, why they were paired, and the merge and dismiss forms."""
    return _compare(pair_id, Form())


def _compare(pair_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    client = api()
    pair = _described(client.get(f"/api/v1/duplicates/{pair_id}"))
    records = {
        "a": client.get(f"/api/v1/citizens/{pair['citizen']['id']}"),
        "b": client.get(f"/api/v1/citizens/{pair['other_citizen']['id']}"),
    }
    rows: list[dict[str, Any]] = []
    for name, label in MERGE_FIELDS:
        a, b = _shown(_value(records["a"], name)), _shown(_value(records["b"], name))
        rows.append({"name": name, "label": label, "a": a, "b": b, "differs": a != b})
    return page(
        "console/duplicates/compare.html",
        status,
        pair=pair,
        records=records,
        links={side: citizen_url(record["id"]) for side, record in records.items()},
        rows=rows,
        lists=_lists(records),
        form=form,
        errors=form.errors,
    )


def _value(record: dict[str, Any], name: str) -> Any:
    preferences = record.get("preferences") or {}
    if name == "preferred_channel":
        return preferences.get("preferred_channel")
    if name == "preferred_language":
        return preferences.get("language")
    if name == "accessibility_needs":
        return preferences.get("accessibility_needs")
    return record.get(name)


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    return str(value)


def _lists(records: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The lists a merge unites (shown for judging; every entry is kept once)."""

    def contacts(r: dict[str, Any]) -> str:
        return "; ".join(f"{c['kind']}: {c['value']}" for c in r.get("contact_points") or [])

    def addresses(r: dict[str, Any]) -> str:
        return "; ".join(
            ", ".join(p for p in (a.get("line1"), a.get("locality"), a.get("postcode")) if p)
            for a in r.get("addresses") or []
        )

    def identifiers(r: dict[str, Any]) -> str:
        return "; ".join(f"{i.get('system')}: {i.get('value')}" for i in r.get("identifiers") or [])

    return [
        {"label": label, "a": show(records["a"]), "b": show(records["b"])}
        for label, show in (
            ("Contact points", contacts),
            ("Addresses", addresses),
            ("Identifiers", identifiers),
        )
    ]


@bp.post("/duplicates/<uuid:pair_id>/merge")
@signin_required
def merge_pair(pair_id: uuid.UUID) -> Any:
    """Merge the pair: the record chosen survives, each field from the record chosen."""
    names = ["survivor", "version_a", "version_b"] + [f"field_{name}" for name, _ in MERGE_FIELDS]
    form = Form.from_request(request.form, names)
    survivor_side = form.get("survivor")
    if survivor_side not in SIDES:
        form.error("survivor", "Select the record that stays")
    if form.failed:
        return _compare(pair_id, form, 400)
    client = api()
    pair = client.get(f"/api/v1/duplicates/{pair_id}")
    ids = {"a": pair["citizen"]["id"], "b": pair["other_citizen"]["id"]}
    duplicate_side = "b" if survivor_side == "a" else "a"
    fields: dict[str, str] = {}
    for name, _ in MERGE_FIELDS:
        chosen = form.get(f"field_{name}")
        if chosen in SIDES:
            fields[name] = "survivor" if chosen == survivor_side else "duplicate"
    headers = {}
    version = form.get(f"version_{survivor_side}")
    if version.isdigit():
        # The version compared on the page: a record changed since is not merged blind.
        headers["If-Match"] = f'"v{version}"'
    try:
        merge = client.post(
            f"/api/v1/citizens/{ids[survivor_side]}/merge",
            json={"duplicate_id": ids[duplicate_side], "fields": fields},
            headers=headers,
        )
    except ApiProblem as problem:
        if problem.status == 412:
            form.error("survivor", "A record changed while you were comparing: compare again")
            return _compare(pair_id, form, 409)
        if problem.status in (403, 409, 422):
            form.error("survivor", _merge_refusal(problem))
            return _compare(pair_id, form, 400 if problem.status == 422 else problem.status)
        raise
    return redirect(url_for("console.merge", merge_id=merge["id"], merged=1), code=303)


def _merge_refusal(problem: ApiProblem) -> str:
    if problem.status == 403:
        return (
            "You cannot merge these records: one holds contacts or cases of a department you "
            "may not see. Ask a colleague of that department"
        )
    detail = problem.detail or problem.title
    return "The records cannot be merged: " + detail


@bp.post("/duplicates/<uuid:pair_id>/dismiss")
@signin_required
def dismiss_pair(pair_id: uuid.UUID) -> Any:
    """Decide the two records are different people."""
    try:
        api().post(f"/api/v1/duplicates/{pair_id}/dismiss", json={})
    except ApiProblem as problem:
        if problem.status != 409:
            raise
        form = Form()
        form.error("survivor", "This pair was decided already: it is no longer open")
        return _compare(pair_id, form, 409)
    return redirect(url_for("console.duplicates", dismissed=1), code=303)


@bp.get("/merges/<uuid:merge_id>")
@signin_required
def merge(merge_id: uuid.UUID) -> Any:
    """A merge: which record stayed, whose fields it took, what moved; undo while it can be."""
    return _merge_page(merge_id, Form())


@bp.post("/merges/<uuid:merge_id>/undo")
@signin_required
def undo_merge(merge_id: uuid.UUID) -> Any:
    """Part the two records again, as they were before the merge."""
    try:
        api().post(f"/api/v1/merges/{merge_id}/undo", json={})
    except ApiProblem as problem:
        if problem.status not in (409, 422):
            raise
        form = Form()
        reasons = [f"{k.replace('_', ' ')}: {v[0]}" for k, v in problem.errors.items() if v]
        form.error(
            "undo",
            "The merge cannot be undone: "
            + ("; ".join(reasons) if reasons else (problem.detail or problem.title)),
        )
        return _merge_page(merge_id, form, 409)
    return redirect(url_for("console.merge", merge_id=merge_id, undone=1), code=303)


def _merge_page(merge_id: uuid.UUID, form: Form, status: int = 200) -> Any:
    client = api()
    found = client.get(f"/api/v1/merges/{merge_id}")
    labels = dict(MERGE_FIELDS)
    return page(
        "console/duplicates/merge.html",
        status,
        merge=found,
        choices=[
            (
                labels.get(name, name),
                "the record that stayed" if side == "survivor" else "the record merged into it",
            )
            for name, side in (found.get("fields") or {}).items()
        ],
        moved=[
            (name.replace("_", " ").capitalize(), counts)
            for name, counts in (found.get("moved") or {}).items()
        ],
        links={
            "survivor": _record_link(found["survivor_id"]),
            "duplicate": _record_link(found["duplicate_id"]),
        },
        form=form,
        errors=form.errors,
        merged=request.args.get("merged") == "1",
        undone=request.args.get("undone") == "1",
    )


def _record_link(citizen_id: str) -> Markup:
    """A link to a record of the merge, named after the person (its id if it cannot be read)."""
    try:
        name = citizen_heading(citizen_id)["name"]
    except ApiProblem:
        name = f"record {citizen_id}"
    return Markup('<a class="govuk-link" href="{}">{}</a>').format(citizen_url(citizen_id), name)
