"""Problems of identity assurance, mapped to HTTP by the one handler of ``cgcrm.core.problems``."""

from __future__ import annotations

from cgcrm.core.errors import DomainError


class AssuranceRequired(DomainError):
    """The citizen's assurance level is below what the action needs.

    403, not 422: the request is well formed and the caller holds the scope; what is missing is
    confidence in the citizen's identity, and the same request succeeds unchanged once evidence
    is recorded. 422 would tell a client to fix its input.
    """

    status, title, slug = 403, "Identity assurance required", "assurance-required"


class TooManyAttempts(DomainError):
    """Too many codes asked for, or too many wrong answers, for one citizen in the window."""

    status, title, slug = 429, "Too many attempts", "too-many-attempts"


class QuestionUnavailable(DomainError):
    """A question the service asks cannot be answered by this citizen: the record holds nothing
    to check it against (no successful payment for ``last_payment_amount``).

    409, not a wrong answer: the citizen did nothing wrong, so no failed attempt is counted
    against the day's limit, and the agent learns at once to use other evidence instead of
    asking again. The problem names the questions (``unavailable``), never an expected value.
    """

    status, title, slug = 409, "Question not available", "question-not-available"
