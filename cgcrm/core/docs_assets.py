"""Swagger UI's scripts and styles, served by us from the pinned ``flask-swagger-ui`` package.

The interactive docs page then loads nothing from a CDN, so its content security policy can
say ``'self'`` and the page works where outbound traffic is closed. Only the package's
``dist/`` files are used, not its blueprint (flask-smorest renders the page).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from flask import Blueprint

ASSETS_PACKAGE = "flask_swagger_ui"


def _dist_folder() -> str:
    spec = importlib.util.find_spec(ASSETS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{ASSETS_PACKAGE} is not installed: run make install")
    return str(Path(next(iter(spec.submodule_search_locations))) / "dist")


def swagger_ui_assets(url_path: str) -> Blueprint:
    """A blueprint serving Swagger UI's files under ``url_path`` (endpoint
    ``swagger_ui_assets.static``, public)."""
    return Blueprint(
        "swagger_ui_assets", __name__, static_folder=_dist_folder(), static_url_path=url_path
    )
