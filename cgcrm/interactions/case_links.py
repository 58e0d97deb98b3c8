"""What the touchpoint log must know of a case a contact names, without importing cases.

Cases use interactions, never the reverse (DESIGN.md §2). Yet a contact recorded against a
case must be refused in the same request when the caller may not see the case or the case is
about another citizen. So interactions declares the look-up it needs (``CaseLookup``) and the
composition root, ``create_app``, installs the cases package's ``get_case`` as that look-up.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Protocol

from flask import Flask, current_app

from cgcrm.core.errors import NotFound, ValidationError
from cgcrm.core.principal import Actor


class LinkedCase(Protocol):
    """The part of a case a contact's validation reads."""

    @property
    def citizen_id(self) -> uuid.UUID | None: ...


CaseLookup = Callable[[Actor, uuid.UUID], LinkedCase]
_EXTENSION = "cgcrm.case_lookup"


def install_case_lookup(app: Flask, lookup: CaseLookup) -> None:
    """Make ``lookup`` the way ``app``'s interactions find the case a contact names.

    :param lookup: returns the case when the actor may see it, inside the caller's transaction
        and without committing; raises ``NotFound`` otherwise.
    """
    app.extensions[_EXTENSION] = lookup


def find_case(actor: Actor, case_id: uuid.UUID) -> LinkedCase:
    """The case ``case_id`` if ``actor`` may see it, found by the installed look-up.

    :raises NotFound: no such case, or one the actor may not see.
    :raises RuntimeError: the application was built without a case look-up (not by create_app).
    """
    lookup: CaseLookup | None = current_app.extensions.get(_EXTENSION)
    if lookup is None:
        raise RuntimeError("no case look-up installed: build the app with cgcrm.create_app")
    return lookup(actor, case_id)


def check_case(actor: Actor, case_id: uuid.UUID, citizen_id: uuid.UUID | None) -> None:
    """Refuse a record naming a case the actor may not see, or another citizen's case.

    :raises ValidationError: naming ``case_id`` (an unknown case reads as a field error, as
        the actor may not learn whether it exists).
    """
    try:
        case = find_case(actor, case_id)
    except NotFound as exc:
        raise ValidationError(
            f"no case with id {case_id}", errors={"case_id": ["unknown case"]}
        ) from exc
    if citizen_id is not None and case.citizen_id not in (None, citizen_id):
        raise ValidationError(
            "the case belongs to another citizen", errors={"case_id": ["another citizen's case"]}
        )
