"""FEDERATION_PROVIDERS: entries are checked when the application starts, and the rules map
claims to roles and a department as documented."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cgcrm import create_app
from cgcrm.identity.federation.providers import parse_providers
from cgcrm.settings import ConfigError

ENTRY = {
    "name": "gov",
    "issuer": "https://id.gov.example/",
    "client_id": "cgcrm",
    "client_secret": "s3cret",
    "acr_order": ["low", "substantial", "high"],
    "minimum_acr": "substantial",
    "role_rules": [{"claim": "groups", "value": "rates", "roles": ["front_office"]}],
}


def test_an_entry_gets_its_defaults() -> None:
    provider = parse_providers(json.dumps([ENTRY]))["gov"]
    assert provider.issuer == "https://id.gov.example"
    assert provider.discovery_url == "https://id.gov.example/.well-known/openid-configuration"
    assert provider.title == "gov" and provider.scope == "openid profile email"
    assert provider.unknown_users == "refuse" and provider.link_by_email is False
    # A config file may give the list itself.
    assert parse_providers([ENTRY]) == parse_providers(json.dumps([ENTRY]))


@pytest.mark.parametrize(
    ("acr", "acceptable"),
    [("low", False), ("substantial", True), ("high", True), (None, False), ("other", False)],
)
def test_acr_is_compared_by_its_configured_order(acr: str | None, acceptable: bool) -> None:
    assert parse_providers([ENTRY])["gov"].acr_acceptable(acr) is acceptable


def test_rules_match_a_value_or_a_list_member() -> None:
    rule = parse_providers([ENTRY])["gov"].role_rules[0]
    assert rule.matches({"groups": ["waste", "rates"]}) and rule.matches({"groups": "rates"})
    assert not rule.matches({"groups": ["ratesx"]}) and not rule.matches({})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "Has Spaces"}, "name must match"),
        ({"client_id": ""}, "client_id must be"),
        ({"minimum_acr": "highest"}, "minimum_acr must be in acr_order"),
        ({"unknown_users": "maybe"}, "unknown_users is one of"),
        ({"scope": "profile email"}, "scope must include openid"),
        ({"role_rules": [{"claim": "groups", "value": "x", "roles": ["root"]}]}, "unknown: root"),
    ],
)
def test_a_bad_entry_stops_the_start(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        create_app({"ENV": "test", "FEDERATION_PROVIDERS": json.dumps([ENTRY | change])})


def test_two_providers_may_not_share_a_name_and_the_value_must_be_a_list() -> None:
    with pytest.raises(ConfigError, match="share a name"):
        parse_providers([ENTRY, ENTRY])
    with pytest.raises(ConfigError, match="JSON list"):
        parse_providers(json.dumps(ENTRY))
    with pytest.raises(ConfigError, match="not JSON"):
        parse_providers("[{")
