"""What the API accepts and answers: pages, idempotency, searches, plausible values, problem
documents, the citizen overview and consent evidence.
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

API: tuple[Setting, ...] = (
    Setting("DEFAULT_PHONE_REGION", str, "AU", "ISO 3166 region for phones without +country."),
    Setting("DEFAULT_COUNTRY", str, "AU", "Country assumed for addresses without one."),
    Setting("PAGE_SIZE_DEFAULT", int, 50, "Items per page when ?limit= is absent."),
    Setting("PAGE_SIZE_MAX", int, 200, "Largest ?limit= accepted."),
    Setting("IDEMPOTENCY_TTL", int, 86400, "Seconds an Idempotency-Key is remembered."),
    Setting(
        "IDEMPOTENCY_LOCK_TIMEOUT",
        int,
        60,
        "Seconds after which an unfinished idempotent request is considered abandoned.",
    ),
    Setting("SEARCH_RESULTS_MAX", int, 20, "Most results a citizen search returns."),
    Setting(
        "OVERVIEW_RECENT_INTERACTIONS",
        int,
        20,
        "How many of the latest interactions the citizen overview shows.",
    ),
    Setting(
        "OVERVIEW_RECENT_PAYMENTS",
        int,
        20,
        "How many of the latest payments the citizen overview shows.",
    ),
    Setting(
        "CONSENT_EVIDENCE_MAX_AGE_DAYS",
        int,
        30,
        "Days after a contact ends during which a consent that widens access (e.g. "
        "whole_of_government_sharing) may still be recorded as given in it.",
    ),
    Setting(
        "CONTACT_HORIZON_DAYS",
        int,
        3660,
        "How many days back a contact's start or end may lie; older times are refused (422) as "
        "implausible (see cgcrm/core/time_bounds.py).",
    ),
    Setting(
        "CLOCK_SKEW_SECONDS",
        int,
        300,
        "How far ahead of the server's clock a contact's time may lie (clocks of contact-centre "
        "systems drift); later is refused as in the future.",
    ),
    Setting(
        "CONTACT_MAX_SPAN_HOURS",
        int,
        24,
        "Longest a contact may last (ended_at - started_at); longer is refused as implausible.",
    ),
    Setting(
        "TEXT_MAX_COMBINING_MARKS",
        int,
        4,
        "Most combining marks on one character in free text (names, notes, ...); more is refused.",
    ),
    Setting(
        "PROBLEM_MAX_ERRORS",
        int,
        50,
        "Most field errors one problem document lists; the rest are counted in errors_omitted.",
    ),
)
