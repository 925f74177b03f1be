"""The hospital's read model: rounds, candidates with their stage, and each one's timeline."""

from __future__ import annotations

import json
from typing import Any

from helgeland_contracts.personal import ERASED
from sqlalchemy import (
    Connection,
    bindparam,
    select,
    update,
)

from helgeland_pipeline.domain.candidates import Candidate, ConsentPurpose
from helgeland_pipeline.domain.career import Career
from helgeland_pipeline.domain.forum import ForumCandidacy
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.privacy.fields import SEALED
from helgeland_pipeline.readside.dispatch import Handler, event_class, handlers
from helgeland_pipeline.readside.hospital.tables import (
    VERSION,
    candidates,
    coupled_slots,
    metadata,
    rounds,
    timeline,
)
from helgeland_pipeline.readside.sql import flush_inserts, insert_later, insert_row, update_where

SHARING = ConsentPurpose.FORUM_SHARING.value

# Fields of each candidate event that the hospital's timeline shows (never personal data).
_TIMELINE_FIELDS_BY_NAME: dict[str, tuple[str, ...]] = {
    "Registered": (),
    "ContactDetailsRecorded": (),
    "StudentContacted": ("kind", "municipality"),
    "Lis1ApplicationSubmitted": (
        "round_id",
        "preference",
        "local_connection",
        "consent_to_share",
        "consent_text_version",
    ),
    "Lis1InterviewHeld": ("interviewer", "primary_care_interest", "notes"),
    "Lis1Offered": ("unit", "coupled", "answer_by"),
    "Lis1OfferAccepted": (),
    "Lis1OfferDeclined": (),
    "ApplicationWithdrawn": ("reason",),
    "ConsentGiven": ("purpose", "version"),
    "ConsentWithdrawn": ("purpose", "version"),
    "Erased": ("basis", "reason"),
}


_TIMELINE_FIELDS = {
    event_class(Candidate, name): (name, fields)
    for name, fields in _TIMELINE_FIELDS_BY_NAME.items()
}


class HospitalProjection:
    """Applies round and candidate events to the hospital's tables."""

    name = "hospital"
    version = VERSION
    metadata = metadata
    retired_tables = (
        "hospital_rounds",
        "hospital_candidates",
        "hospital_timeline",
        *(f"hospital_v4_{t}" for t in ("rounds", "candidates", "timeline")),
    )

    def __init__(self) -> None:
        self.handlers = _handlers()
        self.event_classes = frozenset(self.handlers) | frozenset(_TIMELINE_FIELDS)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(conn, event, position)
        timeline_entry = _TIMELINE_FIELDS.get(type(event))
        if timeline_entry is not None:
            _append_timeline(conn, event, *timeline_entry, position)


def _handlers() -> dict[type[Any], Handler]:
    return {
        **handlers(
            Lis1Round,
            {
                "Opened": _round_opened,
                "Advanced": lambda c, e, _: _set_round(c, e, status=e.status),
                "ListFinalised": lambda c, e, _: _set_round(
                    c, e, status="list_final", list_final_at=e.stamp.occurred_at
                ),
                "OfferHeld": _slot_offered,
                "OfferConfirmed": _slot_accepted,
                "OfferReleased": _slot_released,
            },
        ),
        **handlers(
            Candidate,
            {
                "Registered": _candidate_registered,
                "ContactDetailsRecorded": lambda c, e, _: _set_candidate(
                    c, e, name=e.name, email=e.email, phone=e.phone
                ),
                "StudentContacted": _student_contacted,
                "Lis1ApplicationSubmitted": _application_submitted,
                "Lis1InterviewHeld": _interview_held,
                "Lis1Offered": lambda c, e, _: _set_candidate(
                    c,
                    e,
                    stage="offered",
                    offer_unit=e.unit,
                    offer_coupled=e.coupled,
                    offer_answer_by=e.answer_by,
                    offer_state="open",
                ),
                "Lis1OfferAccepted": lambda c, e, _: _set_candidate(
                    c, e, stage="accepted", offer_state="accepted"
                ),
                "Lis1OfferDeclined": lambda c, e, _: _set_candidate(
                    c, e, stage="declined", offer_state="declined"
                ),
                "ApplicationWithdrawn": lambda c, e, _: _set_candidate(
                    c, e, stage="withdrawn", withdrawn=True
                ),
                "ConsentGiven": _consent_given,
                "ConsentWithdrawn": _consent_withdrawn,
                "Erased": _erased,
            },
        ),
        **handlers(
            ForumCandidacy,
            {
                "Shared": lambda c, e, _: update_where(
                    c, candidates, "candidate_id", e.candidate_id, candidacy_id=str(e.originator_id)
                ),
                "Lis3Offered": _lis3_offered,
                "Lis3OfferAccepted": _lis3_accepted,
            },
        ),
        **handlers(
            Career,
            {
                "Lis1Started": lambda c, e, _: update_where(
                    c, candidates, "candidate_id", e.candidate_id, career_id=str(e.originator_id)
                ),
                "Lis3Started": _lis3_started,
            },
        ),
    }


# --- the rounds' coupled slots: who holds each, and whether it ended in a LIS3 start --------


def _slot(conn: Connection, round_id: str, slot: int, **values: Any) -> None:
    conn.execute(
        update(coupled_slots)
        .where(coupled_slots.c.round_id == round_id, coupled_slots.c.slot == slot)
        .values(**values)
    )


def _holder(conn: Connection, candidate_id: str, **values: Any) -> None:
    conn.execute(
        update(coupled_slots).where(coupled_slots.c.candidate_id == candidate_id).values(**values)
    )


def _slot_offered(conn: Connection, event: Any, _: int) -> None:
    if event.coupled_slot is not None:
        holder = {"candidate_id": event.candidate_id, "lis1_state": "offered"}
        _slot(conn, str(event.originator_id), event.coupled_slot, **holder)


def _slot_accepted(conn: Connection, event: Any, _: int) -> None:
    if event.coupled_slot is not None:
        holder = {"candidate_id": event.candidate_id, "lis1_state": "accepted"}
        _slot(conn, str(event.originator_id), event.coupled_slot, **holder)


def _slot_released(conn: Connection, event: Any, _: int) -> None:
    conn.execute(
        update(coupled_slots)
        .where(
            coupled_slots.c.round_id == str(event.originator_id),
            coupled_slots.c.candidate_id == event.candidate_id,
        )
        .values(candidate_id=None, lis1_state="free")
    )


def _candidate_of(conn: Connection, column: str, value: str) -> str | None:
    query = select(candidates.c.candidate_id).where(candidates.c[column] == value)
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def _lis3_offered(conn: Connection, event: Any, _: int) -> None:
    candidate = _candidate_of(conn, "candidacy_id", str(event.originator_id))
    if event.coupled_slot is not None and candidate is not None:
        conn.execute(
            update(coupled_slots)
            .where(coupled_slots.c.candidate_id == candidate)
            .values(lis3_offers=coupled_slots.c.lis3_offers + 1)
        )


def _lis3_accepted(conn: Connection, event: Any, _: int) -> None:
    at = event.stamp.occurred_at
    cid = str(event.originator_id)
    update_where(
        conn,
        candidates,
        "candidacy_id",
        cid,
        lis3_municipality=event.municipality,
        lis3_accepted_at=at,
    )
    candidate = _candidate_of(conn, "candidacy_id", cid)
    if candidate is not None:
        _holder(conn, candidate, lis3_accepted_by=event.municipality)


def _lis3_started(conn: Connection, event: Any, _: int) -> None:
    candidate = _candidate_of(conn, "career_id", str(event.originator_id))
    if candidate is not None:
        started = {
            "lis3_started_in": event.municipality,
            "lis3_started_at": event.stamp.occurred_at,
        }
        _holder(conn, candidate, **started)


def _round_opened(conn: Connection, event: Any, _: int) -> None:
    insert_row(
        conn,
        rounds,
        round_id=str(event.originator_id),
        name=event.name,
        status="open",
        positions=dict(event.positions),
        coupled_positions=event.coupled_positions,
        application_deadline=event.application_deadline,
        lis1_starts_on=event.lis1_starts_on,
        opened_at=event.stamp.occurred_at,
    )
    for slot in range(1, event.coupled_positions + 1):
        insert_row(
            conn,
            coupled_slots,
            round_id=str(event.originator_id),
            slot=slot,
            lis1_state="free",
            lis3_offers=0,
        )


def _set_round(conn: Connection, event: Any, **values: Any) -> None:
    update_where(conn, rounds, "round_id", str(event.originator_id), **values)


def _candidate_registered(conn: Connection, event: Any, position: int) -> None:
    insert_row(
        conn,
        candidates,
        candidate_id=str(event.originator_id),
        seq=position,
        registered_at=event.stamp.occurred_at,
        stage="registered",
        local_connection=[],
        has_local_connection=False,
        consent_to_share=False,
        consents={},
        contacts=0,
        early_contacts=[],
        interviews=0,
        withdrawn=False,
        consent_withdrawn=False,
        last_event_at=event.stamp.occurred_at,
    )


def _set_candidate(conn: Connection, event: Any, **values: Any) -> None:
    update_where(
        conn,
        candidates,
        "candidate_id",
        str(event.originator_id),
        last_event_at=event.stamp.occurred_at,
        **values,
    )


def _application_submitted(conn: Connection, event: Any, _: int) -> None:
    consents = {}
    if event.consent_to_share and event.consent_text_version is not None:
        consents[SHARING] = _held(event.consent_text_version, event)
    _set_candidate(
        conn,
        event,
        stage="applied",
        round_id=event.round_id,
        preference=event.preference,
        local_connection=list(event.local_connection),
        has_local_connection=bool(event.local_connection),
        consent_to_share=SHARING in consents,
        consents=consents,
    )


def _held(version: int, event: Any) -> dict[str, Any]:
    return {"version": version, "given_at": event.stamp.occurred_at.isoformat()}


def _consents(conn: Connection, event: Any) -> dict[str, Any]:
    row = conn.execute(_CANDIDATE, {"candidate": str(event.originator_id)}).one()
    return dict(row.consents or {})


def _consent_given(conn: Connection, event: Any, _: int) -> None:
    consents = {**_consents(conn, event), event.purpose: _held(event.version, event)}
    sharing = {"consent_withdrawn": False} if event.purpose == SHARING else {}
    _set_candidate(conn, event, consents=consents, consent_to_share=SHARING in consents, **sharing)


def _consent_withdrawn(conn: Connection, event: Any, _: int) -> None:
    consents = _consents(conn, event)
    consents.pop(event.purpose, None)
    sharing = {"consent_withdrawn": True} if event.purpose == SHARING else {}
    _set_candidate(conn, event, consents=consents, consent_to_share=SHARING in consents, **sharing)


def _student_contacted(conn: Connection, event: Any, _: int) -> None:
    row = conn.execute(_CANDIDATE, {"candidate": str(event.originator_id)}).one()
    contact = {
        "kind": event.kind,
        "municipality": event.municipality,
        "occurred_at": event.stamp.occurred_at.isoformat(),
        "recorded_by": event.stamp.actor.organisation,
    }
    early = [*(row.early_contacts or []), contact]
    _set_candidate(conn, event, contacts=row.contacts + 1, early_contacts=early)


_CANDIDATE = candidates.select().where(candidates.c.candidate_id == bindparam("candidate"))


def _interview_held(conn: Connection, event: Any, _: int) -> None:
    # The best score across interviews ranks the candidate; later interviews can only add.
    score = event.primary_care_interest
    row = conn.execute(_CANDIDATE, {"candidate": str(event.originator_id)}).one()
    best = max(score, row.interview_score or 0)
    _set_candidate(
        conn, event, stage="interviewed", interviews=row.interviews + 1, interview_score=best
    )


def _erased(conn: Connection, event: Any, _: int) -> None:
    """The person's data goes from every row; the facts (stage, offer, counts) stay."""
    cid = str(event.originator_id)
    update_where(conn, candidates, "candidate_id", cid, name=ERASED, email=None, phone=None)
    flush_inserts(conn)  # this page's timeline rows are written before they are blanked
    rows = conn.execute(
        select(timeline.c.position, timeline.c.event_type, timeline.c.details).where(
            timeline.c.candidate_id == cid, timeline.c.event_type.in_(list(_SEALED_DETAILS))
        )
    ).all()
    for row in rows:
        details = json.loads(row.details)
        for name, erased in _SEALED_DETAILS[row.event_type].items():
            if details.get(name) not in (None, ""):
                details[name] = erased
        update_where(
            conn,
            timeline,
            "position",
            row.position,
            details=json.dumps(details, ensure_ascii=False),
        )


# Timeline details that are personal, by event: what they read as once the person is erased.
_SEALED_DETAILS = {
    kind.partition(".")[2]: fields
    for kind, fields in SEALED.items()
    if kind.startswith("Candidate.")
}


def _append_timeline(
    conn: Connection, event: Any, kind: str, fields: tuple[str, ...], position: int
) -> None:
    details = {field: _plain(getattr(event, field)) for field in fields}
    actor = event.stamp.actor
    insert_later(
        conn,
        timeline,
        position=position,
        candidate_id=str(event.originator_id),
        event_type=kind,
        occurred_at=event.stamp.occurred_at,
        recorded_at=event.stamp.recorded_at,
        actor_person=actor.person_id,
        actor_organisation=actor.organisation,
        actor_role=str(actor.role),
        details=json.dumps(details, ensure_ascii=False),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)
