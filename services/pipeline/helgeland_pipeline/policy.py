"""Who may act, and read, for which municipality: decided here and nowhere else.

A municipality's chief physician acts and reads for their own municipality only. The forum
and administrators act for any municipality, naming it; the hospital acts for none.
Refusals raise `NotYours` (answered 403).
"""

from __future__ import annotations

from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.domain.forum import NotYours


def acting_for(actor: Actor) -> str | None:
    """The one municipality the actor is confined to, or None when they may act for any."""
    return actor.municipality if actor.role == Role.MUNICIPALITY else None


def acting_municipality(actor: Actor, named: str | None) -> str:
    """The municipality a municipal command acts for: a municipality's own, or the one the
    forum or an administrator names."""
    mine = acting_for(actor)
    if mine is not None:
        if named not in (None, mine):
            msg = "a municipality acts for itself only"
            raise NotYours(msg)
        return mine
    if named is None:
        msg = "only a municipality token (or one naming a municipality) may do this"
        raise NotYours(msg)
    return named


def check_acts_for(
    actor: Actor, municipality: str, why: str = "a municipality acts for itself only"
) -> None:
    """Refuse a municipality acting on, or reading, another municipality's business."""
    mine = acting_for(actor)
    if mine is not None and mine != municipality:
        raise NotYours(why)


def contact_municipality(actor: Actor, named: str | None) -> str | None:
    """The municipality an early contact with a student names: the hospital names one when
    there is one; a municipality records its own contacts; the forum (or an administrator)
    names the municipality it records for."""
    if actor.role == Role.HOSPITAL_RECRUITER:
        return named
    return acting_municipality(actor, named)


def check_keeps_student(actor: Actor, contact_municipalities: set[str]) -> None:
    """Only the hospital keeps any candidate's contact details; a municipality keeps those of
    the students it has met, the forum those of students met by any municipality."""
    if actor.role == Role.HOSPITAL_RECRUITER:
        return
    mine = acting_for(actor)
    if mine is None and contact_municipalities:
        return
    if mine is not None and mine in contact_municipalities:
        return
    msg = "only the hospital, or a municipality that met the student, keeps their details"
    raise NotYours(msg)


def check_not_municipal(actor: Actor, why: str) -> None:
    """Refuse what only the hospital, the forum or administrators do."""
    if acting_for(actor) is not None:
        raise NotYours(why)


def check_not_hospital(actor: Actor, why: str) -> None:
    """Refuse what only the municipalities, the forum or administrators do."""
    if actor.role in {Role.HOSPITAL_RECRUITER, Role.EVALUATOR}:
        raise NotYours(why)
