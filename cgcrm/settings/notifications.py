"""Messages to citizens and the satisfaction surveys they invite to (cgcrm.notifications,
cgcrm.surveys).
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

NOTIFICATIONS: tuple[Setting, ...] = (
    Setting(
        "NOTIFICATION_ADAPTER",
        str,
        "cgcrm.notifications.table_adapter:TableAdapter",
        "module:Class that sends notifications to citizens (cgcrm.notifications). The default "
        "writes each message to the notifications table and the log; an SMS or email gateway "
        "is one new module named here.",
    ),
    Setting(
        "SURVEY_QUIET_DAYS",
        int,
        30,
        "Days after a satisfaction survey invitation during which the same citizen is not "
        "invited again, whatever the contact.",
    ),
    Setting(
        "SURVEY_MAX_CONTACT_AGE_HOURS",
        int,
        24,
        "Hours after a contact (its end, else its start) within which its citizen may still be "
        "invited: the survey asks about the service received today.",
    ),
    Setting(
        "SURVEY_INVITATION_TTL_DAYS",
        int,
        7,
        "Days a survey invitation's link can be answered before it expires.",
    ),
    Setting(
        "SURVEY_BASE_URL",
        str,
        "",
        "Public address citizens open survey links at ({SURVEY_BASE_URL}/s/<token>); empty "
        "uses JWT_ISSUER, the application's own address.",
    ),
    Setting(
        "SURVEY_EXPIRY_INTERVAL",
        int,
        3600,
        "Seconds between runs of the job that marks unanswered survey invitations past their "
        "expiry as expired.",
    ),
)
