"""PROTOTYPE (bench only): ``wsgi:app`` with every change proposed in docs/benchmarks.md.

``gc.freeze()`` after start-up (see wsgi_gc_freeze.py) and the search of
``bench/search_prototype.py`` in place of ``cgcrm.citizens.search.search_citizens`` (the route
looks the function up on the module at call time, so replacing the attribute is enough).
"""

from __future__ import annotations

import gc

import search_prototype

import cgcrm.citizens.search
from wsgi import app

cgcrm.citizens.search.search_citizens = search_prototype.search_citizens  # type: ignore[assignment]
gc.freeze()

__all__ = ["app"]
