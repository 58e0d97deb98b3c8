"""Reference checks that join a schema's answer when the request is invalid anyway.

Whether a citizen or a staff user exists only the database can say, and the service checks it
as part of its write (the contact-centre path folds the citizen check into its INSERT). If the
schema has already found mistakes, though, the service never runs, and the client would learn
of an unknown reference only after fixing the rest: validation in stages. So a request schema
names, per field, a check to run in that case, and its answer joins the same 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import Schema
from marshmallow import ValidationError as MarshmallowError

ReferenceCheck = Callable[[Any], "str | None"]


class ReferenceChecks(Schema):
    """A request schema whose ``reference_checks`` (field name -> check returning a problem or
    None) run when the load fails for other reasons."""

    reference_checks: ClassVar[dict[str, ReferenceCheck]] = {}

    def handle_error(
        self, error: MarshmallowError, data: Any, *, many: bool, **kwargs: Any
    ) -> None:
        messages = error.messages
        if many or not isinstance(data, dict) or not isinstance(messages, dict):
            return
        for name, check in self.reference_checks.items():
            field = self.fields.get(name)
            key = (field.data_key or name) if field else name
            if field is None or key not in data or key in messages:
                continue
            try:
                value = field.deserialize(data[key])
            except MarshmallowError:
                continue
            problem = check(value) if value is not None else None
            if problem:
                messages[key] = [problem]
