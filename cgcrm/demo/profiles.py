"""What the simulated citizens and channels do: the behaviour the demo's plan draws from.

Figures are chosen to look like a council's quarter, not measured: digital take-up climbs from
about a third to three quarters of completed transactions, assisted channels satisfy more
people than digital ones (counter most, web least), a few digital attempts fail and the citizen
phones instead (avoidable contact), and about one case in seven misses its SLA (one in
five is planned late; the workflow's pauses move some due dates past the resolution).
"""

from __future__ import annotations

from dataclasses import dataclass

# A need's journey through a service.
PAY = "pay"  # a one-contact transaction (pay a fine, renew a membership)
APPLY = "apply"  # started, completed on a later contact (transaction_ref), sometimes abandoned
REPORT = "report"  # a one-contact report that opens a case (missed bin, pothole)
ENQUIRY = "enquiry"  # a question about the service: no transaction


@dataclass(frozen=True)
class Journey:
    flow: str
    weight: float  # how often citizens need the service, relative to others
    opens_case: bool


# By service code; a code not listed gets a journey from its SLA target (see journey_for).
JOURNEYS: dict[str, Journey] = {
    "RATES-PAY": Journey(PAY, 10, False),
    "PARK-FINE-PAY": Journey(PAY, 5, False),
    "LIB-MEMBERSHIP": Journey(PAY, 3, False),
    "REC-POOL-MEMBERSHIP": Journey(PAY, 2, False),
    "ANIMAL-PET-REG": Journey(APPLY, 3, False),
    "CS-CHANGE-ADDRESS": Journey(PAY, 3, False),
    "LIC-DRIVER-RENEW": Journey(APPLY, 3, False),
    "RATES-CONCESSION": Journey(APPLY, 2, True),
    "RATES-PAYMENT-PLAN": Journey(APPLY, 2, True),
    "WASTE-MISSED-BIN": Journey(REPORT, 4, True),
    "WASTE-HARD-RUBBISH": Journey(APPLY, 3, True),
    "WASTE-DUMPED": Journey(REPORT, 1.5, True),
    "ENV-NOISE": Journey(REPORT, 1.5, True),
    "ENV-GRAFFITI": Journey(REPORT, 1, True),
    "ROAD-POTHOLE": Journey(REPORT, 2, True),
    "ANIMAL-BARKING": Journey(REPORT, 1.5, True),
    "ANIMAL-LOST-FOUND": Journey(REPORT, 1, True),
    "CS-COMPLAINT": Journey(REPORT, 1, True),
    "CS-ENQUIRY": Journey(ENQUIRY, 6, False),
    "PLAN-ADVICE": Journey(ENQUIRY, 2, False),
}


def journey_for(code: str, sla_target_days: int) -> Journey:
    """The journey of a service: as listed, else an application (a case when it takes days)."""
    return JOURNEYS.get(code) or Journey(APPLY, 0.4, sla_target_days >= 5)


# Share of needs met on a digital channel, by how far into the quarter (0 → 1) they arise.
DIGITAL_SHARE_START = 0.34
DIGITAL_SHARE_END = 0.76
# Of digital journeys, the share on the mobile app (the rest on the web), same progression.
MOBILE_SHARE_START = 0.25
MOBILE_SHARE_END = 0.45
# Citizens who prefer a digital channel are this many times likelier to be among a week's
# digital journeys.
DIGITAL_PREFERENCE_WEIGHT = 3.0

# Needs per citizen over 90 days (Poisson mean); anonymous enquiries per day per 500 citizens.
NEEDS_PER_CITIZEN_PER_QUARTER = 3.0
ANONYMOUS_PER_DAY = 3.0
QUARTER_DAYS = 90

# Assisted channels by share, for a journey that is not digital.
ASSISTED_MIX = (("phone", 0.6), ("counter", 0.32), ("mail", 0.08))
ENQUIRY_MIX = (("phone", 0.55), ("chat", 0.2), ("counter", 0.15), ("email", 0.1))

# Handling time in minutes (low, high) per channel; None: no end time recorded.
HANDLING_MINUTES: dict[str, tuple[int, int] | None] = {
    "web": (2, 9),
    "mobile_app": (1, 6),
    "email": (3, 10),
    "chat": (4, 15),
    "phone": (3, 14),
    "counter": (4, 18),
    "mail": None,
    "outreach": (20, 60),
}

# Local opening hours (from, to) in hours; digital channels are open day and night.
ASSISTED_HOURS = (8.5, 17.0)
DIGITAL_HOURS = (7.0, 23.0)

# Probabilities of the journeys' turns.
APPLY_ABANDONED = 0.13  # an application started and never completed
# Days from starting an application to completing it (weights of 0, 1, 2, … days).
APPLY_LAG_DAYS = (3.0, 3.0, 2.0, 1.5, 1.0, 0.7, 0.5)
ABANDONED_THEN_PHONES = 0.45  # a failed digital attempt becomes a phone call (avoidable)
PAY_FAILED_FIRST = 0.06  # a digital payment fails once before it succeeds
ENQUIRY_OUTCOMES = (("resolved", 0.72), ("referred", 0.13), ("follow_up", 0.15))
CASE_CHASED = 0.35  # the citizen asks after an open case a few days on (a repeat contact)
CASE_BREACHES = 0.22  # a case resolved after its SLA target
CASE_AWAITS_CITIZEN = 0.2
CASE_NOTED = 0.5

# Consents: surveys granted in most citizens' first contact; sharing across government in some
# assisted first contacts.
SURVEYS_CONSENT = 0.86
SHARING_CONSENT = 0.25

# Satisfaction answered after a completed contact: on a digital "done" page, or asked by staff.
ANSWERED = {"web": 0.3, "mobile_app": 0.3, "phone": 0.25, "counter": 0.35, "chat": 0.2}
# CSAT distribution (5, 4, 3, 2, 1) per channel; assisted channels satisfy more.
CSAT: dict[str, tuple[float, float, float, float, float]] = {
    "counter": (0.56, 0.29, 0.08, 0.04, 0.03),
    "phone": (0.43, 0.32, 0.13, 0.07, 0.05),
    "chat": (0.38, 0.32, 0.15, 0.09, 0.06),
    "mobile_app": (0.34, 0.32, 0.17, 0.10, 0.07),
    "web": (0.29, 0.31, 0.19, 0.12, 0.09),
    "email": (0.36, 0.32, 0.16, 0.10, 0.06),
    "mail": (0.40, 0.32, 0.14, 0.08, 0.06),
    "outreach": (0.55, 0.30, 0.08, 0.04, 0.03),
}
# Citizens who follow their invitation's link and answer.
INVITATION_ANSWERED = 0.35
NPS_GIVEN = 0.6
EFFORT_GIVEN = 0.5
COMMENTED = 0.15
COMMENTS = {
    5: ("Quick and easy, thank you.", "The officer was very helpful."),
    4: ("Good, but the form asked for the same thing twice.", "Sorted out in one go."),
    3: ("It took longer than I expected.", "Fine in the end."),
    2: ("I had to explain everything again.", "The page kept timing out."),
    1: ("Nobody could tell me what was happening.", "I gave up online and had to call."),
}
