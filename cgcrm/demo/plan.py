"""The simulated quarter as a list of steps: pure, deterministic for its inputs and seed.

Each citizen has a few needs over the quarter, each of a service and a day. Week by week a
rising share of the needs is met on a digital channel (a quota per week, so digital take-up
climbs every week rather than on average); the rest on an assisted one. A need becomes the
contacts of its service's journey (``profiles.JOURNEYS``) and, for some services, a case with
its workflow. Consents and satisfaction answers follow the contacts they were given in.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from cgcrm.demo import profiles
from cgcrm.demo.answers import draw_answers, pick
from cgcrm.demo.cases_plan import plan_case
from cgcrm.demo.moments import Quarter, days_later, handling, moment_on
from cgcrm.demo.steps import (
    AnswerSurvey,
    CitizenInfo,
    Contact,
    GiveConsent,
    ServiceInfo,
    Step,
)

FRONT_OFFICE = "CUSTOMER"  # the contact centre and counters, when the catalog has it


@dataclass(frozen=True)
class Need:
    """A citizen's need of a service, arising on ``day``."""

    citizen: CitizenInfo
    service: ServiceInfo
    flow: str
    day: date
    finish_day: date | None  # when its transaction completes; None: it does not


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _between(low: float, high: float, share: float) -> float:
    return low + (high - low) * share


class Planner:
    """Draws the steps of one quarter; ``steps()`` returns them in the order to write them."""

    def __init__(
        self,
        quarter: Quarter,
        citizens: Sequence[CitizenInfo],
        services: Sequence[ServiceInfo],
        departments: Sequence[str],
        seed: int,
    ) -> None:
        self.quarter = quarter
        self.citizens = list(citizens)
        self.services = list(services)
        # Who answers phones and counters: the front office, or failing that any department.
        self.front_office = FRONT_OFFICE if FRONT_OFFICE in departments else min(departments)
        self.rng = random.Random(seed)
        self.ref_prefix = f"T{quarter.until:%y%m%d%H%M}"
        self._steps: list[Step] = []
        self._contact_positions: dict[int, int] = {}
        self._keys = 0
        self._order = 0

    # --- bookkeeping -------------------------------------------------------------------

    def next_key(self) -> int:
        self._keys += 1
        return self._keys

    def next_order(self) -> int:
        self._order += 1
        return self._order

    def add(self, step: Step) -> None:
        if isinstance(step, Contact):
            self._contact_positions[step.key] = len(self._steps)
        self._steps.append(step)

    def replace(self, old: Contact, new: Contact) -> None:
        self._steps[self._contact_positions[old.key]] = new

    def department_for(self, service: ServiceInfo | None, channel: str) -> str:
        """Online services are run by their department; people answer in the front office."""
        if service is not None and channel in ("web", "mobile_app", "outreach"):
            return service.department_code
        return self.front_office

    def contact(
        self,
        citizen: CitizenInfo | None,
        service: ServiceInfo | None,
        channel: str,
        started: datetime,
        outcome: str,
        **extra: Any,
    ) -> Contact:
        """Add one contact, recorded when it ends, and maybe the citizen's answer about it."""
        ended = handling(self.rng, channel, started)
        department = extra.pop("department_code", None) or self.department_for(service, channel)
        contact = Contact(
            at=ended or started + timedelta(minutes=2),
            order=self.next_order(),
            key=self.next_key(),
            citizen_id=citizen.id if citizen else None,
            department_code=department,
            channel=channel,
            service_code=service.code if service else None,
            direction=extra.pop("direction", "inbound"),
            outcome=outcome,
            started_at=started,
            ended_at=ended,
            **extra,
        )
        self.add(contact)
        if citizen is not None and outcome in ("completed", "resolved"):
            self._maybe_answer(contact)
        return contact

    def _maybe_answer(self, contact: Contact) -> None:
        """Staff ask at the counter and on the phone; digital services ask on their last page
        (and post the answer with their own token, as staff do)."""
        if self.rng.random() >= profiles.ANSWERED.get(contact.channel, 0.0):
            return
        self.add(
            AnswerSurvey(
                contact.at + timedelta(minutes=1),
                self.next_order(),
                contact.key,
                contact.department_code,
                *draw_answers(self.rng, contact.channel),
            )
        )

    # --- needs and channels -----------------------------------------------------------

    def needs(self) -> list[Need]:
        rng = self.rng
        mean = profiles.NEEDS_PER_CITIZEN_PER_QUARTER * self.quarter.days / profiles.QUARTER_DAYS
        days = [self.quarter.day(i) for i in range(self.quarter.days)]
        day_weights = [(day, 1.0 if day.weekday() < 5 else 0.5) for day in days]
        journeys = {s.code: profiles.journey_for(s.code, s.sla_target_days) for s in self.services}
        weighted_services = [(s, journeys[s.code].weight) for s in self.services]
        lags = list(enumerate(profiles.APPLY_LAG_DAYS))
        needs = []
        for citizen in self.citizens:
            for _ in range(_poisson(rng, mean)):
                service = pick(rng, weighted_services)
                day = pick(rng, day_weights)
                flow = journeys[service.code].flow
                abandoned = flow == profiles.APPLY and rng.random() < profiles.APPLY_ABANDONED
                if flow == profiles.ENQUIRY or abandoned:
                    needs.append(Need(citizen, service, flow, day, None))
                else:
                    lag = pick(rng, lags) if flow == profiles.APPLY else 0
                    finish = day + timedelta(days=lag)
                    needs.append(Need(citizen, service, flow, day, finish))
        return needs

    def digital_share(self, day: date) -> float:
        return _between(
            profiles.DIGITAL_SHARE_START,
            profiles.DIGITAL_SHARE_END,
            min(1.0, self.quarter.progress(day)),
        )

    def digital_needs(self, needs: Sequence[Need]) -> set[int]:
        """Indexes of the needs met digitally. Completed transactions: each week (of the day
        they complete) its quota, citizens who prefer digital channels first in a weighted
        draw; so take-up rises every week, not only on average. Others: by chance."""
        by_week: dict[int, list[int]] = defaultdict(list)
        digital: set[int] = set()
        for index, need in enumerate(needs):
            if need.finish_day is not None:
                by_week[self.quarter.week(need.finish_day)].append(index)
            elif self.rng.random() < self.digital_share(need.day):
                digital.add(index)
        for week in sorted(by_week):
            members = by_week[week]
            finish_days = sorted({day for i in members if (day := needs[i].finish_day)})
            share = self.digital_share(finish_days[len(finish_days) // 2])

            def rank(index: int) -> float:
                weight = (
                    profiles.DIGITAL_PREFERENCE_WEIGHT
                    if needs[index].citizen.prefers_digital
                    else 1.0
                )
                return -(self.rng.random() ** (1 / weight))

            ranked = sorted(members, key=rank)
            digital.update(ranked[: round(share * len(members))])
        return digital

    def digital_channel(self, day: date) -> str:
        share = _between(
            profiles.MOBILE_SHARE_START, profiles.MOBILE_SHARE_END, self.quarter.progress(day)
        )
        return "mobile_app" if self.rng.random() < share else "web"

    def assisted_channel(self) -> str:
        return str(pick(self.rng, profiles.ASSISTED_MIX))

    # --- journeys ---------------------------------------------------------------------

    def new_ref(self) -> str:
        return f"{self.ref_prefix}-{self.next_key():05d}"

    def pay(self, need: Need, digital: bool) -> Contact | None:
        """One contact completes it; a few digital payments fail first, and then the citizen
        either tries again or phones."""
        citizen, service, rng, day = need.citizen, need.service, self.rng, need.finish_day
        assert day is not None
        channel = self.digital_channel(day) if digital else self.assisted_channel()
        if digital and rng.random() < profiles.PAY_FAILED_FIRST:
            ref = self.new_ref()
            retry = "phone" if rng.random() < profiles.ABANDONED_THEN_PHONES else channel
            done = moment_on(rng, self.quarter, retry, day)
            failed = done - timedelta(hours=rng.uniform(0.5, 30))
            self.contact(citizen, service, channel, failed, "abandoned", stage="started", ref=ref)
            return self.contact(
                citizen, service, retry, done, "completed", stage="completed", ref=ref
            )
        started = moment_on(rng, self.quarter, channel, day)
        return self.contact(citizen, service, channel, started, "completed", stage="completed")

    def apply(self, need: Need, digital: bool) -> Contact | None:
        """Started in one contact, completed in a later one with the same transaction_ref (on
        the same kind of channel), or abandoned (some failed digital starts become a call)."""
        citizen, service, rng, quarter = need.citizen, need.service, self.rng, self.quarter
        channel = self.digital_channel(need.day) if digital else self.assisted_channel()
        started = moment_on(rng, quarter, channel, need.day)
        ref = self.new_ref()
        first = self.contact(
            citizen, service, channel, started, "follow_up", stage="started", ref=ref
        )
        if need.finish_day is None:
            if digital and rng.random() < profiles.ABANDONED_THEN_PHONES:
                call = days_later(rng, quarter, "phone", first.started_at, 0.5, 5)
                self.contact(citizen, service, "phone", call, pick(rng, profiles.ENQUIRY_OUTCOMES))
            return None
        if digital:
            finish = channel if rng.random() < 0.85 else self.digital_channel(need.finish_day)
        else:
            finish = rng.choice(("counter", "phone", "mail"))
        when = moment_on(rng, quarter, finish, need.finish_day)
        if when <= started + timedelta(minutes=15):
            when = started + timedelta(minutes=rng.uniform(15, 90))
        return self.contact(citizen, service, finish, when, "completed", stage="completed", ref=ref)

    def report(self, need: Need, digital: bool) -> Contact | None:
        assert need.finish_day is not None
        channel = (
            self.digital_channel(need.day)
            if digital
            else ("phone" if self.rng.random() < 0.8 else "counter")
        )
        started = moment_on(self.rng, self.quarter, channel, need.finish_day)
        return self.contact(
            need.citizen, need.service, channel, started, "completed", stage="completed"
        )

    def enquiry(self, citizen: CitizenInfo | None, service: ServiceInfo | None, day: date) -> None:
        rng, quarter = self.rng, self.quarter
        channel = pick(rng, profiles.ENQUIRY_MIX)
        started = moment_on(rng, quarter, channel, day)
        outcome = pick(rng, profiles.ENQUIRY_OUTCOMES)
        first = self.contact(citizen, service, channel, started, outcome)
        if citizen is not None and outcome in ("referred", "follow_up"):
            again = days_later(rng, quarter, "phone", first.started_at, 1, 5)
            self.contact(citizen, service, "phone", again, "resolved")

    def anonymous(self) -> None:
        enquiries: list[ServiceInfo | None] = [
            s
            for s in self.services
            if profiles.journey_for(s.code, s.sla_target_days).flow == profiles.ENQUIRY
        ]
        per_day = profiles.ANONYMOUS_PER_DAY * len(self.citizens) / 500
        for index in range(self.quarter.days):
            for _ in range(_poisson(self.rng, per_day)):
                # Four in ten anonymous callers ask about no particular service.
                about_service = enquiries and self.rng.random() < 0.6
                service = self.rng.choice(enquiries) if about_service else None
                self.enquiry(None, service, self.quarter.day(index))

    # --- consents ---------------------------------------------------------------------

    def consents(self) -> None:
        """Surveys consent in most citizens' first conversation; sharing across government
        in some first conversations at the counter or on the phone."""
        contacts = sorted(
            (s for s in self._steps if isinstance(s, Contact) and s.citizen_id is not None),
            key=lambda s: (s.at, s.order),
        )
        asked: set[Any] = set()
        asked_to_share: set[Any] = set()
        for contact in contacts:
            if contact.outcome == "abandoned" or contact.direction != "inbound":
                continue
            if contact.citizen_id not in asked:
                asked.add(contact.citizen_id)
                if self.rng.random() < profiles.SURVEYS_CONSENT:
                    self._consent(contact, "surveys", 20)
            if contact.channel in ("phone", "counter") and contact.citizen_id not in asked_to_share:
                asked_to_share.add(contact.citizen_id)
                if self.rng.random() < profiles.SHARING_CONSENT:
                    self._consent(contact, "whole_of_government_sharing", 40)

    def _consent(self, contact: Contact, purpose: str, seconds: int) -> None:
        assert contact.citizen_id is not None
        self.add(
            GiveConsent(
                at=contact.at + timedelta(seconds=seconds),
                order=self.next_order(),
                citizen_id=contact.citizen_id,
                contact_key=contact.key,
                department_code=contact.department_code,
                channel=contact.channel,
                purpose=purpose,
            )
        )

    # --- the whole quarter ------------------------------------------------------------

    def steps(self) -> list[Step]:
        needs = self.needs()
        digital = self.digital_needs(needs)
        flows = {
            profiles.PAY: self.pay,
            profiles.APPLY: self.apply,
            profiles.REPORT: self.report,
        }
        for index, need in enumerate(needs):
            journey = profiles.journey_for(need.service.code, need.service.sla_target_days)
            if need.flow == profiles.ENQUIRY:
                self.enquiry(need.citizen, need.service, need.day)
                continue
            completed = flows[journey.flow](need, index in digital)
            if completed is not None and journey.opens_case:
                plan_case(self, need.citizen, need.service, completed)
        self.anonymous()
        self.consents()
        until = self.quarter.until
        return sorted(
            (step for step in self._steps if step.at <= until), key=lambda s: (s.at, s.order)
        )


def plan_quarter(
    quarter: Quarter,
    citizens: Sequence[CitizenInfo],
    services: Sequence[ServiceInfo],
    departments: Sequence[str],
    seed: int,
) -> list[Step]:
    """The steps of a simulated quarter, in the order to write them (by time).

    :param citizens: in a stable order (the same data and seed give the same plan).
    :param departments: the catalog's department codes.
    """
    return Planner(quarter, citizens, services, departments, seed).steps()
