"""The configured external providers of this application, each with its client (and the
discovery document and keys that client keeps)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app

from cgcrm.identity.federation.client import ProviderClient
from cgcrm.identity.federation.providers import Provider, parse_providers

_EXTENSION = "cgcrm.federation"


class FederationDirectory:
    """Reads FEDERATION_PROVIDERS as the application's config holds it now (a changed value
    gets new clients: nothing cached about a provider outlives its configuration)."""

    def __init__(self) -> None:
        self._configured: Any = None
        self._clients: dict[str, ProviderClient] = {}
        self._lock = threading.Lock()

    def _current(self) -> dict[str, ProviderClient]:
        configured = current_app.config["FEDERATION_PROVIDERS"]
        with self._lock:
            if configured != self._configured:
                timeout = current_app.config["FEDERATION_HTTP_TIMEOUT"]
                self._clients = {
                    name: ProviderClient(provider, timeout)
                    for name, provider in parse_providers(configured).items()
                }
                self._configured = configured
            return self._clients

    def providers(self) -> list[Provider]:
        return [client.provider for client in self._current().values()]

    def client(self, name: str) -> ProviderClient | None:
        return self._current().get(name)


def init_federation(app: Flask) -> None:
    """Check the configured providers now (a bad entry stops the start, not a sign-in).

    :raises ConfigError: a malformed FEDERATION_PROVIDERS.
    """
    parse_providers(app.config["FEDERATION_PROVIDERS"])
    app.extensions[_EXTENSION] = FederationDirectory()


def directory() -> FederationDirectory:
    directory: FederationDirectory = current_app.extensions[_EXTENSION]
    return directory


def federated_acr_values() -> list[str]:
    """Every acr the configured providers may assert (a federated ID token passes them on)."""
    return [acr for provider in directory().providers() for acr in provider.acr_order]
