"""Survey endpoints: a response by the citizen (through their link) or by staff."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from flask.views import MethodView

from cgcrm.core import scopes
from cgcrm.core.errors import Unauthenticated
from cgcrm.core.http import FORM_BODY, accepts_form_posts
from cgcrm.core.openapi import Blueprint
from cgcrm.identity.guard import allows_anonymous, optional_actor, requires
from cgcrm.surveys import pages, service
from cgcrm.surveys.schemas import SurveyResponseInSchema, SurveyResponseSchema

blp = Blueprint(
    "surveys",
    __name__,
    url_prefix="/api/v1/surveys",
    description="Satisfaction surveys: citizens' answers through their invitation's link, and "
    "answers staff take at the counter or on the phone.",
)


def _answers_the_survey_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """The survey page's form posts here urlencoded (no JavaScript, so no JSON) and is answered
    in HTML (``pages.answer_from_form``); every other caller gets the JSON API."""

    @functools.wraps(view)
    def dispatch(*args: Any, **kwargs: Any) -> Any:
        if request.mimetype == FORM_BODY:
            return pages.answer_from_form()
        return view(*args, **kwargs)

    return dispatch


@blp.route("/responses")
class SurveyResponsesView(MethodView):
    @requires(scopes.INTERACTIONS_WRITE)
    @allows_anonymous
    @accepts_form_posts
    @_answers_the_survey_page
    @blp.arguments(SurveyResponseInSchema)
    @blp.response(201, SurveyResponseSchema)
    @blp.alt_response(404, description="No invitation was sent with this token.")
    @blp.alt_response(409, description="The contact has a response already (or the link was used).")
    @blp.alt_response(410, description="The invitation's link has expired.")
    @blp.doc(operationId="recordSurveyResponse")
    def post(self, data: dict[str, Any]) -> Any:
        """Record a satisfaction response: the citizen's by their link, or one staff took."""
        if "token" in data:
            return service.record_token_response(data["token"], data, g.request_id)
        actor = optional_actor()
        if actor is None:
            raise Unauthenticated(
                "recording an answer about a contact (interaction_id) needs an access token: "
                "Authorization: Bearer <token>; citizens answer with their link's token"
            )
        return service.record_staff_response(actor, data)
