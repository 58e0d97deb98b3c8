"""Where a knowledge question's expected answer comes from when the citizen record does not hold
it, without assurance importing the domain that does.

Payments sit above assurance in their layer (``cgcrm/layers.py``): assurance may not import them.
Yet "the amount of your last payment" is a question a service asks on the phone. So assurance
declares the look-up it needs (``AnswerSource``, one per question) and the composition root,
``create_app``, installs the payments package's as the source of ``last_payment_amount``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal

from flask import Flask, current_app

# A citizen id -> the answer the record expects, read in the caller's transaction without
# committing; None when the citizen has nothing to answer with (no payment yet).
AnswerSource = Callable[[uuid.UUID], Decimal | None]
_EXTENSION = "cgcrm.assurance_answer_sources"


def install_answer_source(app: Flask, question: str, source: AnswerSource) -> None:
    """Make ``source`` the way ``app`` finds the expected answer to ``question``."""
    app.extensions.setdefault(_EXTENSION, {})[question] = source


def installed_questions(app: Flask) -> frozenset[str]:
    """The questions ``app`` has a source for."""
    return frozenset(app.extensions.get(_EXTENSION, {}))


def expected_answer(question: str, citizen_id: uuid.UUID) -> Decimal | None:
    """The answer the installed source expects from ``citizen_id``; None: nothing to answer.

    :raises RuntimeError: no source for ``question`` (an app not built by ``create_app``).
    """
    source: AnswerSource | None = current_app.extensions.get(_EXTENSION, {}).get(question)
    if source is None:
        raise RuntimeError(f"no answer source for {question}: build the app with create_app")
    return source(citizen_id)
