"""The layers of DESIGN.md §2, declared once, as data. Imports nothing.

``tests/test_layers.py`` parses every module of ``cgcrm/`` (imports inside functions and
``TYPE_CHECKING`` blocks included) and fails on any import that breaks these rules:

- A package imports packages of its own layer or of the layers below it, never above.
- Inside one layer imports run one way only, and the order of ``packages`` is that way: a
  package may import those listed after it in its layer, never those listed before it
  (``cases`` before ``interactions``: cases use interactions, never the reverse).
- A composition root may import anything; nothing imports a composition root.
- Every top-level package or module of ``cgcrm/`` is listed here, including those not written
  yet, so a new one fails the test until someone decides where it belongs.

A lower layer that must react to a higher one does so through outbox events and handlers
named by dotted path (``worker.handlers.HANDLERS``), or through a look-up the composition root
installs (``interactions.case_links``), never by importing it.

To add a package: put its name in the layer where it belongs, at the place in that layer's
order that gives the direction its imports run; if none fits, that is a design change for
DESIGN.md §2 and ``docs/decisions.md`` first.
"""

from __future__ import annotations

from dataclasses import dataclass

# "cgcrm" is the package's own __init__ (create_app, which registers every blueprint). The
# CLI and the health endpoints are wired there too and are imported only by it. The worker is
# not a root: admin and metrics read its state, and it reaches the domains only by dotted path.
COMPOSITION_ROOTS: tuple[str, ...] = ("cgcrm", "cli", "health")


@dataclass(frozen=True)
class Layer:
    """One band of DESIGN.md §2; ``packages`` in the one direction imports run inside it."""

    name: str
    packages: tuple[str, ...]


# Top layer first.
LAYERS: tuple[Layer, ...] = (
    Layer(
        "read models and reports composed from the domains, fed by events",
        # demo: writes simulated activity through every domain (``flask demo simulate``).
        # console: the optional staff console (HTML pages over the views below).
        ("demo", "console", "overview", "admin", "integrations", "metrics"),
    ),
    Layer(
        "domains about a citizen",
        # surveys follow contacts and cases; a payment may be taken in a contact; assurance
        # (identity verification levels) and matching (identity resolution) build on citizens.
        ("surveys", "cases", "payments", "interactions", "assurance", "matching"),
    ),
    Layer("the citizen record", ("citizens",)),
    Layer(
        "background runtime: queues, outbox relay, event handlers, periodic jobs",
        ("worker", "jobs"),
    ),
    Layer(
        "who acts (tokens, users, the guard); how we reach people; what is offered",
        ("identity", "notifications", "catalog"),
    ),
    Layer(
        "shared mechanisms, no domain",
        ("core", "extensions", "settings", "layers"),
    ),
)

# Imports the rules refuse but the design needs, by (importing module, imported module), each
# with its reason. The test fails on an entry that no longer matches an import.
ALLOWED_IMPORTS: dict[tuple[str, str], str] = {
    ("cgcrm.jobs", "cgcrm"): (
        "a plain `rq worker` (started without `flask worker`) builds the application on its "
        "first job: the RQ entry point is where a worker process meets the composition root"
    ),
}
