"""Domain errors raised by services, and their one translation to RFC 9457 problem+json."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://cgcrm.example/problems/"


class DomainError(Exception):
    """Base of every error a service may raise; ``status`` is the HTTP status it maps to."""

    status = 400
    title = "Bad request"
    slug = "bad-request"

    def __init__(self, detail: str, *, errors: dict[str, Any] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra


class MalformedRequest(DomainError):
    status, title, slug = 400, "Bad request", "malformed-request"


class ValidationError(DomainError):
    status, title, slug = 422, "Invalid input", "invalid-input"


class NotFound(DomainError):
    status, title, slug = 404, "Not found", "not-found"


class NotAuthorized(DomainError):
    status, title, slug = 403, "Forbidden", "forbidden"


class Unauthenticated(DomainError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Conflict(DomainError):
    status, title, slug = 409, "Conflict", "conflict"


class Gone(DomainError):
    status, title, slug = 410, "Gone", "gone"


class PreconditionRequired(DomainError):
    status, title, slug = 428, "Precondition required", "precondition-required"


class PreconditionFailed(DomainError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class UnsupportedMediaType(DomainError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str | None = None,
    errors: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build an RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return body


class FieldErrors:
    """Collects a service's field checks so that one 422 names every mistake, not the first.

    ::

        errors = FieldErrors()
        service = errors.check(lambda: find_service(code))   # None when it raised
        errors.check(lambda: check_citizen(citizen_id))
        errors.raise_if_any()

    A check that raises ``ValidationError`` adds its ``errors``; any other error (a conflict,
    a 404) propagates at once, since it is not about a field.
    """

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}
        self.details: list[str] = []

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self, call: Any) -> Any:
        """``call()``'s result, or None after recording the ``ValidationError`` it raised."""
        try:
            return call()
        except ValidationError as exc:
            self.details.append(exc.detail)
            for field, messages in (exc.errors or {"_schema": [exc.detail]}).items():
                if isinstance(messages, list) and isinstance(self.errors.get(field), list):
                    self.errors[field] += messages
                else:
                    self.errors[field] = messages
            return None

    def raise_if_any(self) -> None:
        """:raises ValidationError: with every recorded field error, when there is one."""
        if self.errors:
            detail = self.details[0] if len(self.details) == 1 else "the request is invalid"
            raise ValidationError(f"{detail}: see errors", errors=self.errors)
