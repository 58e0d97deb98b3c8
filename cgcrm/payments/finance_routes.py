"""Finance endpoints of the payment service: reconciliation, the day's journal, cash-up.

Reading them takes ``citizens:read``, as reading payments does (issue 12): they show payments'
references and amounts, never a citizen, and a department's principal sees its own
department's entries, differences and tills only (``cross_department`` sees all). Running a
reconciliation again writes, so it takes ``payments:write``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, request
from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import current_actor, requires
from cgcrm.payments import cashup, reconciliation
from cgcrm.payments.finance_schemas import (
    CashUpQuerySchema,
    CashUpSchema,
    ReconciliationQuerySchema,
    ReconciliationRunSchema,
    ReconciliationSchema,
)
from cgcrm.payments.journal_export import CSV_MEDIA_TYPE, journal_csv, journal_rows

JSON_MEDIA_TYPE = "application/json"

blp = Blueprint(
    "payment_finance",
    __name__,
    url_prefix="/api/v1/payments",
    description="Finance: each day's reconciliation of the providers' settlement reports "
    "with the journal, the journal as CSV, and the counters' cash-up.",
)


def _wants_csv() -> bool:
    preferred = request.accept_mimetypes.best_match([JSON_MEDIA_TYPE, CSV_MEDIA_TYPE])
    return preferred == CSV_MEDIA_TYPE


@blp.route("/reconciliation")
class ReconciliationView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(ReconciliationQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, ReconciliationSchema)
    @blp.alt_response(
        200,
        schema={"type": "string"},
        content_type=CSV_MEDIA_TYPE,
        description="With `Accept: text/csv`: the day's journal, one row per entry, under a "
        "fixed header; amounts in minor units and as decimals.",
        success=True,
    )
    @blp.doc(
        description="Each provider's run for the day (counts and totals of both sides) and "
        "every difference found: missing in the report or in the journal, amount or state "
        "mismatch, duplicate, payment still unresolved. A department sees its own "
        "differences; `cross_department` sees all, including money no payment of ours explains."
    )
    def get(self, date: date, provider: str | None = None) -> Any:
        """The day's reconciliation, or with Accept: text/csv the day's journal."""
        actor = current_actor()
        if _wants_csv():
            body = journal_csv(journal_rows(actor, date))
            return Response(
                body,
                mimetype=CSV_MEDIA_TYPE,
                headers={
                    "Content-Disposition": f'attachment; filename="journal-{date.isoformat()}.csv"'
                },
            )
        return reconciliation.get_reconciliation(actor, date, provider)

    @requires(scopes.PAYMENTS_WRITE)
    @blp.arguments(ReconciliationRunSchema, as_kwargs=True)
    @blp.response(200, ReconciliationSchema)
    def post(self, date: date) -> Any:
        """Reconcile a day now (e.g. after a late report), replacing its stored result."""
        actor = current_actor()
        reconciliation.reconcile_day(date, run_by=actor.principal.ref)
        return reconciliation.get_reconciliation(actor, date)


@blp.route("/cash-up")
class CashUpView(MethodView):
    @requires(scopes.CITIZENS_READ)
    @blp.arguments(CashUpQuerySchema, location="query", as_kwargs=True)
    @blp.response(200, CashUpSchema)
    def get(self, date: date, till: str | None = None) -> Any:
        """A day's takings and pay-outs per counter till, to compare with the drawer."""
        return cashup.cash_up(current_actor(), date, till)
