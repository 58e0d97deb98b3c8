"""A staff user's sessions: each sign-in is one refresh-token family (``identity.refresh``).

A session is live while its newest refresh token is neither used, revoked nor expired. Ending
one revokes the family (``refresh.revoke_family``): its refresh tokens at once, the access
tokens it issued within the revocation window (at once in the process that ends it). Disabling
a user ends every session through the same function (``service.disable_user``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import g
from sqlalchemy import and_, func, select

from cgcrm.core.clock import utcnow
from cgcrm.core.errors import NotFound
from cgcrm.core.security_events import record_security_event
from cgcrm.extensions import db
from cgcrm.identity.account_models import StaffSession
from cgcrm.identity.models import OAuthClient, RefreshToken
from cgcrm.identity.refresh import revoke_family

SESSION_ENDED = "session.ended"


@dataclass(frozen=True)
class SessionView:
    id: uuid.UUID
    client_id: str
    client_name: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    address: str | None
    user_agent: str | None
    methods: list[str]
    current: bool


def start_session(
    family_id: uuid.UUID,
    user_id: uuid.UUID,
    client_id: str,
    address: str | None,
    user_agent: str | None,
    methods: tuple[str, ...] | list[str],
) -> None:
    """Record where a sign-in came from, under the id of the family it starts; the caller
    commits (with the authorization code)."""
    clean_agent = user_agent.replace("\x00", "\ufffd")[:300] if user_agent else None
    db.session.add(
        StaffSession(
            family_id=family_id,
            user_id=user_id,
            client_id=client_id,
            address=address[:64] if address else None,
            user_agent=clean_agent or None,
            methods=" ".join(methods),
        )
    )


def _live_families(
    user_id: uuid.UUID,
) -> list[tuple[uuid.UUID, str, datetime, datetime, datetime]]:
    """(family, client, first issued, newest issued, expiry) of the user's live families."""
    now = utcnow()
    live = and_(
        RefreshToken.used_at.is_(None),
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > now,
    )
    rows = db.session.execute(
        select(
            RefreshToken.family_id,
            RefreshToken.client_id,
            func.min(RefreshToken.issued_at),
            func.max(RefreshToken.issued_at),
            func.max(RefreshToken.expires_at),
        )
        .where(RefreshToken.user_id == user_id)
        .group_by(RefreshToken.family_id, RefreshToken.client_id)
        .having(func.count().filter(live) > 0)
        .order_by(func.max(RefreshToken.issued_at).desc(), RefreshToken.family_id)
    ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def current_family(user_id: uuid.UUID, access_jti: str | None) -> uuid.UUID | None:
    """The user's family whose refresh token was issued beside this access token, if any."""
    if not access_jti:
        return None
    family: uuid.UUID | None = db.session.scalar(
        select(RefreshToken.family_id)
        .where(RefreshToken.user_id == user_id, RefreshToken.access_jti == access_jti)
        .limit(1)
    )
    return family


def list_sessions(user_id: uuid.UUID, access_jti: str | None) -> list[SessionView]:
    """The user's live sessions, the most recently used first.

    :param access_jti: the caller's access token, to mark the session it belongs to.
    """
    families = _live_families(user_id)
    ids = [family for family, *_ in families]
    recorded = {
        s.family_id: s
        for s in db.session.scalars(select(StaffSession).where(StaffSession.family_id.in_(ids)))
    }
    # A Result has keys(): dict() would read it as a mapping, so the pairs are listed first.
    names = dict(
        list(
            db.session.execute(
                select(OAuthClient.client_id, OAuthClient.name).where(
                    OAuthClient.client_id.in_({client for _, client, *_ in families})
                )
            ).tuples()
        )
    )
    mine = current_family(user_id, access_jti)
    views = []
    for family, client_id, first_issued, newest, expires_at in families:
        session = recorded.get(family)
        views.append(
            SessionView(
                id=family,
                client_id=client_id,
                client_name=names.get(client_id),
                created_at=session.created_at if session else first_issued,
                last_used_at=newest,
                expires_at=expires_at,
                address=session.address if session else None,
                user_agent=session.user_agent if session else None,
                methods=session.methods.split() if session else [],
                current=family == mine,
            )
        )
    return views


def end_session(user_id: uuid.UUID, session_id: uuid.UUID, by: str) -> None:
    """End one of the user's live sessions (the caller's own too: signing out).

    :param by: who ended it (``Principal.ref``), for the security event.
    :raises NotFound: no live session of this user with this id.
    """
    if session_id not in {family for family, *_ in _live_families(user_id)}:
        raise NotFound(f"no live session {session_id}")
    revoked = revoke_family(session_id)
    db.session.commit()
    _ended(user_id, [session_id], by, revoked)


def end_other_sessions(user_id: uuid.UUID, access_jti: str | None, by: str) -> int:
    """End every live session of the user but the one of the caller's access token.

    :returns: how many sessions ended.
    """
    keep = current_family(user_id, access_jti)
    ending = [family for family, *_ in _live_families(user_id) if family != keep]
    revoked = sum(revoke_family(family) for family in ending)
    db.session.commit()
    if ending:
        _ended(user_id, ending, by, revoked)
    return len(ending)


def _ended(user_id: uuid.UUID, families: list[uuid.UUID], by: str, revoked: int) -> None:
    record_security_event(
        SESSION_ENDED,
        request_id=g.get("request_id"),
        user_id=str(user_id),
        by=by,
        sessions=[str(f) for f in families],
        refresh_tokens_revoked=revoked,
    )
