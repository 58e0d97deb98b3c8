"""Synthetic interactions for the bulk loader: deterministic COPY text rows of ``interactions``.

The period [since, until) is cut into as many equal time windows as there are chunks; chunk
``c`` holds the contacts that started in window ``c``, sorted by start, with UUIDv7 ids from
their recording time, so the table fills in time order as it would in production. Each chunk
has its own ``random.Random(f"{seed}:{c}")``: the output depends on the seed, ``--until``, the
citizens and the catalog, not on how many workers load it.

Shape (see ``CHANNEL_WEIGHTS`` and ``OUTCOMES``): web and phone carry most contacts; assisted
channels fall in office hours (Sydney, UTC+10 without DST), digital ones follow a day curve;
10 % are anonymous; known citizens are drawn with log-normal weights (most have a few contacts,
some dozens to hundreds); services follow a Zipf curve over the catalog.

Transactions carry the client's ``transaction_ref`` (see ``REF_*``): most starts have one, and
some of those by a known citizen are completed by that citizen in a later contact about the same
service, minutes to ``FOLLOW_ON_DAYS`` days later; a completion without a start is a one-contact
transaction, with or without a ref. Some resolved inbound contacts by a known citizen are followed
by another inbound one about the same service within ``REPEAT_DAYS`` (avoidable contacts). A
later contact is written in the chunk of the contact it follows, so a few rows lie a little out of
time order in the table (their ids are still from their own recording time).
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cgcrm.core.channels import ASSISTED_CHANNELS, CHANNEL_CODES

COLUMNS = (
    "id",
    "citizen_id",
    "case_id",
    "channel_code",
    "service_id",
    "department_id",
    "direction",
    "outcome",
    "transaction_stage",
    "started_at",
    "ended_at",
    "summary",
    "recorded_by",
    "recorded_at",
    "request_id",
    "transaction_ref",
)
CHANNEL_WEIGHTS = {
    "web": 36,
    "phone": 24,
    "mobile_app": 13,
    "counter": 8,
    "email": 8,
    "chat": 6,
    "mail": 3,
    "outreach": 2,
}
ANONYMOUS_SHARE = 0.10
NO_SERVICE_SHARE = 0.02  # assisted contacts not about any catalog service
STAFF = 400
REF_STARTED = 0.6  # a start carries the transaction's reference
REF_COMPLETED = 0.5  # a completion without a start carries one (a one-contact transaction)
FOLLOW_ON = 0.45  # a start with a ref by a known citizen is completed in a later contact
FOLLOW_ON_DAYS = 10
REPEAT = 0.08  # a resolved inbound contact by a known citizen is followed by another
REPEAT_DAYS = 7
MIN_GAP_MS = 10 * 60_000
LOCAL_OFFSET_S = 10 * 3600
# (outcome, transaction_stage, weight) per kind of channel.
OUTCOMES = {
    "self_service": [
        ("completed", "completed", 70),
        ("abandoned", "started", 23),
        ("follow_up", "started", 7),
    ],
    "conversation": [
        ("resolved", None, 52),
        ("completed", "completed", 25),
        ("referred", None, 10),
        ("follow_up", "started", 9),
        ("abandoned", None, 4),
    ],
    "correspondence": [
        ("resolved", None, 45),
        ("completed", "completed", 25),
        ("follow_up", "started", 20),
        ("referred", None, 10),
    ],
}
CHANNEL_KIND = {
    "web": "self_service",
    "mobile_app": "self_service",
    "phone": "conversation",
    "counter": "conversation",
    "chat": "conversation",
    "outreach": "conversation",
    "email": "correspondence",
    "mail": "correspondence",
}
# Handling time: (median seconds, log-normal sigma); None: no ended_at.
DURATION = {
    "phone": (330, 0.6),
    "counter": (480, 0.5),
    "chat": (420, 0.6),
    "outreach": (2400, 0.4),
    "mail": (240, 0.5),
}
OUTBOUND = {"phone": 0.12, "email": 0.20, "mail": 0.30, "outreach": 0.50}
NOTES = ("enquiry answered", "details updated", "application lodged", "callback requested")
_DAY_CURVE = (1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 10, 10, 10, 9, 9, 8, 8, 8, 7, 6, 5, 3, 2)


def _acceptance(channel: str) -> tuple[float, ...]:
    """Probability, per local (weekday * 24 + hour), that a contact starts then (peak 1)."""
    hours = {
        "phone": (8, 18),
        "counter": (9, 17),
        "outreach": (9, 16),
        "mail": (9, 17),
        "chat": (8, 20),
    }
    table = []
    for weekday in range(7):
        for hour in range(24):
            if channel in hours:
                start, end = hours[channel]
                weekend_ok = channel == "chat"
                ok = start <= hour < end and (weekday < 5 or weekend_ok)
                table.append(1.0 if ok else 0.0)
            else:
                weekend = 0.7 if weekday >= 5 else 1.0
                table.append(_DAY_CURVE[hour] / 10 * weekend)
    return tuple(table)


_ACCEPT = {channel: _acceptance(channel) for channel in CHANNEL_CODES}


@dataclass(frozen=True)
class Catalog:
    services: list[tuple[str, str, str, str]]  # (code, id hex, department id hex, name)
    service_weights: list[float]
    customer_department: str  # id hex of CUSTOMER (contacts about no service)


def make_catalog(rows: list[tuple[str, str, str, str]], seed: int) -> Catalog:
    """Zipf(0.9) popularity over the services, in an order shuffled by ``seed``."""
    services = sorted(rows)
    order = list(range(len(services)))
    random.Random(f"{seed}:services").shuffle(order)
    weights = [0.0] * len(services)
    for rank, index in enumerate(order):
        weights[index] = 1 / (rank + 1) ** 0.9
    customer = next(dep for code, _, dep, _ in services if code.startswith("CS-"))
    return Catalog(services, weights, customer)


def citizen_weights(count: int, seed: int, exclude: int | None) -> array[float]:
    """Cumulative log-normal(0, 1.1) weights of the citizens in id order; ``exclude`` gets 0."""
    rng = random.Random(f"{seed}:citizens")
    cumulative = array("d")
    total = 0.0
    for index in range(count):
        weight = rng.lognormvariate(0.0, 1.1)
        if index != exclude:
            total += weight
        cumulative.append(total)
    return cumulative


def _timestamp(ms: int, days: dict[int, str]) -> str:
    day, rest = divmod(ms, 86_400_000)
    date = days.get(day)
    if date is None:
        import datetime as dt

        date = days[day] = (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()
    seconds, millis = divmod(rest, 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{date} {hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}+00"


def _uuid7_hex(ms: int, rng: random.Random) -> str:
    rand = rng.getrandbits(74)
    value = (ms << 80) | (0x7 << 76) | ((rand >> 62) << 64) | (0b10 << 62) | (rand & (2**62 - 1))
    return f"{value:032x}"


@dataclass(frozen=True)
class Contact:
    """What a later contact of the same citizen needs to know about one contact."""

    started: int  # ms
    line: str
    service: int | None
    outcome: str
    stage: str | None
    ref: str | None
    direction: str


class RowMaker:
    """Makes the rows of one chunk (or of the heavy citizen) as COPY text lines."""

    def __init__(
        self,
        catalog: Catalog,
        citizen_ids: bytes,  # 32 hex characters per citizen, in id order
        cumulative: array[float],
        seed: int,
        until_ms: int | None = None,  # no later contact starts at or after it
    ) -> None:
        self.catalog = catalog
        self.citizen_ids = citizen_ids
        self.cumulative = cumulative
        self.until_ms = until_ms
        self.staff = [
            f"user:{random.Random(f'{seed}:staff:{i}').getrandbits(128):032x}" for i in range(STAFF)
        ]
        self.channels = list(CHANNEL_WEIGHTS)
        self.channel_cum = _cumulate(CHANNEL_WEIGHTS.values())
        self.service_cum = _cumulate(catalog.service_weights)
        self.outcomes = {
            kind: ([o[:2] for o in options], _cumulate(o[2] for o in options))
            for kind, options in OUTCOMES.items()
        }
        self.days: dict[int, str] = {}

    def citizen(self, index: int) -> str:
        return self.citizen_ids[index * 32 : index * 32 + 32].decode()

    def chunk(
        self,
        rng: random.Random,
        start_ms: int,
        end_ms: int,
        n: int,
        extra: Sequence[tuple[int, str]] = (),
    ) -> list[str]:
        """``n`` contacts started in [start_ms, end_ms) or following one that did, with the
        ``extra`` rows of that window (the heavy citizen's, so they lie in the table where time
        puts them), sorted by start."""
        rows = [row for row in extra if start_ms <= row[0] < end_ms]
        total = self.cumulative[-1] if self.cumulative else 0.0
        made = 0
        while made < n:
            citizen = None
            if total and rng.random() >= ANONYMOUS_SHARE:
                citizen = self.citizen(bisect(self.cumulative, rng.random() * total))
            first = self.make(rng, start_ms, end_ms, citizen)
            rows.append((first.started, first.line))
            made += 1
            later = self.later(rng, first, citizen) if made < n else None
            if later is not None:
                rows.append((later.started, later.line))
                made += 1
        rows.sort()
        return [line for _, line in rows]

    def later(self, rng: random.Random, first: Contact, citizen: str | None) -> Contact | None:
        """The same citizen's next contact about the same service, if ``first`` has one: the
        completion of its transaction, or a repeat of a resolved inbound contact."""
        if citizen is None or first.service is None:
            return None
        if first.stage == "started" and first.ref is not None:
            if rng.random() >= FOLLOW_ON:
                return None
            days, outcome, ref = FOLLOW_ON_DAYS, ("completed", "completed"), first.ref
        elif first.outcome == "resolved" and first.direction == "inbound":
            if rng.random() >= REPEAT:
                return None
            days, outcome, ref = REPEAT_DAYS, None, None
        else:
            return None
        start = first.started + MIN_GAP_MS
        end = first.started + days * 86_400_000
        if self.until_ms is not None:
            end = min(end, self.until_ms)
        if end - start < 3_600_000:
            return None
        return self.make(
            rng,
            start,
            end,
            citizen,
            service=first.service,
            outcome=outcome,
            ref=ref,
            direction="inbound",
        )

    def contact(
        self,
        rng: random.Random,
        start_ms: int,
        end_ms: int,
        citizen: str | None,
        channel: str | None = None,
        service: int | None = None,
    ) -> tuple[int, str]:
        """One contact: (started ms, COPY line)."""
        made = self.make(rng, start_ms, end_ms, citizen, channel, service)
        return made.started, made.line

    def make(
        self,
        rng: random.Random,
        start_ms: int,
        end_ms: int,
        citizen: str | None,
        channel: str | None = None,
        service: int | None = None,
        outcome: tuple[str, str | None] | None = None,
        ref: str | None = None,
        direction: str | None = None,
    ) -> Contact:
        """One contact started in [start_ms, end_ms); ``outcome`` is (outcome, stage)."""
        if channel is None:
            channel = self.channels[bisect(self.channel_cum, rng.random() * self.channel_cum[-1])]
        accept = _ACCEPT[channel]
        for _ in range(60):
            started = rng.randrange(start_ms, end_ms)
            local_s = started // 1000 + LOCAL_OFFSET_S
            slot = ((local_s // 86400 + 3) % 7) * 24 + (local_s // 3600) % 24
            if rng.random() < accept[slot]:
                break
        assisted = channel in ASSISTED_CHANNELS
        catalog = self.catalog
        if service is None and not (assisted and rng.random() < NO_SERVICE_SHARE):
            service = bisect(self.service_cum, rng.random() * self.service_cum[-1])
        if service is None:
            code, service_id, department_id = "", "\\N", catalog.customer_department
            note_about = "General"
        else:
            code, service_id, department_id, note_about = catalog.services[service]
        if outcome is None:
            options, cum = self.outcomes[CHANNEL_KIND[channel]]
            outcome = options[bisect(cum, rng.random() * cum[-1])]
        result, stage = outcome
        if ref is None and service is not None and stage is not None:
            share = REF_STARTED if stage == "started" else REF_COMPLETED
            if rng.random() < share:
                ref = f"{code}-{rng.getrandbits(48):012X}"
        if channel == "phone" and result == "abandoned":
            ended = started + int(rng.uniform(20, 300) * 1000)
        elif channel in DURATION:
            median, sigma = DURATION[channel]
            ended = started + int(median * math.exp(rng.gauss(0, sigma)) * 1000)
        else:
            ended = None
        if ended is not None:
            recorded = ended + rng.randrange(5_000, 120_000)
        elif channel == "email":
            recorded = started + rng.randrange(60_000, 8 * 3_600_000)
        else:
            recorded = started + rng.randrange(200, 5_000)
        if direction is None:
            direction = "outbound" if rng.random() < OUTBOUND.get(channel, 0.0) else "inbound"
        summary = "\\N"
        if assisted and rng.random() < 0.4:
            summary = f"{note_about}: {NOTES[rng.randrange(len(NOTES))]}"
        if channel in ("web", "mobile_app"):
            by = "client:web-portal" if channel == "web" else "client:mobile-app"
        else:
            by = self.staff[rng.randrange(STAFF)]
        days = self.days
        line = "\t".join(
            (
                _uuid7_hex(recorded, rng),
                citizen or "\\N",
                "\\N",
                channel,
                service_id,
                department_id,
                direction,
                result,
                stage or "\\N",
                _timestamp(started, days),
                _timestamp(ended, days) if ended is not None else "\\N",
                summary,
                by,
                _timestamp(recorded, days),
                f"{rng.getrandbits(128):032x}",
                escape_copy(ref) if ref is not None else "\\N",
            )
        )
        return Contact(started, line + "\n", service, result, stage, ref, direction)

    def heavy(
        self, seed: int, citizen: str, n: int, start_ms: int, end_ms: int
    ) -> list[tuple[int, str]]:
        """``n`` contacts of one citizen: every channel, every service's department, in turn."""
        rng = random.Random(f"{seed}:heavy")
        services = len(self.catalog.services)
        rows = []
        for i in range(n):
            channel = self.channels[i % len(self.channels)] if i < 4 * len(self.channels) else None
            service = i % services if i < services else None
            rows.append(self.contact(rng, start_ms, end_ms, citizen, channel, service))
        return rows


def _cumulate(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def escape_copy(text: str) -> str:
    """Text as a COPY text-format field."""
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
