"""What an administrator may see of a job's failure: the last lines, without parameters."""

from __future__ import annotations

import traceback
from types import TracebackType
from typing import Any

from rq.job import Job

LAST_ERROR_META = "last_error"
TAIL_LINES = 5
# SQLAlchemy and PostgreSQL repeat the statement's values in these lines; values may be
# personal data, and the job id plus the logs are enough to investigate.
_REDACTED_PREFIXES = ("[parameters:", "DETAIL:", "[SQL:")


def error_tail(text: str | None, lines: int = TAIL_LINES) -> list[str]:
    """The last ``lines`` non-empty lines of a traceback, minus lines that carry values."""
    if not text:
        return []
    kept = [
        line.rstrip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(_REDACTED_PREFIXES)
    ]
    return kept[-lines:]


def record_last_error(
    job: Job,
    exc_type: type[BaseException],
    exc_value: BaseException,
    tb: TracebackType | Any,
) -> bool:
    """RQ exception handler: keep the tail of the latest failure in the job's meta.

    RQ stores the exception only once a job has failed for good; a job waiting for its retry
    would otherwise show no reason at all.
    """
    if isinstance(tb, TracebackType):
        text = "".join(traceback.format_exception(exc_type, exc_value, tb))
    else:
        text = f"{exc_type.__name__}: {exc_value}"
    job.meta[LAST_ERROR_META] = error_tail(text)
    job.save_meta()
    return True
