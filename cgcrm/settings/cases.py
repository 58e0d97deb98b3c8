"""Working days and cases: the service's time zone and holidays, reopening, SLA checks
(cgcrm.core.working_days, cgcrm.cases).
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

CASES: tuple[Setting, ...] = (
    Setting(
        "TIME_ZONE",
        str,
        "Australia/Sydney",
        "IANA time zone of the service's working days and daily reporting buckets.",
    ),
    Setting(
        "HOLIDAY_COUNTRY",
        str,
        "AU",
        "ISO 3166 country whose public holidays are not working days (python-holidays); "
        "empty for none.",
    ),
    Setting(
        "HOLIDAY_SUBDIVISION",
        str,
        "NSW",
        "State or province of HOLIDAY_COUNTRY whose holidays also apply; empty for national only.",
    ),
    Setting(
        "EXTRA_HOLIDAYS",
        str,
        "",
        "Comma-separated ISO dates that are also not working days (office closures).",
    ),
    Setting(
        "CASE_REOPEN_WINDOW_DAYS",
        int,
        14,
        "Days after resolution during which a case may be reopened instead of closed.",
    ),
    Setting("SLA_CHECK_INTERVAL", int, 60, "Seconds between checks that flag cases past due."),
)
