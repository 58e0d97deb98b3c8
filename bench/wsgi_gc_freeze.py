"""PROTOTYPE (bench only): ``wsgi:app`` with ``gc.freeze()`` after the app is built.

The proposed fix for the search tail latency: every full (generation 2) garbage collection
walks the ~130,000 objects of the loaded application (Flask, SQLAlchemy, marshmallow,
phonenumbers metadata, ...) and stalls a request for 60-70 ms on this machine. Freezing them
after start-up leaves the collector only the objects requests create.

    .venv/bin/gunicorn -w 2 -b 127.0.0.1:8000 --pythonpath bench wsgi_gc_freeze:app
"""

from __future__ import annotations

import gc

from wsgi import app

gc.freeze()

__all__ = ["app"]
