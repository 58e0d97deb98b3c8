"""Client secrets stored as SHA-256; argon2 hashes made before still verify and are replaced."""

from __future__ import annotations

from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import select, update

from cgcrm.core.errors import ValidationError
from cgcrm.extensions import db
from cgcrm.identity import client_auth
from cgcrm.identity.client_secrets import (
    SHA256_PREFIX,
    check_client_secret,
    hash_client_secret,
    stand_in_hash,
)
from cgcrm.identity.models import OAuthClient
from cgcrm.identity.service import create_client
from tests.conftest import counting_queries


def _client(app: Flask) -> tuple[str, str]:
    with app.app_context():
        issued = create_client("dept system", "RATES", "citizens:read")
        db.session.remove()
    return issued.client.client_id, issued.client_secret


def _stored(app: Flask, client_id: str) -> str:
    with app.app_context():
        stored = db.session.scalar(
            select(OAuthClient.client_secret_hash).where(OAuthClient.client_id == client_id)
        )
        db.session.remove()
    assert stored is not None
    return stored


def _as_before(app: Flask, client_id: str, secret: str) -> str:
    """Store the client's secret as releases before this one did (argon2id, library defaults)."""
    old = PasswordHasher().hash(secret)
    with app.app_context():
        db.session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == client_id)
            .values(client_secret_hash=old)
        )
        db.session.commit()
        db.session.remove()
    return old


def _token(client: Any, client_id: str, secret: str) -> Any:
    return client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def _updates(statements: list[str]) -> list[str]:
    return [s for s in statements if s.lstrip().upper().startswith("UPDATE OAUTH_CLIENTS")]


def test_a_new_client_secret_is_stored_as_its_sha256(app: Flask) -> None:
    client_id, secret = _client(app)
    stored = _stored(app, client_id)
    assert stored == hash_client_secret(secret)
    assert stored.startswith(SHA256_PREFIX) and secret not in stored


def test_a_client_hashed_with_argon2_gets_a_token_and_its_hash_is_replaced(
    app: Flask, client: Any
) -> None:
    client_id, secret = _client(app)
    _as_before(app, client_id, secret)

    with counting_queries(app) as statements:
        first = _token(client, client_id, secret)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert _stored(app, client_id) == hash_client_secret(secret)
    assert len(_updates(statements)) == 1

    with counting_queries(app) as statements:
        second = _token(client, client_id, secret)
    assert second.status_code == 200
    assert not _updates(statements)  # replaced once


def test_any_endpoint_that_authenticates_a_client_upgrades_its_hash(
    app: Flask, client: Any
) -> None:
    """Introspection too: the upgrade is in the server's client authentication, not a grant."""
    client_id, secret = _client(app)
    token = _token(client, client_id, secret).get_json()["access_token"]
    _as_before(app, client_id, secret)
    response = client.post("/oauth/introspect", data={"token": token}, auth=(client_id, secret))
    assert response.status_code == 200 and response.get_json()["active"] is True
    assert _stored(app, client_id) == hash_client_secret(secret)


def test_a_wrong_secret_is_refused_and_changes_no_stored_hash(app: Flask, client: Any) -> None:
    client_id, secret = _client(app)
    assert _token(client, client_id, secret + "x").status_code == 401
    assert _token(client, client_id, secret.upper()).status_code == 401
    assert _stored(app, client_id) == hash_client_secret(secret)

    old = _as_before(app, client_id, secret)
    assert _token(client, client_id, "not-the-secret").status_code == 401
    assert _stored(app, client_id) == old  # only a match replaces an argon2 hash


def test_an_unknown_client_id_is_checked_against_the_stand_in_hash(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same work as a known id: one check against a stored form of the current kind."""
    checked: list[tuple[str, str]] = []

    def spy(stored: str, presented: str) -> tuple[bool, str | None]:
        checked.append((stored, presented))
        return check_client_secret(stored, presented)

    monkeypatch.setattr(client_auth, "check_client_secret", spy)
    response = _token(client, "cgcrm-nobody", "a-guess")
    assert response.status_code == 401
    assert checked == [(stand_in_hash(), "a-guess")]
    assert stand_in_hash().startswith(SHA256_PREFIX)


def test_checking_stored_forms() -> None:
    secret = "s3cr3t-\u00e9"
    assert check_client_secret(hash_client_secret(secret), secret) == (True, None)
    assert check_client_secret(hash_client_secret(secret), secret + " ") == (False, None)
    old = PasswordHasher().hash(secret)
    assert check_client_secret(old, secret) == (True, hash_client_secret(secret))
    assert check_client_secret(old, "other") == (False, None)
    # A stored value of no known form never matches, not even the value itself.
    for stored in ("", secret, "md5$" + secret, SHA256_PREFIX, "$argon2id$broken"):
        assert check_client_secret(stored, secret) == (False, None)
    # A presented secret that is not valid UTF-8 text (lone surrogate) is hashed, not an error.
    assert check_client_secret(hash_client_secret(secret), "\udc80") == (False, None)


def test_a_fixed_secret_must_be_long(app: Flask) -> None:
    """SHA-256 is a safe stored form only for a secret nobody could guess."""
    with app.app_context(), pytest.raises(ValidationError):
        create_client("dept system", "RATES", "citizens:read", client_secret="demo-secret")
    with app.app_context():
        long_one = "k" * 11 + "Q3vX9pL2mN8rT5wY1zB7cD4fG6hJ0"
        issued = create_client("dept system", "RATES", "citizens:read", client_secret=long_one)
        assert issued.client.client_secret_hash == hash_client_secret(long_one)
        db.session.remove()
