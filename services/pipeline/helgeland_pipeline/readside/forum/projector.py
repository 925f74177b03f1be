"""The municipal side's read model: shared candidates, invitations and LIS3 offers.

It holds only what municipalities and the forum may see: never interview notes or the
hospital's scores. A candidate's name and contact details are here only while they are shared
with the forum and consent: they are read from the log when the candidate is shared (the
`ContactDetails` lookup), follow corrections while shared, and are cleared on withdrawal.
Students met early (placements, summer jobs, ...) are kept with their contacts; their contact
details likewise only while they consent to be presented to the forum. The placement capacity
of each municipality is kept per year, the latest figure recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from helgeland_contracts.personal import ERASED
from sqlalchemy import (
    Connection,
    delete,
    select,
    update,
)

from helgeland_pipeline.domain.forum import candidacy_id
from helgeland_pipeline.readside.dispatch import Handler, table
from helgeland_pipeline.readside.forum.tables import (
    VERSION,
    gp_posts,
    invitations,
    metadata,
    offers,
    people,
    placements,
    rounds,
    shared,
    students,
)
from helgeland_pipeline.readside.sql import insert_row, update_where

_TABLES = ("people", "rounds", "candidates", "invitations", "offers")

# candidate id -> (name, email, phone) as the log holds them now, or None
ContactDetails = Callable[[str], tuple[str, str, str | None] | None]
_NO_CONTACT = {"name": None, "email": None, "phone": None}


def _no_lookup(candidate_id: str) -> tuple[str, str, str | None] | None:
    msg = "the forum projection was built without access to the log's contact details"
    raise RuntimeError(msg)


class ForumProjection:
    name = "forum"
    version = VERSION
    metadata = metadata
    retired_tables = (
        *(f"forum_{t}" for t in _TABLES),
        *(f"forum_v2_{t}" for t in _TABLES),
    )

    def __init__(self, contact_details: ContactDetails = _no_lookup) -> None:
        self.contact_details = contact_details
        self.handlers = table(
            {
                **_HANDLERS,
                "Candidate.ContactDetailsRecorded": self._contact_details_recorded,
                "Candidate.StudentContacted": self._student_contacted,
                "Candidate.Lis1ApplicationSubmitted": self._application_submitted,
                "Candidate.ConsentGiven": self._consent_given,
                "Candidate.ConsentWithdrawn": self._consent_withdrawn,
                "ForumCandidacy.Shared": self._shared,
            }
        )
        self.event_classes = frozenset(self.handlers)

    def _shared(self, conn: Connection, event: Any, position: int) -> None:
        _shared(conn, event, position)
        found = self.contact_details(event.candidate_id)
        if found is not None:
            name, email, phone = found
            update_where(
                conn,
                people,
                "candidate_id",
                event.candidate_id,
                name=name,
                email=email,
                phone=phone,
            )

    def _contact_details_recorded(self, conn: Connection, event: Any, _: int) -> None:
        """A correction reaches this read model only while the candidate is shared."""
        cid = str(event.originator_id)
        current = conn.execute(
            select(shared.c.candidacy_id).where(
                shared.c.candidate_id == cid, shared.c.consent_withdrawn.is_(False)
            )
        ).first()
        if current is not None:
            _person(conn, event, name=event.name, email=event.email, phone=event.phone)
        if _consents(conn, cid):
            details = {"name": event.name, "email": event.email, "phone": event.phone}
            update_where(conn, students, "candidate_id", cid, **details)

    # --- students met early: their contact details only while they consent -----------------

    def _student_contacted(self, conn: Connection, event: Any, position: int) -> None:
        cid = str(event.originator_id)
        contact = {
            "kind": event.kind,
            "municipality": event.municipality,
            "occurred_at": event.stamp.occurred_at.isoformat(),
            "recorded_by": event.stamp.actor.organisation,
        }
        row = conn.execute(select(students.c.contacts).where(students.c.candidate_id == cid))
        found = row.first()
        if found is not None:
            contacts = [*found.contacts, contact]
            update_where(conn, students, "candidate_id", cid, contacts=contacts)
            return
        insert_row(
            conn, students, candidate_id=cid, seq=position, contacts=[contact], applied=False
        )
        if _consents(conn, cid):
            self._copy_student_details(conn, cid)

    def _copy_student_details(self, conn: Connection, cid: str) -> None:
        """A student's contact details, read from the log only for one met early."""
        query = select(students.c.candidate_id).where(students.c.candidate_id == cid)
        if conn.execute(query).first() is None:
            return
        found = self.contact_details(cid)
        if found is not None:
            name, email, phone = found
            update_where(conn, students, "candidate_id", cid, name=name, email=email, phone=phone)

    def _set_consent(self, conn: Connection, cid: str, consents: bool) -> None:
        update_where(conn, people, "candidate_id", cid, consent_to_share=consents)
        if consents:
            self._copy_student_details(conn, cid)
        else:
            update_where(conn, students, "candidate_id", cid, **_NO_CONTACT)

    def _application_submitted(self, conn: Connection, event: Any, _: int) -> None:
        cid = str(event.originator_id)
        _person(conn, event, preference=event.preference, local_connection=event.local_connection)
        update_where(conn, students, "candidate_id", cid, applied=True)
        if event.consent_to_share:
            self._set_consent(conn, cid, consents=True)

    def _consent_given(self, conn: Connection, event: Any, _: int) -> None:
        if event.purpose == SHARING:
            self._set_consent(conn, str(event.originator_id), consents=True)

    def _consent_withdrawn(self, conn: Connection, event: Any, _: int) -> None:
        if event.purpose == SHARING:
            self._set_consent(conn, str(event.originator_id), consents=False)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(conn, event, position)


def _person(conn: Connection, event: Any, **values: Any) -> None:
    update_where(conn, people, "candidate_id", str(event.originator_id), **values)


SHARING = "forum_sharing"


def _consents(conn: Connection, candidate_id: str) -> bool:
    query = select(people.c.consent_to_share).where(people.c.candidate_id == candidate_id)
    return bool(conn.execute(query).scalar())


def _registered(conn: Connection, event: Any, _: int) -> None:
    insert_row(
        conn,
        people,
        candidate_id=str(event.originator_id),
        local_connection=[],
        consent_to_share=False,
    )


def _capacity_recorded(conn: Connection, event: Any, _: int) -> None:
    """The latest figure for a municipality's year replaces the earlier one."""
    conn.execute(
        delete(placements).where(
            placements.c.municipality == event.municipality, placements.c.year == event.year
        )
    )
    insert_row(
        conn,
        placements,
        municipality=event.municipality,
        year=event.year,
        students=event.students,
        recorded_at=event.stamp.occurred_at,
        recorded_by=event.stamp.actor.organisation,
    )


def _shared(conn: Connection, event: Any, position: int) -> None:
    insert_row(
        conn,
        shared,
        candidacy_id=str(event.originator_id),
        candidate_id=event.candidate_id,
        seq=position,
        round_id=event.round_id,
        shared_at=event.stamp.occurred_at,
        lis1_ends_on=event.lis1_ends_on,
        consent_withdrawn=False,
    )


def _candidacy(conn: Connection, event: Any, **values: Any) -> None:
    update_where(conn, shared, "candidacy_id", str(event.originator_id), **values)


def _invitation(conn: Connection, event: Any, **values: Any) -> None:
    update_where(conn, invitations, "invitation_id", event.invitation_id, **values)


def _offer(conn: Connection, offer_id: str, **values: Any) -> None:
    update_where(conn, offers, "offer_id", offer_id, **values)


def _invitation_sent(conn: Connection, event: Any, _: int) -> None:
    insert_row(
        conn,
        invitations,
        invitation_id=event.invitation_id,
        candidacy_id=str(event.originator_id),
        municipality=event.municipality,
        kind=event.kind,
        proposed_times=[t.isoformat() for t in event.proposed_times],
        state="proposed",
        sent_at=event.stamp.occurred_at,
    )


def _lis3_offered(conn: Connection, event: Any, _: int) -> None:
    insert_row(
        conn,
        offers,
        offer_id=event.offer_id,
        candidacy_id=str(event.originator_id),
        municipality=event.municipality,
        start_date=event.start_date,
        terms=dict(event.terms),
        expires_on=event.expires_on,
        state="open",
        coupled_slot=event.coupled_slot,
        offered_at=event.stamp.occurred_at,
    )


def _lis3_accepted(conn: Connection, event: Any, _: int) -> None:
    at = event.stamp.occurred_at
    _offer(conn, event.offer_id, state="accepted", closed_at=at)
    for other in event.closed_offers:
        _offer(conn, other, state="accepted_elsewhere", closed_at=at)
    _candidacy(conn, event, recruited_by=event.municipality, recruited_at=at)


def _consent_withdrawn(conn: Connection, event: Any, _: int) -> None:
    cid = str(event.originator_id)
    at = event.stamp.occurred_at
    _candidacy(conn, event, consent_withdrawn=True)
    candidate = conn.execute(select(shared.c.candidate_id).where(shared.c.candidacy_id == cid))
    update_where(conn, people, "candidate_id", candidate.scalar_one(), **_NO_CONTACT)
    conn.execute(
        update(invitations)
        .where(invitations.c.candidacy_id == cid, invitations.c.state.not_in(["held", "declined"]))
        .values(state="closed")
    )
    conn.execute(
        update(offers)
        .where(offers.c.candidacy_id == cid, offers.c.state == "open")
        .values(state="closed", closed_at=at)
    )


def _erased(conn: Connection, event: Any, _: int) -> None:
    """The person's contact details go; the texts of offers made to them read as erased."""
    cid = str(event.originator_id)
    _person(conn, event, name=None, email=None, phone=None)
    update_where(conn, students, "candidate_id", cid, **_NO_CONTACT)
    candidacy = str(candidacy_id(UUID(cid)))
    for row in conn.execute(
        select(offers.c.offer_id, offers.c.terms).where(offers.c.candidacy_id == candidacy)
    ).all():
        terms = dict(row.terms)
        for name in ("supervisor", "supervision_group"):
            if terms.get(name):
                terms[name] = ERASED
        _offer(conn, row.offer_id, terms=terms)


def _posts_reported(conn: Connection, event: Any, position: int) -> None:
    """A later report for the same date corrects the earlier: only the latest is current."""
    conn.execute(
        update(gp_posts)
        .where(gp_posts.c.municipality == event.municipality, gp_posts.c.as_of == event.as_of)
        .values(current=False)
    )
    insert_row(
        conn,
        gp_posts,
        position=position,
        municipality=event.municipality,
        as_of=event.as_of,
        total=event.total,
        vacant=event.vacant,
        held_by_locums=event.held_by_locums,
        retirements_expected=event.retirements_expected,
        reported_by=event.stamp.actor.organisation[:200],
        recorded_at=event.stamp.recorded_at,
        corrects_earlier=event.corrects_earlier,
        current=True,
    )


_HANDLERS: dict[str, Handler] = {
    "Candidate.Registered": _registered,
    "Candidate.Lis1Offered": lambda c, e, _: _person(c, e, lis1_unit=e.unit),
    "Lis1Round.OfferConfirmed": lambda c, e, _: update_where(
        c, people, "candidate_id", e.candidate_id, coupled_slot=e.coupled_slot
    ),
    "PlacementCapacity.CapacityRecorded": _capacity_recorded,
    "Lis1Round.Opened": lambda c, e, _: c.execute(
        rounds.insert().values(round_id=str(e.originator_id), name=e.name)
    ),
    "Lis1Round.ListSentToForum": lambda c, e, _: c.execute(
        update(rounds)
        .where(rounds.c.round_id == str(e.originator_id))
        .values(list_sent_at=e.stamp.occurred_at)
    ),
    "ForumCandidacy.InvitationSent": _invitation_sent,
    "ForumCandidacy.InvitationAnswered": lambda c, e, _: _invitation(
        c, e, state=e.answer, new_time=e.new_time, answered_at=e.stamp.occurred_at
    ),
    "ForumCandidacy.MeetingHeld": lambda c, e, _: _invitation(
        c, e, state="held", held_at=e.stamp.occurred_at
    ),
    "ForumCandidacy.Lis3Offered": _lis3_offered,
    "ForumCandidacy.Lis3OfferWithdrawn": lambda c, e, _: _offer(
        c, e.offer_id, state="withdrawn", closed_at=e.stamp.occurred_at
    ),
    "ForumCandidacy.Lis3OfferDeclined": lambda c, e, _: _offer(
        c, e.offer_id, state="declined", closed_at=e.stamp.occurred_at
    ),
    "ForumCandidacy.Lis3OfferAccepted": _lis3_accepted,
    "ForumCandidacy.ConsentWithdrawn": _consent_withdrawn,
    "Candidate.Erased": _erased,
    "GpPosts.PostsReported": _posts_reported,
}
