"""What a console form holds between renders: the values typed, the errors to show, and the
Idempotency-Key that makes its submission count once.

Errors come from two places: the page's own checks of what was typed (an amount in dollars) and
the API's problem+json, whose field names are the API's. ``Form.take_problem`` maps those names to
the form's fields, so the GOV.UK error summary (``macros.error_summary``, which takes field id ->
message) links each message to the field it is about; a field's name is its input's id, and a
message about no field of the form goes to the summary alone (``SUMMARY``).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from cgcrm.console.api import ApiProblem, api

SUMMARY = ""
IDEMPOTENCY_FIELD = "idempotency_key"
# Long enough to be unguessable, short enough for the API's key rule.
_KEY_BYTES = 24
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# A double click sends the second request while the first still runs: the API answers 409
# "still being processed". Waiting a little gets the first one's stored answer instead.
IN_FLIGHT_WAITS = (0.1, 0.2, 0.4, 0.8, 1.5)
_MONEY = re.compile(r"^\$?\s*(\d{1,6}(?:,\d{3})*|\d+)(?:\.(\d{1,2}))?$")


def sentence(message: str) -> str:
    """An API message (``required for a web payment``) as a sentence of the page."""
    text = message.strip()
    return text[:1].upper() + text[1:] if text else text


@dataclass
class Form:
    """One form's values and errors. ``errors`` keeps the order the fields are checked in,
    which is the order of the page, as the GOV.UK error summary wants."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(cls, form: Mapping[str, str], names: Iterable[str]) -> Form:
        """The named fields of a posted form, stripped (missing fields are empty)."""
        return cls({name: (form.get(name) or "").strip() for name in names})

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name) or default

    def error(self, name: str, message: str) -> None:
        """Record ``message`` against field ``name`` (the first message of a field wins)."""
        self.errors.setdefault(name, message)

    def take_problem(
        self,
        problem: ApiProblem,
        fields: Mapping[str, str],
        messages: Mapping[str, str] | None = None,
    ) -> None:
        """Show an API refusal on the form.

        :param fields: API field name (dotted when nested: ``answers.postcode``) -> form field.
        :param messages: API field name -> the page's own words, used instead of the API's.
        """
        shown = False
        for name, texts in problem.errors.items():
            target = fields.get(name)
            if target is None:
                continue
            own = (messages or {}).get(name)
            self.error(target, own or sentence(texts[0] if texts else problem.detail))
            shown = True
        if not shown:
            self.error(SUMMARY, sentence(problem.detail or problem.title))

    @property
    def failed(self) -> bool:
        return bool(self.errors)


def create_once(path: str, body: dict[str, Any], key: str) -> Any:
    """POST a create with its form's Idempotency-Key: a repeat of the form gets the first
    create's answer (replayed by the API), also when it arrives while the first still runs.

    :raises ApiProblem: the API's refusal.
    """
    for wait in (*IN_FLIGHT_WAITS, None):
        try:
            return api().post(path, json=body, headers={"Idempotency-Key": key})
        except ApiProblem as problem:
            if wait is None or not _in_flight(problem):
                raise
            time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def refused_as_used(form: Form, problem: ApiProblem, field: str, message: str) -> bool:
    """Whether ``problem`` refused a create because this form's key was used for another body
    (the page sent again with other values): then the form gets a fresh key and ``message`` on
    ``field``. What a form cannot show (a server fault, signed out, no access, not found) is
    raised again, for the console's error pages.
    """
    if problem.status >= 500 or problem.status in (401, 403, 404):
        raise problem
    if "Idempotency-Key" not in problem.errors:
        return False
    form.values[IDEMPOTENCY_FIELD] = new_idempotency_key()
    form.error(field, message)
    return True


def _in_flight(problem: ApiProblem) -> bool:
    return problem.status == 409 and "still being processed" in problem.detail


def new_idempotency_key() -> str:
    """A fresh key for a form about to be shown: a second submit of that page repeats it."""
    return secrets.token_urlsafe(_KEY_BYTES)


def idempotency_key(form: Mapping[str, str]) -> str:
    """The key the posted form carries, or a new one when it carries none that is usable."""
    sent = (form.get(IDEMPOTENCY_FIELD) or "").strip()
    return sent if _KEY.fullmatch(sent) else new_idempotency_key()


def parse_money(text: str) -> int | None:
    """Dollars and cents as typed (``65``, ``65.5``, ``$1,065.00``) in minor units.

    :returns: None when ``text`` is not an amount of money.
    """
    match = _MONEY.fullmatch(text.strip())
    if not match:
        return None
    try:
        whole = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        return None
    cents = (match.group(2) or "0").ljust(2, "0")
    return int(whole) * 100 + int(cents)
