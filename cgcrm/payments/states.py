"""Payment and refund states as GOV.UK Pay names them, in the one order they may move.

``created → started → submitted → (capturable →) success``, or one of the other finished
states: ``failed`` (P0010 declined, P0020 expired, P0030 cancelled by the user), ``cancelled``
(P0040, by the service, only before ``submitted``) or ``error`` (P0050). A payment only ever
moves forward: a later state never gives way to an earlier one, and a finished state is final.
Imports nothing of ours.
"""

from __future__ import annotations

CREATED = "created"
STARTED = "started"
SUBMITTED = "submitted"
CAPTURABLE = "capturable"
SUCCESS = "success"
FAILED = "failed"
CANCELLED = "cancelled"
ERROR = "error"

# Position of each state in the one direction payments move; the four finished states share
# the last rank, so none of them ever gives way to another.
RANKS: dict[str, int] = {
    CREATED: 0,
    STARTED: 1,
    SUBMITTED: 2,
    CAPTURABLE: 3,
    SUCCESS: 4,
    FAILED: 4,
    CANCELLED: 4,
    ERROR: 4,
}
STATES: tuple[str, ...] = tuple(RANKS)
FINISHED: frozenset[str] = frozenset({SUCCESS, FAILED, CANCELLED, ERROR})
# The states a service may still cancel in (P0040): before the payer submitted their details.
CANCELLABLE: frozenset[str] = frozenset({CREATED, STARTED})

DECLINED = "P0010"
EXPIRED = "P0020"
CANCELLED_BY_USER = "P0030"
CANCELLED_BY_SERVICE = "P0040"
PROVIDER_ERROR = "P0050"

# Each code, the finished state it belongs to, and the message a client shows.
CODES: dict[str, tuple[str, str]] = {
    DECLINED: (FAILED, "Payment method rejected"),
    EXPIRED: (FAILED, "Payment expired"),
    CANCELLED_BY_USER: (FAILED, "Payment was cancelled by the user"),
    CANCELLED_BY_SERVICE: (CANCELLED, "Payment was cancelled by the service"),
    PROVIDER_ERROR: (ERROR, "Payment provider returned an error"),
}

CHANNELS: tuple[str, ...] = ("web", "phone", "counter")

REFUND_SUBMITTED = "submitted"
REFUND_SUCCESS = "success"
REFUND_ERROR = "error"
REFUND_STATES: tuple[str, ...] = (REFUND_SUBMITTED, REFUND_SUCCESS, REFUND_ERROR)
REFUND_FINISHED: frozenset[str] = frozenset({REFUND_SUCCESS, REFUND_ERROR})


def finished(state: str) -> bool:
    """Whether ``state`` is one of the four final states."""
    return state in FINISHED


def moves_forward(from_state: str, to_state: str) -> bool:
    """Whether a payment in ``from_state`` may move to ``to_state`` (strictly forward)."""
    return RANKS[to_state] > RANKS[from_state]


def code_problem(state: str, code: str | None) -> str | None:
    """Why ``code`` cannot go with ``state`` (None when it can).

    ``failed``, ``cancelled`` and ``error`` need a code of their own state; the others none.
    """
    if state in (SUCCESS, CREATED, STARTED, SUBMITTED, CAPTURABLE):
        return None if code is None else f"state {state} takes no code"
    if code is None:
        return f"state {state} needs a code"
    known = CODES.get(code)
    if known is None:
        return f"unknown code {code}"
    if known[0] != state:
        return f"code {code} belongs to state {known[0]}, not {state}"
    return None


def default_code(state: str) -> str | None:
    """The code a finished state takes when the caller gives none (cancelled, error)."""
    return {CANCELLED: CANCELLED_BY_SERVICE, ERROR: PROVIDER_ERROR}.get(state)


def message(code: str | None) -> str | None:
    """The human message of a code."""
    return CODES[code][1] if code in CODES else None
