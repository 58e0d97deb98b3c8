"""The live OpenID provider's fixtures (``federation_stack``), for the federation test modules;
each module that asks for them gets its own provider (module scope)."""

from tests.identity.federation_stack import console, federate, identity_provider, proxy

__all__ = ["console", "federate", "identity_provider", "proxy"]
