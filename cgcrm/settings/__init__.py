"""Every configuration key, with its type, default and meaning.

Each area declares its keys in its own module (``runtime``, ``identity``, ``payments``, ...);
``SETTINGS`` is all of them. ``core`` holds what a setting is and how values are resolved
(defaults, ``config/<env>.py``, ``CGCRM_<KEY>``, then explicit overrides; see its docstring).
A new key goes into its area's module; a new area is a new module added to ``SETTINGS`` below.
"""

from __future__ import annotations

from typing import Any

from cgcrm.settings.api import API
from cgcrm.settings.cases import CASES
from cgcrm.settings.console import CONSOLE
from cgcrm.settings.core import (
    ENVIRONMENTS,
    PROJECT_ROOT,
    ConfigError,
    Setting,
    resolve_settings,
)
from cgcrm.settings.identity import IDENTITY
from cgcrm.settings.matching import MATCHING
from cgcrm.settings.metrics import METRICS
from cgcrm.settings.notifications import NOTIFICATIONS
from cgcrm.settings.payments import PAYMENTS
from cgcrm.settings.rate_limits import RATE_LIMITS
from cgcrm.settings.records import RECORDS
from cgcrm.settings.runtime import RUNTIME
from cgcrm.settings.worker import WORKER

SETTINGS: tuple[Setting, ...] = (
    *RUNTIME,
    *WORKER,
    *RECORDS,
    *IDENTITY,
    *RATE_LIMITS,
    *API,
    *CASES,
    *MATCHING,
    *METRICS,
    *PAYMENTS,
    *NOTIFICATIONS,
    *CONSOLE,
)


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Resolve every key of ``SETTINGS`` for one application instance (see ``resolve_settings``).

    :raises ConfigError: on an unknown environment, a bad value, or missing production secrets.
    """
    return resolve_settings(SETTINGS, environ, overrides)


__all__ = [
    "ENVIRONMENTS",
    "PROJECT_ROOT",
    "SETTINGS",
    "ConfigError",
    "Setting",
    "load_settings",
    "resolve_settings",
]
