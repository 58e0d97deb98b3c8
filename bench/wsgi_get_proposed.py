"""PROTOTYPE (bench only): ``wsgi:app`` with bench/get_prototype.py installed and
``gc.freeze()`` after start-up. Serve it from the project root:

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8000 --pythonpath bench wsgi_get_proposed:app
"""

from __future__ import annotations

import gc

import get_prototype

from wsgi import app

get_prototype.install()
gc.freeze()

__all__ = ["app"]
