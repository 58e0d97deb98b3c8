"""``/api/v1/me/totp`` and ``/api/v1/me/sessions``: a staff user's own second factor and
sessions, with the user's own access token (any scope; a client's token is refused)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields

from cgcrm.core.access import current_actor, requires
from cgcrm.core.fields import FullMatch, Text
from cgcrm.core.openapi import Blueprint
from cgcrm.identity import second_factor, sessions
from cgcrm.identity.totp import DIGITS, ISSUER, STEP_SECONDS

blp = Blueprint(
    "account",
    __name__,
    url_prefix="/api/v1/me",
    description="A staff user's own second factor (TOTP) and sessions.",
)


class TotpStatusSchema(Schema):
    enabled = fields.Boolean(required=True, metadata={"description": "Sign-in asks for a code."})
    pending = fields.Boolean(
        required=True, metadata={"description": "An enrolment waits for its first code."}
    )
    enabled_at = fields.DateTime(required=True, allow_none=True)
    recovery_codes_left = fields.Integer(required=True)


class TotpStartSchema(Schema):
    """The user's password again: binding a new authenticator asks for one already bound.
    The server makes the secret."""

    # Taken as typed (not trimmed like Text): it is compared with the stored hash.
    password = fields.String(
        required=True,
        load_only=True,
        validate=FullMatch(
            r"^[^\x00-\x1f\x7f]{1,1024}$", error="enter the password you sign in with"
        ),
        metadata={"description": "The password the user signs in with."},
    )


class TotpEnrolmentSchema(Schema):
    secret = fields.String(
        required=True,
        metadata={"description": "Base32 secret, to type into an authenticator app; shown once."},
    )
    otpauth_uri = fields.String(
        required=True, metadata={"description": "The same secret as an otpauth:// URI (QR)."}
    )
    issuer = fields.Constant(ISSUER, required=True)
    digits = fields.Constant(DIGITS, required=True)
    period = fields.Constant(STEP_SECONDS, required=True)
    algorithm = fields.Constant("SHA1", required=True)


class TotpCodeSchema(Schema):
    code = Text(
        required=True,
        min_length=1,
        max_length=40,
        metadata={
            "description": "The current 6-digit code; to disable, a recovery code also does."
        },
    )


class TotpEnabledSchema(Schema):
    enabled_at = fields.DateTime(required=True)
    recovery_codes = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "Ten single-use codes, shown this once; keep them safe."},
    )


class SessionSchema(Schema):
    id = fields.UUID(required=True)
    client_id = fields.String(required=True)
    client_name = fields.String(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, metadata={"description": "When signed in."})
    last_used_at = fields.DateTime(required=True, metadata={"description": "Last refresh."})
    expires_at = fields.DateTime(required=True)
    address = fields.String(required=True, allow_none=True)
    user_agent = fields.String(required=True, allow_none=True)
    methods = fields.List(
        fields.String(), required=True, metadata={"description": "RFC 8176: pwd, otp."}
    )
    current = fields.Boolean(
        required=True, metadata={"description": "The session of this access token."}
    )


@blp.route("/totp")
class TotpView(MethodView):
    @requires()
    @blp.doc(operationId="getTotpStatus")
    @blp.response(200, TotpStatusSchema)
    def get(self) -> Any:
        """Whether sign-in asks this user for a TOTP code."""
        user = second_factor.staff_user_of(current_actor().principal)
        return second_factor.totp_status(user)

    @requires()
    @blp.doc(operationId="startTotpEnrolment")
    @blp.arguments(TotpStartSchema)
    @blp.response(201, TotpEnrolmentSchema)
    @blp.alt_response(409, description="TOTP is already enabled, or the user signs in elsewhere.")
    @blp.alt_response(422, description="The password is not correct.")
    @blp.alt_response(429, description="Too many wrong attempts; see Retry-After.")
    def post(self, data: dict[str, Any]) -> Any:
        """Start enrolling a TOTP authenticator: a new secret, active once confirmed."""
        user = second_factor.staff_user_of(current_actor().principal)
        return second_factor.start_totp_enrolment(user, data["password"])

    @requires()
    @blp.doc(operationId="disableTotp")
    @blp.arguments(TotpCodeSchema)
    @blp.response(204)
    @blp.alt_response(409, description="TOTP is not enabled.")
    def delete(self, data: dict[str, Any]) -> None:
        """Disable TOTP, proved with a current code or a recovery code."""
        user = second_factor.staff_user_of(current_actor().principal)
        second_factor.disable_totp(user, data["code"])


@blp.route("/totp/confirm")
class TotpConfirmView(MethodView):
    @requires()
    @blp.doc(operationId="confirmTotp")
    @blp.arguments(TotpCodeSchema)
    @blp.response(200, TotpEnabledSchema)
    @blp.alt_response(409, description="No enrolment is pending.")
    def post(self, data: dict[str, Any]) -> Any:
        """Confirm the enrolment with a first code; returns the recovery codes, once."""
        user = second_factor.staff_user_of(current_actor().principal)
        return second_factor.confirm_totp(user, data["code"])


@blp.route("/sessions")
class SessionsView(MethodView):
    @requires()
    @blp.doc(operationId="listSessions")
    @blp.response(200, SessionSchema(many=True))
    def get(self) -> Any:
        """The caller's live sessions (one per sign-in), the most recently used first."""
        principal = current_actor().principal
        user = second_factor.staff_user_of(principal)
        return sessions.list_sessions(user.id, principal.token_id)

    @requires()
    @blp.doc(operationId="endOtherSessions")
    @blp.response(204)
    def delete(self) -> None:
        """End every session of the caller but the one of this access token."""
        principal = current_actor().principal
        user = second_factor.staff_user_of(principal)
        sessions.end_other_sessions(user.id, principal.token_id, by=principal.ref)


@blp.route("/sessions/<uuid:session_id>")
class SessionView(MethodView):
    @requires()
    @blp.doc(operationId="endSession")
    @blp.response(204)
    @blp.alt_response(404, description="No live session of the caller with this id.")
    def delete(self, session_id: uuid.UUID) -> None:
        """End one session: its refresh tokens at once, its access tokens within the
        revocation window."""
        principal = current_actor().principal
        user = second_factor.staff_user_of(principal)
        sessions.end_session(user.id, session_id, by=principal.ref)
