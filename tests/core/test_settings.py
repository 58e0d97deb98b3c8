"""Configuration: typed keys, CGCRM_* overrides, production refuses to start without secrets."""

from __future__ import annotations

import pytest

from cgcrm.settings import SETTINGS, ConfigError, load_settings


def test_every_key_is_documented() -> None:
    assert all(setting.doc.strip() for setting in SETTINGS)
    assert len({setting.name for setting in SETTINGS}) == len(SETTINGS)


def test_environment_overrides_are_typed() -> None:
    values = load_settings({"CGCRM_PAGE_SIZE_MAX": "150", "CGCRM_SQL_ECHO": "yes"})
    assert values["PAGE_SIZE_MAX"] == 150
    assert values["SQL_ECHO"] is True
    with pytest.raises(ConfigError, match="CGCRM_PORT"):
        load_settings({"CGCRM_PORT": "eighty"})


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError):
        load_settings({"CGCRM_ENV": "staging"})


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "CGCRM_SECRET_KEY and CGCRM_DATABASE_URL"),
        ({"CGCRM_SECRET_KEY": "x" * 40}, "CGCRM_DATABASE_URL"),
        ({"CGCRM_DATABASE_URL": "postgresql://db/cgcrm"}, "CGCRM_SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_secrets(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(ConfigError, match=missing):
        load_settings({"CGCRM_ENV": "production", **environ})


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(ConfigError, match="32 characters"):
        load_settings(
            {
                "CGCRM_ENV": "production",
                "CGCRM_SECRET_KEY": "short",
                "CGCRM_DATABASE_URL": "postgresql://db/cgcrm",
            }
        )


def test_production_needs_its_own_keys_too(tmp_path: object) -> None:
    from cgcrm import create_app

    with pytest.raises(ConfigError, match="JWT_PRIVATE_KEY_FILE"):
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": "s" * 40,
                "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
            }
        )
