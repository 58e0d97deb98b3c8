"""Marshmallow fields that refuse what the database would choke on."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

from marshmallow import ValidationError, fields, validate


class Text(fields.String):
    """A trimmed single- or multi-line string without NULs, control characters or lone surrogates.

    PostgreSQL rejects NUL and unpaired surrogates outright; refusing them here turns a would-be
    500 into a 422 with the field named.
    """

    def __init__(
        self, *, max_length: int = 200, min_length: int = 0, multiline: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length
        self.min_length = min_length
        self.multiline = multiline

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValidationError("contains invalid Unicode (unpaired surrogate)") from exc
        allowed = {"\n", "\t"} if self.multiline else set()
        if any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text):
            raise ValidationError("contains control characters")
        text = unicodedata.normalize("NFC", text.strip())
        if len(text) > self.max_length:
            raise ValidationError(f"longer than {self.max_length} characters")
        if len(text) < self.min_length:
            raise ValidationError(
                "must not be blank"
                if self.min_length == 1
                else f"shorter than {self.min_length} characters"
            )
        return text

    def json_schema(self) -> dict[str, Any]:
        """What the OpenAPI document says of this field (``cgcrm.core.openapi`` reads it).

        Keep it in step with ``_deserialize``: a client (and the schema fuzzer) trusts that a
        value matching it is accepted.
        """
        # Control characters (C0, DEL, C1), with tab and newline allowed in multi-line text.
        refused = r"\x00-\x08\x0b-\x1f\x7f-\x9f" if self.multiline else r"\x00-\x1f\x7f-\x9f"
        if self.min_length >= 1:
            # Not blank: at least one character that strip() keeps.
            pattern = rf"^[^{refused}]*[^\s{refused}][^{refused}]*$"
        else:
            pattern = rf"^[^{refused}]*$"
        properties: dict[str, Any] = {"pattern": pattern, "maxLength": self.max_length}
        if self.min_length:
            properties["minLength"] = self.min_length
        return properties


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
