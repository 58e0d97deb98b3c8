"""Front-end files from the npm packages (``CONSOLE_ASSETS_DIR``), under /console/assets/.

Only the files the pages use are served, by short names, so node_modules is not browsable.
GOV.UK Frontend's stylesheet is served rewritten: its ``/assets/...`` URLs made relative (so
they resolve under this path wherever the console is mounted), and without its ``@font-face``
rules: the GDS Transport typeface is licensed for GOV.UK services only, so pages fall back to
the stylesheet's next font (Arial), as GOV.UK Frontend advises services elsewhere.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, send_file

from cgcrm.console.blueprint import bp
from cgcrm.settings import PROJECT_ROOT

GOVUK = "govuk-frontend/dist/govuk"
FILES = {
    "govuk-frontend.min.js": f"{GOVUK}/govuk-frontend.min.js",
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
}
STYLESHEET = "govuk-frontend.min.css"
IMAGES = f"{GOVUK}/assets/images"
MAX_AGE = 3600
_FONT_FACE = re.compile(r"@font-face\{[^}]*\}")


def assets_dir() -> Path:
    configured = current_app.config["CONSOLE_ASSETS_DIR"]
    return Path(configured) if configured else PROJECT_ROOT / "node_modules"


@lru_cache(maxsize=4)
def _stylesheet(path: Path, mtime: float) -> bytes:
    css = path.read_text(encoding="utf-8")
    css = _FONT_FACE.sub("", css).replace("url(/assets/", "url(")
    return css.encode()


@bp.get("/assets/<path:filename>")
def assets(filename: str) -> Any:
    base = assets_dir()
    if filename == STYLESHEET:
        path = base / GOVUK / STYLESHEET
        if not path.is_file():
            abort(404)
        response = Response(_stylesheet(path, path.stat().st_mtime), mimetype="text/css")
        response.cache_control.max_age = MAX_AGE
        return response
    if filename in FILES:
        path = base / FILES[filename]
    elif filename.startswith("images/") and re.fullmatch(r"images/[\w.-]+", filename):
        path = base / IMAGES / filename.removeprefix("images/")
    else:
        abort(404)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=MAX_AGE, conditional=True)
