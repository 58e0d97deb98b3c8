"""Talking to an external OpenID provider with Authlib's client: discovery, JWKS, the
authorization URL (state, nonce, PKCE S256, acr_values), the code exchange, and the checks of
the ID token (signature against the provider's keys, iss, aud, azp, nonce, exp, iat, at_hash).

Discovery documents and key sets are kept per process for ``METADATA_SECONDS``; a token
signed with a key id we do not hold fetches the key set again (the provider rotated), at most
once every ``JWKS_REFETCH_SECONDS``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from cgcrm.identity.federation.providers import Provider

METADATA_SECONDS = 300
JWKS_REFETCH_SECONDS = 10
# Asymmetric only: a provider's ID token is checked against its published public keys, so an
# HMAC "signed" with a public key, or alg none, is never accepted.
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
CLOCK_LEEWAY_SECONDS = 60


class FederationRefused(Exception):
    """The external sign-in cannot sign anyone in here.

    :param reason: a short code for the page and the security event (``id_token``, ``acr``…).
    :param authorize_query: the client's authorization request, when this browser's own sign-in
        was answered with an error (the person cancelled, say): they may still sign in another way.
    """

    def __init__(self, reason: str, detail: str, authorize_query: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.authorize_query = authorize_query


@dataclass
class _Cached:
    metadata: dict[str, Any]
    keys: KeySet | None
    fetched_at: float
    keys_fetched_at: float = 0.0


class ProviderClient:
    """One external provider, as this process sees it."""

    def __init__(self, provider: Provider, timeout: float) -> None:
        self.provider = provider
        self.timeout = timeout
        self._cached: _Cached | None = None
        self._lock = threading.Lock()

    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        return OAuth2Session(
            self.provider.client_id,
            self.provider.client_secret,
            scope=self.provider.scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise FederationRefused("provider_unavailable", f"{url}: {exc}") from exc
        if not isinstance(body, dict):
            raise FederationRefused("provider_unavailable", f"{url}: not a JSON object")
        return body

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (OIDC Discovery §4), checked to be its own."""
        with self._lock:
            cached = self._cached
            if cached is not None and time.monotonic() - cached.fetched_at < METADATA_SECONDS:
                return cached.metadata
        metadata = self._get_json(self.provider.discovery_url)
        # Discovery §4.3: the document's issuer is exactly the one configured.
        if metadata.get("issuer", "").rstrip("/") != self.provider.issuer:
            raise FederationRefused(
                "provider_metadata", f"discovery names issuer {metadata.get('issuer')!r}"
            )
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(key), str):
                raise FederationRefused("provider_metadata", f"discovery lacks {key}")
        with self._lock:
            self._cached = _Cached(metadata, None, time.monotonic())
        return metadata

    def _keys(self, refresh: bool = False) -> KeySet:
        metadata = self.metadata()
        with self._lock:
            cached = self._cached
            assert cached is not None
            recently = time.monotonic() - cached.keys_fetched_at < JWKS_REFETCH_SECONDS
            if cached.keys is not None and (not refresh or recently):
                return cached.keys
        try:
            keys = KeySet.import_key_set(self._get_json(metadata["jwks_uri"]))  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise FederationRefused("provider_metadata", f"unusable key set: {exc}") from exc
        with self._lock:
            cached.keys = keys
            cached.keys_fetched_at = time.monotonic()
        return keys

    def authorization_url(
        self, redirect_uri: str, state: str, nonce: str, code_verifier: str
    ) -> str:
        """Where to send the browser: the provider's authorization endpoint with our request."""
        extra: dict[str, str] = {"nonce": nonce}
        if self.provider.acr_values:
            extra["acr_values"] = self.provider.acr_values
        url, _ = self._session(redirect_uri).create_authorization_url(
            self.metadata()["authorization_endpoint"],
            state=state,
            code_verifier=code_verifier,
            **extra,
        )
        return str(url)

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str) -> dict[str, Any]:
        """The provider's token response for ``code`` (client authenticated, PKCE verifier).

        :raises FederationRefused: the provider refused, or answered without an ID token.
        """
        session = self._session(redirect_uri)
        try:
            token = session.fetch_token(
                self.metadata()["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=self.timeout,
            )
        except Exception as exc:  # Authlib raises OAuthError, requests its own: both refuse
            raise FederationRefused("token_exchange", str(exc)[:300]) from exc
        finally:
            session.close()
        if not isinstance(token.get("id_token"), str):
            raise FederationRefused("token_exchange", "the token response has no id_token")
        return dict(token)

    def verify_id_token(
        self, id_token: str, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The claims of an ID token this provider signed for us, for this sign-in, now.

        :raises FederationRefused: a bad signature or algorithm, a wrong iss, aud or azp, a
            nonce other than ours, expired or issued in the future, or an acr below our minimum.
        """
        allowed = [
            alg
            for alg in self.metadata().get("id_token_signing_alg_values_supported", ["RS256"])
            if alg in SIGNING_ALGORITHMS
        ]
        try:
            try:
                decoded = jwt.decode(id_token, self._keys(), algorithms=allowed)
            except InvalidKeyIdError:
                decoded = jwt.decode(id_token, self._keys(refresh=True), algorithms=allowed)
            claims = CodeIDToken(
                decoded.claims,
                decoded.header,
                {
                    "iss": {"essential": True, "value": self.provider.issuer},
                    "aud": {"essential": True, "value": self.provider.client_id},
                    "nonce": {"essential": True, "value": nonce},
                    "sub": {"essential": True},
                },
                {
                    "nonce": nonce,
                    "client_id": self.provider.client_id,
                    "access_token": access_token,
                },
            )
            claims.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except (JoseError, ValueError, TypeError) as exc:
            raise FederationRefused("id_token", f"{type(exc).__name__}: {exc}") from exc
        if claims.get("iat", 0) > time.time() + CLOCK_LEEWAY_SECONDS:
            raise FederationRefused("id_token", "issued in the future")
        if not self.provider.acr_acceptable(claims.get("acr")):
            raise FederationRefused(
                "acr",
                f"the provider asserted acr {claims.get('acr')!r}; "
                f"{self.provider.minimum_acr!r} or stronger is required",
            )
        return dict(claims)
