"""What happens around a case: notes, and the contacts (interactions) linked to it.

Both follow the case's visibility: whoever may see the case may read and add notes and link
contacts, including other departments that see it through the citizen's consent or because they
opened it. A closed case is final and takes no more notes; contacts about it may still be linked,
since the link belongs to the contact's record, not the case's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from cgcrm.cases.models import CaseNote
from cgcrm.cases.service.access import audit, case_records_page, load_visible, transaction
from cgcrm.citizens import sharing
from cgcrm.citizens.models import Citizen
from cgcrm.core.clock import utcnow
from cgcrm.core.errors import Conflict, ValidationError
from cgcrm.core.ids import new_id
from cgcrm.core.outbox import add_event
from cgcrm.core.principal import Actor
from cgcrm.extensions import db
from cgcrm.interactions import service as interactions
from cgcrm.interactions.models import Interaction


class CaseClosed(Conflict):
    """A note on a closed case."""

    slug = "case-closed"


def add_note(actor: Actor, case_id: uuid.UUID, text: str) -> CaseNote:
    """Add a note to a case, signed with the caller and their department.

    Notes do not change the case's version: they never make another writer's If-Match stale.

    :raises NotFound: no such case, or one the caller may not see.
    :raises CaseClosed: the case is closed (409); what came after belongs on a new case.
    """
    with transaction():
        case = load_visible(actor, case_id)
        if case.status == "closed":
            raise CaseClosed(
                f"case {case.reference} is closed, and closed is final: it takes no more notes. "
                "Open a new case for what came after (and link the contact to it); a resolved "
                "case still takes notes and can be reopened within the reopen window"
            )
        note = CaseNote(
            id=new_id(),
            case_id=case.id,
            text=text,
            author=actor.principal.ref,
            author_department_code=actor.principal.department_code,
            created_at=utcnow(),
            request_id=actor.request_id,
        )
        db.session.add(note)
        add_event(
            "case.note_added",
            "case",
            case.id,
            {
                "case_id": str(case.id),
                "note_id": str(note.id),
                "department_code": case.department_code,
                "author_department_code": note.author_department_code,
            },
        )
        audit(actor, case, "case.note_added", ["notes"])
    return note


def list_notes(
    actor: Actor, case_id: uuid.UUID, *, limit: int, after: uuid.UUID | None = None
) -> list[CaseNote]:
    """A page of a case's notes, oldest first; reading a citizen's case notes is audited.

    :raises NotFound: no such case, or one the caller may not see.
    """
    return case_records_page(actor, case_id, CaseNote, limit=limit, after=after, disclosed="notes")


def link_interaction(
    actor: Actor, case_id: uuid.UUID, interaction_id: uuid.UUID
) -> tuple[Interaction, bool]:
    """Link a contact to a case (sets ``interactions.case_id``).

    :returns: the interaction, and whether it was newly linked (False: it already was).
    :raises NotFound: no such case, or one the caller may not see.
    :raises ValidationError: no such interaction visible to the caller, or it is about
        another citizen than the case.
    :raises Conflict: the interaction is already linked to another case.
    """
    with transaction():
        case = load_visible(actor, case_id)
        row = db.session.execute(
            select(Interaction, Citizen.shares_across_government)
            .outerjoin(Citizen, Citizen.id == Interaction.citizen_id)
            .where(Interaction.id == interaction_id)
            .with_for_update(of=Interaction)
        ).first()
        if row is None or not sharing.may_see(actor, row[0].department_id, bool(row[1])):
            raise ValidationError(
                f"no interaction with id {interaction_id}",
                errors={"interaction_id": ["unknown interaction"]},
            )
        interaction: Interaction = row[0]
        if (
            case.citizen_id is not None
            and interaction.citizen_id is not None
            and case.citizen_id != interaction.citizen_id
        ):
            raise ValidationError(
                "the interaction is about another citizen than the case",
                errors={"interaction_id": ["another citizen's contact"]},
            )
        if interaction.case_id == case.id:
            return interaction, False
        if interaction.case_id is not None:
            raise Conflict("the interaction is already linked to another case")
        interaction.case_id = case.id
        add_event(
            "case.interaction_linked",
            "case",
            case.id,
            {
                "case_id": str(case.id),
                "interaction_id": str(interaction.id),
                "department_code": case.department_code,
            },
        )
        audit(actor, case, "case.interaction_linked", ["interactions"])
    return interaction, True


def list_case_interactions(
    actor: Actor,
    case_id: uuid.UUID,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Interaction]:
    """A page of the contacts linked to a case, latest first, those the caller may see.

    :raises NotFound: no such case, or one the caller may not see.
    """
    with transaction():
        case = load_visible(actor, case_id)
    return interactions.list_interactions(actor, limit=limit, after=after, case_id=case.id)
