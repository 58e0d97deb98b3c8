"""The scopes a principal may hold (DESIGN.md §4). Imports nothing of ours."""

from collections.abc import Iterable

CITIZENS_READ = "citizens:read"
CITIZENS_WRITE = "citizens:write"
INTERACTIONS_WRITE = "interactions:write"
CASES_WRITE = "cases:write"
PAYMENTS_WRITE = "payments:write"
METRICS_READ = "metrics:read"
AUDIT = "audit"
ADMIN = "admin"
CROSS_DEPARTMENT = "cross_department"
# Recording a consent that widens who may see a citizen's records (cgcrm.citizens.sharing).
CONSENTS_RECORD = "consents:record"
# External identifiers in full, whichever department owns their system.
IDENTIFIERS_READ = "identifiers:read"
# Paging through the whole population (GET /citizens without a narrowing filter).
CITIZENS_EXPORT = "citizens:export"
# OpenID Connect: who the signed-in staff user is (an ID token and the userinfo endpoint).
OPENID = "openid"
PROFILE = "profile"
EMAIL = "email"
# Every staff user holds these, whatever their roles: they describe the user, not the data.
IDENTITY_SCOPES = frozenset({OPENID, PROFILE, EMAIL})

ALL_SCOPES = frozenset(
    {
        CITIZENS_READ,
        CITIZENS_WRITE,
        INTERACTIONS_WRITE,
        CASES_WRITE,
        PAYMENTS_WRITE,
        METRICS_READ,
        AUDIT,
        ADMIN,
        CROSS_DEPARTMENT,
        CONSENTS_RECORD,
        IDENTIFIERS_READ,
        CITIZENS_EXPORT,
        *IDENTITY_SCOPES,
    }
)

# Staff roles map to scopes: the one declared table (issue 13). A staff user holds the union of
# their roles' scopes, and a token issued to them carries no scope outside it (nor outside its
# client's). Only ``admin`` holds ``cross_department``: every other user sees other departments'
# records as a client of their department does.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    # Front office takes consents at the counter and on the phone, in the contact it records,
    # and takes payments there.
    "front_office": frozenset(
        {
            CITIZENS_READ,
            CITIZENS_WRITE,
            INTERACTIONS_WRITE,
            CASES_WRITE,
            PAYMENTS_WRITE,
            CONSENTS_RECORD,
        }
    ),
    "case_worker": frozenset({CITIZENS_READ, CITIZENS_WRITE, INTERACTIONS_WRITE, CASES_WRITE}),
    "supervisor": frozenset(
        {
            CITIZENS_READ,
            CITIZENS_WRITE,
            INTERACTIONS_WRITE,
            CASES_WRITE,
            PAYMENTS_WRITE,
            METRICS_READ,
            CONSENTS_RECORD,
        }
    ),
    "finance": frozenset({CITIZENS_READ, PAYMENTS_WRITE, METRICS_READ}),
    "auditor": frozenset({CITIZENS_READ, AUDIT, METRICS_READ}),
    "admin": ALL_SCOPES,
}


def role_scopes(roles: Iterable[str]) -> frozenset[str]:
    """The scopes a holder of ``roles`` holds (unknown role names give none)."""
    held: frozenset[str] = frozenset()
    for role in roles:
        held |= ROLE_SCOPES.get(role, frozenset())
    return held


# What each scope allows, as the OpenAPI document's security scheme tells client developers.
# Every scope in ALL_SCOPES has one (a test checks it).
DESCRIPTIONS: dict[str, str] = {
    CITIZENS_READ: "Read citizen records, search them, and read contacts and cases you may see.",
    CITIZENS_WRITE: "Create and change citizen records and record consent decisions.",
    INTERACTIONS_WRITE: "Record contacts (interactions) on any channel.",
    CASES_WRITE: "Open, change, move and annotate cases; link contacts to them.",
    PAYMENTS_WRITE: "Take and refund payments.",
    METRICS_READ: "Read KPI rollups and reports.",
    AUDIT: "Read the audit trail of a citizen record.",
    ADMIN: "Manage the catalog (departments, services) and background jobs.",
    CROSS_DEPARTMENT: "See other departments' contacts, cases and notes without the citizen's "
    "whole-of-government consent.",
    CONSENTS_RECORD: "Record a consent that widens who may see the citizen's records (e.g. "
    "whole-of-government sharing), naming the contact in which the citizen gave it.",
    IDENTIFIERS_READ: "See every department's external identifiers of a citizen in full "
    "(others see the system and a masked value).",
    CITIZENS_EXPORT: "List citizens without a narrowing filter (page through the population).",
    OPENID: "Sign a staff user in with OpenID Connect: an ID token, and the userinfo endpoint.",
    PROFILE: "With openid: the staff user's name, department and roles.",
    EMAIL: "With openid: the staff user's email address.",
}
