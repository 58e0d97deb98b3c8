"""The scopes a principal may hold (DESIGN.md §4). Imports nothing of ours."""

CITIZENS_READ = "citizens:read"
CITIZENS_WRITE = "citizens:write"
INTERACTIONS_WRITE = "interactions:write"
CASES_WRITE = "cases:write"
PAYMENTS_WRITE = "payments:write"
METRICS_READ = "metrics:read"
AUDIT = "audit"
ADMIN = "admin"
CROSS_DEPARTMENT = "cross_department"

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
    }
)

# Staff roles map to scopes; a staff user's token carries its role's scopes.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "front_office": frozenset(
        {CITIZENS_READ, CITIZENS_WRITE, INTERACTIONS_WRITE, CASES_WRITE, PAYMENTS_WRITE}
    ),
    "case_officer": frozenset({CITIZENS_READ, CITIZENS_WRITE, INTERACTIONS_WRITE, CASES_WRITE}),
    "supervisor": frozenset(
        {
            CITIZENS_READ,
            CITIZENS_WRITE,
            INTERACTIONS_WRITE,
            CASES_WRITE,
            PAYMENTS_WRITE,
            METRICS_READ,
        }
    ),
    "analyst": frozenset({METRICS_READ}),
    "auditor": frozenset({CITIZENS_READ, AUDIT}),
    "admin": ALL_SCOPES,
}
