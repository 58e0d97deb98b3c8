"""Payments (issue 12, cgcrm.payments): providers, expiry, notifications from providers, the
sandbox gateway (pay-sandbox) and the journal's reconciliation.
"""

from __future__ import annotations

from cgcrm.settings.core import Setting

PAYMENTS: tuple[Setting, ...] = (
    Setting(
        "PAYMENT_PROVIDERS",
        str,
        "sandbox=cgcrm.payments.providers.sandbox:SandboxProvider,"
        "cash=cgcrm.payments.providers.cash:CashProvider,"
        "card_present=cgcrm.payments.providers.cash:CardPresentProvider,"
        "manual=cgcrm.payments.providers.manual:ManualProvider",
        "Comma-separated name=module:Class of every payment provider (cgcrm.payments.providers); "
        "a new gateway is one module and one entry here.",
    ),
    Setting(
        "PAYMENT_DEFAULT_PROVIDERS",
        str,
        "web=sandbox,phone=sandbox,counter=cash",
        "Comma-separated channel=provider: the provider a payment on that channel uses unless "
        "the request names one.",
    ),
    Setting(
        "PAYMENT_EXPIRY_MINUTES",
        int,
        90,
        "Minutes a payment may stay unfinished; then the expiry job fails it (P0020).",
    ),
    Setting(
        "PAYMENT_EXPIRY_INTERVAL",
        int,
        60,
        "Seconds between runs of the job that fails payments past their expiry.",
    ),
    Setting(
        "PAYMENT_EXPIRY_BATCH",
        int,
        500,
        "Most payments one expiry run fails (the rest wait for the next run).",
    ),
    Setting(
        "PAYMENT_NOTIFICATION_TOLERANCE",
        int,
        300,
        "Seconds a provider's notification signature may be older (or newer) than our clock; "
        "outside it the notification is refused as stale.",
    ),
    Setting(
        "SANDBOX_NOTIFICATION_SECRETS",
        str,
        "",
        "Comma-separated secrets shared with the sandbox gateway for its Pay-Signature "
        "(HMAC-SHA256); it signs with each, we accept any (rotation). Empty derives one from "
        "SECRET_KEY (development and tests only).",
    ),
    Setting(
        "SANDBOX_NOTIFICATION_URL",
        str,
        "",
        "Where the sandbox gateway POSTs its notifications (loopback addresses only). Empty: "
        "through this application's WSGI interface, in the process that sends them.",
    ),
    Setting(
        "SANDBOX_DELIVERY_TIMEOUT",
        float,
        5.0,
        "Seconds the sandbox gateway waits for our endpoint to answer one notification.",
    ),
    Setting(
        "SANDBOX_DELIVERY_ATTEMPTS",
        int,
        12,
        "Attempts the sandbox gateway makes to deliver a notification (backing off from 5 s "
        "to an hour) before it gives up; the settlement report still lists the money.",
    ),
    Setting(
        "SANDBOX_REDELIVERY_INTERVAL",
        int,
        30,
        "Seconds between runs of the job that sends the sandbox's notifications not yet taken.",
    ),
    Setting(
        "SANDBOX_PAGE_BASE_URL",
        str,
        "",
        "Public address of the sandbox card page (next_url is {SANDBOX_PAGE_BASE_URL}/pay/card/"
        "<token>); empty uses JWT_ISSUER, the application's own address.",
    ),
    Setting(
        "SANDBOX_SETTLEMENT_DIR",
        str,
        "",
        "Directory of the sandbox gateway's daily settlement CSV files; empty means "
        "instance/sandbox-settlements.",
    ),
    Setting(
        "PAYMENT_RECONCILIATION_INTERVAL",
        int,
        3600,
        "Seconds between runs of the job that reconciles each closed day due (providers' "
        "settlement reports against the journal).",
    ),
    Setting(
        "PAYMENT_RECONCILIATION_DELAY",
        int,
        7200,
        "Seconds after a local day ends before its settlement reports are taken as final and "
        "the day is reconciled.",
    ),
    Setting(
        "PAYMENT_RECONCILIATION_DAYS",
        int,
        7,
        "Closed days the reconciliation job looks back over: a day missed while no worker ran, "
        "or whose report was unavailable, is reconciled on a later run.",
    ),
)
