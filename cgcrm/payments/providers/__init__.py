"""The registry of payment providers, driven by settings.

PAYMENT_PROVIDERS maps a provider's name to ``module:Class``; PAYMENT_DEFAULT_PROVIDERS maps
each channel to the provider used when a payment names none. A provider class is imported the
first time it is asked for and one instance is kept per application, so adding a gateway is one
module and one settings line; a named module that is not there yet is simply unavailable.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import current_app

from cgcrm.core.errors import ValidationError
from cgcrm.payments.providers.base import PaymentProvider

_EXTENSION = "cgcrm.payment_providers"


def _parse(text: str) -> dict[str, str]:
    """``a=x,b=y`` (settings from the environment) into a mapping; a dict passes through."""
    pairs = (item.split("=", 1) for item in text.split(",") if "=" in item)
    return {name.strip(): value.strip() for name, value in pairs}


def configured(setting: str) -> dict[str, str]:
    value: Any = current_app.config[setting]
    return dict(value) if isinstance(value, dict) else _parse(str(value))


def _load(path: str) -> PaymentProvider:
    module_name, _, class_name = path.partition(":")
    module = importlib.import_module(module_name)
    provider: PaymentProvider = getattr(module, class_name)()
    return provider


def provider_for(name: str) -> PaymentProvider:
    """The provider called ``name``, built once per application.

    :raises ValidationError: no such provider is configured, or its module is missing.
    """
    cache: dict[str, PaymentProvider] = current_app.extensions.setdefault(_EXTENSION, {})
    found = cache.get(name)
    if found is not None:
        return found
    path = configured("PAYMENT_PROVIDERS").get(name)
    if path is None:
        raise ValidationError(
            f"no payment provider called {name}", errors={"provider": ["unknown provider"]}
        )
    try:
        provider = _load(path)
    except (ImportError, AttributeError) as exc:
        raise ValidationError(
            f"payment provider {name} is not available", errors={"provider": ["unavailable"]}
        ) from exc
    cache[name] = provider
    return provider


def default_provider_name(channel: str) -> str:
    """The provider a payment on ``channel`` uses unless it names one.

    :raises ValidationError: no default is configured for the channel.
    """
    name = configured("PAYMENT_DEFAULT_PROVIDERS").get(channel)
    if name is None:
        raise ValidationError(
            f"no payment provider is configured for channel {channel}",
            errors={"channel": ["no provider for this channel"]},
        )
    return name


def available_providers() -> list[str]:
    """Names of the configured providers, in settings order."""
    return list(configured("PAYMENT_PROVIDERS"))
