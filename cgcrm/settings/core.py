"""What a setting is and how one application's values are resolved.

Values are resolved in this order (later wins): the defaults declared in this package, the
environment's file in ``config/<env>.py``, ``CGCRM_<KEY>`` environment variables, then explicit
overrides passed to ``create_app`` (tests use these). Nothing here reads the environment at
import time.
"""

from __future__ import annotations

import os
import runpy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# cgcrm/settings/core.py -> the repository (config/, migrations/, instance/ live there).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("development", "test", "production")


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    doc: str


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run the application safely."""


def _coerce(setting: Setting, raw: Any) -> Any:
    if setting.type is bool and isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    try:
        return setting.type(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"CGCRM_{setting.name}: expected {setting.type.__name__}") from exc


def resolve_settings(
    declared: Sequence[Setting],
    environ: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Resolve every declared setting for one application instance.

    :param declared: the keys known (``cgcrm.settings.SETTINGS``); any other override is refused.
    :param environ: the process environment (``os.environ`` when None).
    :param overrides: explicit values that win over everything else.
    :raises ConfigError: on an unknown environment, a bad value, or missing production secrets.
    """
    by_name = {setting.name: setting for setting in declared}
    environ = dict(os.environ if environ is None else environ)
    overrides = dict(overrides or {})
    env = overrides.get("ENV") or environ.get("CGCRM_ENV") or "development"
    if env not in ENVIRONMENTS:
        raise ConfigError(f"CGCRM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")

    values: dict[str, Any] = {s.name: s.default for s in declared}
    config_dir = Path(environ.get("CGCRM_CONFIG_DIR", PROJECT_ROOT / "config"))
    for filename in ("default.py", f"{env}.py"):
        path = config_dir / filename
        if path.exists():
            module_vars = runpy.run_path(str(path))
            values.update({k: v for k, v in module_vars.items() if k in by_name})
    for setting in declared:
        raw = environ.get(f"CGCRM_{setting.name}")
        if raw is not None:
            values[setting.name] = _coerce(setting, raw)
    values.update(overrides)
    values["ENV"] = env
    unknown = set(overrides) - set(by_name)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")

    if env == "production":
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not values[name]]
        if missing:
            names = " and ".join(f"CGCRM_{name}" for name in missing)
            raise ConfigError(f"production refuses to start without {names}")
        if len(values["SECRET_KEY"]) < 32:
            raise ConfigError("CGCRM_SECRET_KEY must be at least 32 characters in production")
    return values
