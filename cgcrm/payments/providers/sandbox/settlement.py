"""The sandbox gateway's settlement report: one CSV file per day, from its own books.

A day is a local day of TIME_ZONE. The file of a day lists the money that moved in it: every
charge captured in it (``payment``, state ``success``) and every refund paid out in it
(``refund``, state ``success``), amounts as positive minor units (the kind says which way).
A refund the gateway could not pay moved no money and is not listed. Columns::

    provider_reference,merchant_reference,kind,amount_minor,currency,state,occurred_at,occurred_on

A day's file is written from the books when it is asked for until it has been written once
after the day ended; from then on it is read as it was written, like a real gateway's. Files
are written whole to a temporary name and renamed, so a reader never sees half.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from cgcrm.extensions import db
from cgcrm.payments.providers.base import SettlementLine
from cgcrm.payments.providers.sandbox.models import SandboxCharge, SandboxRefund

COLUMNS = (
    "provider_reference",
    "merchant_reference",
    "kind",
    "amount_minor",
    "currency",
    "state",
    "occurred_at",
    "occurred_on",
)


class SettlementFileError(RuntimeError):
    """A settlement file exists but is not one the gateway wrote (edited, truncated)."""


def settlement_dir() -> Path:
    """SANDBOX_SETTLEMENT_DIR, or ``<instance>/sandbox-settlements`` when it is empty."""
    configured = str(current_app.config["SANDBOX_SETTLEMENT_DIR"])
    return (
        Path(configured) if configured else Path(current_app.instance_path) / "sandbox-settlements"
    )


def settlement_path(day: date) -> Path:
    """Where the file of ``day`` is."""
    return settlement_dir() / f"sandbox-settlement-{day.isoformat()}.csv"


def _zone() -> ZoneInfo:
    return ZoneInfo(str(current_app.config["TIME_ZONE"]))


def local_day(moment: datetime) -> date:
    """The local day (TIME_ZONE) of an instant."""
    return moment.astimezone(_zone()).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where local ``day`` starts and the next one starts."""
    zone = _zone()
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def _rows(day: date) -> list[dict[str, str]]:
    start, end = day_bounds(day)
    rows: list[dict[str, str]] = []
    charges = db.session.scalars(
        select(SandboxCharge)
        .where(SandboxCharge.captured_at >= start, SandboxCharge.captured_at < end)
        .order_by(SandboxCharge.captured_at, SandboxCharge.provider_reference)
    )
    for charge in charges:
        assert charge.captured_at is not None
        rows.append(
            {
                "provider_reference": charge.provider_reference,
                "merchant_reference": charge.merchant_reference,
                "kind": "payment",
                "amount_minor": str(charge.amount_minor),
                "currency": charge.currency,
                "state": "success",
                "occurred_at": charge.captured_at.isoformat(),
                "occurred_on": day.isoformat(),
            }
        )
    refunds = db.session.execute(
        select(SandboxRefund, SandboxCharge.provider_reference)
        .join(SandboxCharge, SandboxCharge.id == SandboxRefund.charge_id)
        .where(
            SandboxRefund.state == "success",
            SandboxRefund.settled_at >= start,
            SandboxRefund.settled_at < end,
        )
        .order_by(SandboxRefund.settled_at, SandboxRefund.provider_reference)
    ).tuples()
    for refund, _charge_reference in refunds:
        assert refund.settled_at is not None
        rows.append(
            {
                "provider_reference": refund.provider_reference,
                "merchant_reference": refund.merchant_reference,
                "kind": "refund",
                "amount_minor": str(refund.amount_minor),
                "currency": refund.currency,
                "state": "success",
                "occurred_at": refund.settled_at.isoformat(),
                "occurred_on": day.isoformat(),
            }
        )
    db.session.commit()  # a read: ends the transaction it opened
    return rows


def write_settlement_file(day: date) -> Path:
    """Write the file of ``day`` from the gateway's books, whole, and return its path."""
    rows = _rows(day)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = settlement_path(day)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name, suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_settlement_file(path: Path) -> list[SettlementLine]:
    """The lines of a settlement file.

    :raises SettlementFileError: a header or a line the gateway would not have written.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise SettlementFileError(f"{path.name}: unexpected columns {reader.fieldnames}")
        lines: list[SettlementLine] = []
        for number, row in enumerate(reader, start=2):
            try:
                line = SettlementLine(
                    provider_reference=row["provider_reference"],
                    kind=row["kind"],
                    amount_minor=int(row["amount_minor"]),
                    currency=row["currency"],
                    state=row["state"],
                    occurred_on=date.fromisoformat(row["occurred_on"]),
                )
            except (TypeError, ValueError) as exc:
                raise SettlementFileError(f"{path.name}: line {number} unreadable") from exc
            if line.kind not in {"payment", "refund"} or line.amount_minor <= 0:
                raise SettlementFileError(f"{path.name}: line {number} unreadable")
            lines.append(line)
    return lines


def settlement_report(day: date) -> list[SettlementLine]:
    """The settlement lines of ``day``, parsed from its file (written first unless closed).

    :raises SettlementFileError: the file of a closed day was altered.
    """
    path = settlement_path(day)
    _start, end = day_bounds(day)
    try:
        closed = datetime.fromtimestamp(path.stat().st_mtime, UTC) >= end
    except FileNotFoundError:
        closed = False
    if not closed:
        path = write_settlement_file(day)
    return read_settlement_file(path)
