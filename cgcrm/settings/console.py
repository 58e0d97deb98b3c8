"""The staff console (issue 14, cgcrm.console): where its API is, its OAuth client, its assets
and its session.
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

CONSOLE: tuple[Setting, ...] = (
    Setting(
        "CONSOLE_API_URL",
        str,
        "",
        "Base URL of the API the staff console calls (and sends browsers to for sign-in); "
        "empty: this application, reached in-process through its WSGI interface.",
    ),
    Setting(
        "CONSOLE_CLIENT_ID",
        str,
        "cgcrm-console",
        "OAuth client id of the staff console (a confidential client: code + PKCE).",
    ),
    Setting(
        "CONSOLE_CLIENT_SECRET",
        str,
        "",
        "OAuth client secret of the staff console; empty: read from instance/console-client.json, "
        "which `flask seed` writes.",
    ),
    Setting(
        "CONSOLE_ASSETS_DIR",
        str,
        "",
        "Folder holding the console's npm packages (govuk-frontend, htmx.org); empty: "
        "node_modules of the project.",
    ),
    Setting(
        "CONSOLE_SESSION_SECONDS",
        int,
        8 * 3600,
        "Seconds a staff console session lives without use (kept in Redis).",
    ),
    Setting(
        "CONSOLE_COOKIE_SECURE",
        bool,
        True,
        "Mark the console's session cookie Secure (browsers keep it on http://localhost too).",
    ),
    Setting(
        "CONSOLE_WEB_PAYMENT_RETURN_URL",
        str,
        "",
        "Where a citizen handed a card page link by the staff console returns after paying "
        "(the council's own page); the console's payment form starts with it filled in.",
    ),
)
