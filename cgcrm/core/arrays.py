"""PostgreSQL array literals of plain values, passed as one text parameter.

psycopg adapts a Python list element by element, in Python: for the thousands of ids of a batch
that costs more than the query it feeds. A literal ``{a,b,…}`` cast in SQL (``CAST(:ids AS
uuid[])``) is one string, parsed by the server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime


def array_literal(values: Iterable[uuid.UUID | datetime | int]) -> str:
    """``{v1,v2,…}`` of UUIDs, aware datetimes (ISO 8601, no spaces) or integers: values whose
    text never needs quoting in an array literal."""
    return (
        "{" + ",".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values) + "}"
    )
