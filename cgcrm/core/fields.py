"""Marshmallow fields that refuse what the database would choke on or a reader be misled by.

Every request schema builds on these instead of marshmallow's own types (a test walks every
schema the API parses and fails on a plain one):

* ``Text`` for any free text staff read (the rules: ``cgcrm.core.text_rules``);
* ``BoundedDateTime`` and ``BoundedDate`` for every moment and date (``cgcrm.core.time_bounds``);
* ``BoundedList`` and ``BoundedDict`` for every collection: the length is checked before any
  item, so 100,000 bad items cost one short error, not 100,000.

Enumerated codes and identifiers stay ``fields.String`` but must carry a ``FullMatch`` or
``OneOf`` validator: that is what marks a string as a code rather than free text.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any, cast

from marshmallow import ValidationError, fields, validate

from cgcrm.core import text_rules, time_bounds
from cgcrm.core.clock import utcnow
from cgcrm.core.text_rules import text_problem


class Text(fields.String):
    """Trimmed, NFC-normalised text without control, format or unassigned characters.

    PostgreSQL rejects NUL and unpaired surrogates outright; refusing them here turns a would-be
    500 into a 422 with the field named. Format characters and stacked combining marks make
    text look different from what is stored (``cgcrm.core.text_rules`` says exactly what is
    refused, and where ZWJ/ZWNJ are allowed).

    :param multiline: line feeds and tabs are allowed.
    :param max_marks: most combining marks per character; None reads TEXT_MAX_COMBINING_MARKS.
    :param blank_as_none: blank text means "not known" and loads as None (a department's file
        writes a missing name or address part as an empty column); else ``min_length`` holds.
    """

    def __init__(
        self,
        *,
        max_length: int = 200,
        min_length: int = 0,
        multiline: bool = False,
        max_marks: int | None = None,
        blank_as_none: bool = False,
        **kwargs: Any,
    ) -> None:
        if blank_as_none:
            kwargs.setdefault("allow_none", True)
        super().__init__(**kwargs)
        self.max_length = max_length
        self.min_length = min_length
        self.blank_as_none = blank_as_none
        self.multiline = multiline
        self.max_marks = max_marks

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        # Checked before normalising (normalising a megabyte of marks is work for nothing) and
        # on the text as sent, which is what the document's maxLength bounds; and again after,
        # as NFC may lengthen a few characters.
        if len(text) > self.max_length:
            raise ValidationError(f"longer than {self.max_length} characters")
        if text.isascii() and text.isprintable():
            # Most text: NFC leaves it as it is and no rule refuses a printable ASCII
            # character (no control, format or unassigned one, no mark, no joiner), so the
            # character by character check is skipped (a bulk import checks every row's).
            text = text.strip()
        else:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValidationError("contains invalid Unicode (unpaired surrogate)") from exc
            text = unicodedata.normalize("NFC", text.strip())
            max_marks = self._max_marks()
            problem = text_problem(text, multiline=self.multiline, max_marks=max_marks)
            if problem:
                raise ValidationError(problem)
        if len(text) > self.max_length:
            raise ValidationError(f"longer than {self.max_length} characters")
        if not text and self.blank_as_none:
            return None
        if len(text) < self.min_length:
            raise ValidationError(
                "must not be blank"
                if self.min_length == 1
                else f"shorter than {self.min_length} characters"
            )
        return text

    def _max_marks(self) -> int:
        if self.max_marks is not None:
            return self.max_marks
        return int(time_bounds.setting("TEXT_MAX_COMBINING_MARKS"))

    def json_schema(self) -> dict[str, Any]:
        """What the OpenAPI document says of this field (``cgcrm.core.openapi`` reads it).

        Keep it in step with ``_deserialize``: a client (and the schema fuzzer) trusts that a
        value matching it is accepted.
        """
        max_marks = self._max_marks()
        properties: dict[str, Any] = {
            "format": text_rules.TEXT_FORMAT,
            "pattern": text_rules.text_pattern(
                multiline=self.multiline, not_blank=self.min_length >= 1 and not self.blank_as_none
            ),
            "maxLength": self.max_length,
            "description": _described(
                self, text_rules.text_description(multiline=self.multiline, max_marks=max_marks)
            ),
        }
        if self.min_length and not self.blank_as_none:
            properties["minLength"] = self.min_length
        if self.blank_as_none:
            properties["description"] += " Blank is read as null (not known)."
        return properties


class BoundedDateTime(fields.AwareDateTime):
    """An ISO 8601 moment with an offset that PostgreSQL and Python hold in every time zone.

    :param contact: also plausible as the time of a contact: within CONTACT_HORIZON_DAYS of
        now and at most CLOCK_SKEW_SECONDS ahead of it.
    """

    def __init__(self, *, contact: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.contact = contact

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and len(value) > 40:
            raise ValidationError("not an ISO 8601 date-time")
        try:
            moment = super()._deserialize(value, attr, data, **kwargs)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("not a valid date-time") from exc
        problem = time_bounds.representable_problem(moment)
        if problem is None and self.contact:
            problem = time_bounds.contact_moment_problem(moment)
        if problem:
            raise ValidationError(problem)
        return moment

    def json_schema(self) -> dict[str, Any]:
        """The years and offsets a pattern can pin; the rest in the description."""
        rule = "An RFC 3339 date-time with a UTC offset within ±14:00 (Z for UTC), from "
        rule += "0001-01-03 to 9999-12-29."
        first, last = 1, 9999
        if self.contact:
            now = utcnow()
            horizon = int(time_bounds.setting("CONTACT_HORIZON_DAYS"))
            skew = int(time_bounds.setting("CLOCK_SKEW_SECONDS"))
            # A day either side: the local year of a moment near New Year may differ from UTC's.
            first = (now - timedelta(days=horizon + 1)).year
            last = (now + timedelta(seconds=skew, days=1)).year
            rule += (
                f" When a contact happened: not more than {horizon} days ago and at most "
                f"{skew} seconds ahead of the server's clock; a contact lasts at most "
                f"{time_bounds.setting('CONTACT_MAX_SPAN_HOURS')} hours."
            )
        return {
            "pattern": time_bounds.moment_pattern(first, last),
            "description": _described(self, rule),
        }


class BoundedDate(fields.Date):
    """An ISO 8601 calendar date within plausible bounds, written 1908-12-09 or, as many
    department files hold it, in ISO 8601's basic form 19081209.

    :param earliest: the first date accepted (EARLIEST_DATE, 1800-01-01, unless given).
    :param not_in_future: refuse dates after today (dates of birth, say).
    """

    def __init__(
        self,
        *,
        earliest: date = time_bounds.EARLIEST_DATE,
        not_in_future: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.earliest = earliest
        self.not_in_future = not_in_future

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, str) and len(value) > 20:
            raise ValidationError("not an ISO 8601 date")
        if isinstance(value, str) and len(value) == 8 and value.isascii() and value.isdigit():
            value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
        day = super()._deserialize(value, attr, data, **kwargs)
        problem = time_bounds.date_problem(
            day, earliest=self.earliest, not_in_future=self.not_in_future
        )
        if problem:
            raise ValidationError(problem)
        return day

    def json_schema(self) -> dict[str, Any]:
        """The years a pattern can pin; the exact first and last day in the description."""
        if self.not_in_future:
            # A day ahead of UTC's today, as date_problem allows for zones ahead of UTC.
            last = utcnow().date() + timedelta(days=1)
            rule = f"From {self.earliest.isoformat()} to today (not in the future)."
        else:
            last = time_bounds.latest_date()
            rule = (
                f"From {self.earliest.isoformat()} to {time_bounds.DATE_FUTURE_YEARS} years "
                "from today."
            )
        return {
            "pattern": time_bounds.date_pattern(self.earliest.year, last.year),
            "description": _described(self, f"An RFC 3339 full-date. {rule}"),
        }


def _described(field: fields.Field, rule: str) -> str:
    """The field's own description (if any) followed by the rule its type enforces."""
    own = field.metadata.get("description")
    return f"{own} {rule}" if own else rule


class BoundedList(fields.List):
    """A list whose length is checked before its items are (one error for 100,000 items).

    :param max_items: most items accepted; required, so every list in a request is bounded.
    """

    def __init__(
        self, cls_or_instance: fields.Field | type, *, max_items: int, **kwargs: Any
    ) -> None:
        kwargs.setdefault("validate", validate.Length(max=max_items))
        super().__init__(cls_or_instance, **kwargs)  # type: ignore[arg-type]
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, list | tuple) and len(value) > self.max_items:
            raise ValidationError(f"at most {self.max_items} items")
        return super()._deserialize(value, attr, data, **kwargs)


class BoundedDict(fields.Dict):
    """A mapping whose size is checked before its keys and values are.

    :param max_items: most keys accepted.
    """

    def __init__(self, *, max_items: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_items = max_items

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, dict) and len(value) > self.max_items:
            raise ValidationError(f"at most {self.max_items} entries")
        return super()._deserialize(value, attr, data, **kwargs)


class FullMatch(validate.Regexp):
    """``validate.Regexp`` that must match the whole value.

    Python's ``$`` also matches before a trailing newline, so ``re.match`` would let
    "CODE\\n" through; ``fullmatch`` does not. The pattern still documents itself in OpenAPI.
    """

    def __call__(self, value: Any) -> Any:
        pattern = cast("re.Pattern[str]", self.regex)
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


class Cursor(fields.String):
    """The opaque ``?cursor=`` of a keyset page: URL-safe base64, as ``next_link`` issues it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "validate", FullMatch(r"^[A-Za-z0-9_-]{1,400}$", error="not a cursor we issued")
        )
        super().__init__(**kwargs)


class WholeNumber(fields.Integer):
    """A JSON integer. ``42.0`` is the same JSON number as ``42`` (RFC 8259 has one number
    type, and JSON Schema's ``integer`` admits it), so it is taken; ``"42"`` and ``true`` are not.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return super()._validated(value)


class JsonBoolean(fields.Boolean):
    """``true`` or ``false`` in a JSON body; not ``0``, ``1`` or ``"yes"``, which the document
    (``type: boolean``) does not allow either."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
