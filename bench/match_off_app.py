"""The real app without identity resolution's look-up: creates do not match first.

``create_app`` installs the matching engine as the look-up ``POST /api/v1/citizens`` asks before
it creates (cgcrm/citizens/match_links.py); an app without one creates as before issue 11. The
other half of bench/match_latency.py's A/B (``gunicorn match_off_app:app``, from bench/).
"""

import gc

from cgcrm import create_app
from cgcrm.citizens import match_links

app = create_app()
app.extensions.pop(match_links._EXTENSION, None)
gc.freeze()  # as wsgi.py does
