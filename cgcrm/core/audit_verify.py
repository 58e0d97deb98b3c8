"""``flask audit verify``: check the whole audit trail against its keys and its checkpoints.

What is checked, and what each finding means:

- every line of the checkpoint file is well-formed and signed with a known audit key;
- the chain, in position order from the latest purge's anchor (or the genesis): positions
  without gaps (a gap is a removed seal), each seal linked to the one before, each event present
  and matching its keyed hash (a mismatch is an edited event, whatever unkeyed hashes were
  recomputed);
- every signed checkpoint in the file is reached by the database's chain with the same hash (a
  database ending before a checkpoint lost its newest events, or all of them);
- every purge the database records is signed in the file (a purge row made up to cover a
  deletion is not), and the latest one is the anchor the chain starts from;
- events still unsealed: fine while younger than ``AUDIT_SEAL_GRACE`` (the sealing job has not
  run yet), a finding when older (it is not running, or one was removed from the chain).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Connection, exists, func, select

from cgcrm.core.audit import GENESIS, AuditCheckpoint, AuditEvent, AuditSeal, canonical_content
from cgcrm.core.audit_keys import AuditKeyring, audit_keyring
from cgcrm.core.audit_seal import checkpoint_message, checkpoint_path
from cgcrm.core.clock import utcnow
from cgcrm.extensions import db

CHUNK = 5000
MAX_LISTED = 50  # per kind of finding; a wholesale rewrite should not print a million lines


@dataclass(frozen=True)
class _Seal:
    position: int
    seq: int
    prev_hash: str
    hash: str
    key_id: str


@dataclass
class VerifyReport:
    problems: list[str] = field(default_factory=list)
    sealed: int = 0
    unsealed: int = 0
    checkpoints: int = 0
    head_position: int = 0
    start_position: int = 0
    _counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, kind: str, text: str) -> None:
        count = self._counts[kind] = self._counts.get(kind, 0) + 1
        if count <= MAX_LISTED:
            self.problems.append(text)
        elif count == MAX_LISTED + 1:
            self.problems.append(f"(more findings of this kind: {kind}; listing stops here)")

    def summary(self) -> str:
        return (
            f"{self.sealed} sealed events verified (positions {self.start_position + 1}.."
            f"{self.head_position}), {self.checkpoints} signed checkpoints matched, "
            f"{self.unsealed} events awaiting the sealing job"
        )


def _read_checkpoints(keyring: AuditKeyring, report: VerifyReport) -> list[dict[str, Any]]:
    path = checkpoint_path()
    if not path.exists():
        return []
    valid = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                key_id, mac = record["key_id"], record["mac"]
            except (ValueError, KeyError, TypeError):
                report.problem("file", f"checkpoint file line {number} is not a checkpoint")
                continue
            if not keyring.knows(key_id):
                report.problem("file", f"checkpoint file line {number}: unknown key {key_id!r}")
            elif keyring.mac(key_id, checkpoint_message(record)) != mac:
                report.problem("file", f"checkpoint file line {number}: signature does not match")
            else:
                valid.append(record)
    return valid


def _check_purges(
    connection: Connection, signed: list[dict[str, Any]], report: VerifyReport
) -> tuple[int, str]:
    """The anchor the chain starts from, after checking each database purge is signed."""
    signed_macs = {record["mac"] for record in signed if record.get("kind") == "purge"}
    purges = connection.execute(
        select(AuditCheckpoint).where(AuditCheckpoint.kind == "purge").order_by(AuditCheckpoint.id)
    ).all()
    for purge in purges:
        if purge.mac not in signed_macs:
            report.problem(
                "purge",
                f"purge #{purge.id} ({purge.events} events, through position "
                f"{purge.through_position}) is not in the signed checkpoint file",
            )
    signed_purges = [r for r in signed if r.get("kind") == "purge"]
    latest_signed = max(signed_purges, key=lambda r: r["through_position"], default=None)
    latest = purges[-1] if purges else None
    if latest_signed and (latest is None or latest.mac != latest_signed["mac"]):
        report.problem(
            "purge",
            "the database's latest purge is not the latest signed one (through position "
            f"{latest_signed['through_position']}); the chain is checked from the signed one",
        )
        return int(latest_signed["through_position"]), str(latest_signed["head_hash"])
    return (latest.through_position, latest.head_hash) if latest else (0, GENESIS)


def _walk_chain(
    connection: Connection,
    keyring: AuditKeyring,
    start: tuple[int, str],
    wanted: set[int],
    report: VerifyReport,
) -> dict[int, str]:
    """Recompute the chain after ``start``; returns the stored hash at each wanted position."""
    events = AuditEvent.__table__
    columns = [column.name for column in events.columns]
    position, prev = start
    at: dict[int, str] = {}
    seal_columns = (
        AuditSeal.position,
        AuditSeal.seq,
        AuditSeal.prev_hash,
        AuditSeal.hash,
        AuditSeal.key_id,
    )
    query = (
        select(*seal_columns, *events.columns)
        .outerjoin(events, events.c.seq == AuditSeal.seq)
        .where(AuditSeal.position > start[0])
        .order_by(AuditSeal.position)
    )
    for row in connection.execution_options(yield_per=CHUNK).execute(query):
        seal = _Seal(*row[: len(seal_columns)])
        if seal.position != position + 1:
            report.problem(
                "gap",
                f"positions {position + 1}..{seal.position - 1} are missing: sealed events "
                "were deleted",
            )
        if seal.prev_hash != prev:
            report.problem("link", f"position {seal.position}: not linked to the seal before it")
        values = dict(zip(columns, row[len(seal_columns) :], strict=True))
        if values["seq"] is None:
            report.problem("missing", f"event {seal.seq} (position {seal.position}) was deleted")
        elif not keyring.knows(seal.key_id):
            report.problem("key", f"position {seal.position}: unknown audit key {seal.key_id!r}")
        elif not keyring.matches(seal.key_id, seal.prev_hash, canonical_content(values), seal.hash):
            report.problem(
                "altered",
                f"event {seal.seq} (position {seal.position}, citizen {values['citizen_id']}) "
                "does not match its keyed hash: it was altered",
            )
        else:
            report.sealed += 1
        if seal.position in wanted:
            at[seal.position] = seal.hash
        position, prev = seal.position, seal.hash
    report.head_position = position
    return at


def _check_unsealed(connection: Connection, report: VerifyReport) -> None:
    events = AuditEvent.__table__
    unsealed = ~exists().where(AuditSeal.seq == events.c.seq)
    count, oldest = connection.execute(
        select(func.count(), func.min(events.c.occurred_at)).where(unsealed)
    ).one()
    report.unsealed = count
    grace = timedelta(seconds=int(current_app.config["AUDIT_SEAL_GRACE"]))
    if count and oldest is not None and utcnow() - oldest > grace:
        report.problem(
            "unsealed",
            f"{count} events are unsealed, the oldest from {oldest.isoformat()}: "
            "the sealing job is not running, or a seal was removed (flask audit seal seals them)",
        )


def verify_trail() -> VerifyReport:
    """Check every seal, every event and every checkpoint; see the module's docstring.

    :returns: the report: ``problems`` lists each finding (empty when the trail is intact).
    """
    keyring = audit_keyring()
    report = VerifyReport()
    signed = _read_checkpoints(keyring, report)
    with db.engine.connect() as connection:
        start = _check_purges(connection, signed, report)
        report.start_position = start[0]
        report.head_position = start[0]
        later = [r for r in signed if r["through_position"] > start[0] and r["kind"] == "seal"]
        at = _walk_chain(connection, keyring, start, {r["through_position"] for r in later}, report)
        for record in later:
            where = f"checkpoint of {record['created_at']} (position {record['through_position']})"
            if record["through_position"] > report.head_position:
                report.problem(
                    "behind",
                    f"{where}: the database's chain ends at position {report.head_position}; "
                    "the newest sealed events were deleted",
                )
            elif at.get(record["through_position"]) != record["head_hash"]:
                report.problem("behind", f"{where}: the chain's hash there differs")
            else:
                report.checkpoints += 1
        if report.head_position > start[0] and not later and not signed:
            report.problem(
                "file",
                f"no signed checkpoint in {checkpoint_path()}: the chain cannot be checked "
                "for removed events",
            )
        _check_unsealed(connection, report)
    return report
