"""The municipal read model: each doctor's milestones, and the municipalities they belong to.

A doctor belongs to the municipality that recruited them (its coupled LIS3 offer accepted) and
to each one they have worked in: a move or leaving changes how the old municipality sees them
("moved", "left"), never removes them. A milestone is stored as recorded; a correction changes
its date or value here, keeps the original beside it and marks it corrected.

Names are the employer's to see: copied from the log (the candidate's latest contact details)
when a doctor's row is made, following corrections, and gone when the person is erased.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helgeland_contracts.personal import ERASED
from sqlalchemy import Connection, bindparam, select

from helgeland_pipeline.domain.common import programme_day
from helgeland_pipeline.readside.dispatch import Handler, table
from helgeland_pipeline.readside.municipal.tables import (
    VERSION,
    candidacies,
    doctors,
    links,
    metadata,
    milestones,
)
from helgeland_pipeline.readside.sql import insert_row, update_where

# candidate id -> (name, e-mail, phone) as the log holds them now, or None
ContactDetails = Callable[[str], tuple[str, str, str | None] | None]

# Career event -> the milestone's kind, and the field (if any) shown as its value.
MILESTONES: dict[str, tuple[str, str | None]] = {
    "Lis1Started": ("lis1_started", "unit"),
    "Lis1PartStarted": ("lis1_part_started", "part"),
    "Lis1PartCompleted": ("lis1_part_completed", "part"),
    "Lis3Started": ("lis3_started", "municipality"),
    "SupervisorAssigned": ("supervisor_assigned", "supervisor"),
    "SupervisionGroupJoined": ("supervision_group_joined", "group"),
    "EducationPlanMade": ("education_plan_made", None),
    "EducationPlanReviewed": ("education_plan_reviewed", None),
    "InstitutionServiceCompleted": ("institution_service_completed", None),
    "SpecialistApproved": ("specialist_approved", None),
    "Recertified": ("recertified", None),
    "LeaveStarted": ("leave_started", None),
    "ReturnedFromLeave": ("returned_from_leave", None),
    "MovedWithinHelgeland": ("moved_within_helgeland", "to_municipality"),
    "Left": ("left", "reason"),
    "Returned": ("returned", "municipality"),
}
# Values that are personal (names): what they read as once the person is erased.
PERSONAL_KINDS = ("supervisor_assigned", "supervision_group_joined")

_DOCTOR_BY_CAREER = select(doctors).where(doctors.c.career_id == bindparam("career"))
_DOCTOR = select(doctors).where(doctors.c.candidate_id == bindparam("candidate"))


def _no_lookup(candidate_id: str) -> tuple[str, str, str | None] | None:
    msg = "the municipal projection was built without access to the log's contact details"
    raise RuntimeError(msg)


class MunicipalProjection:
    name = "municipal"
    version = VERSION
    metadata = metadata
    retired_tables: tuple[str, ...] = ()

    def __init__(self, contact_details: ContactDetails = _no_lookup) -> None:
        self.contact_details = contact_details
        by_name: dict[str, Handler] = {
            "ForumCandidacy.Shared": _shared,
            "ForumCandidacy.Lis3OfferAccepted": self._lis3_offer_accepted,
            "Career.Lis1Started": self._lis1_started,
            "Career.MilestoneCorrected": _corrected,
            "Candidate.ContactDetailsRecorded": lambda c, e, _: update_where(
                c, doctors, "candidate_id", str(e.originator_id), name=e.name
            ),
            "Candidate.Erased": _erased,
        }
        for kind in MILESTONES:
            by_name.setdefault(f"Career.{kind}", _milestone)
        self.handlers = table(by_name)
        self.event_classes = frozenset(self.handlers)

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        handler = self.handlers.get(type(event))
        if handler is not None:
            handler(conn, event, position)

    def _doctor(self, conn: Connection, candidate_id: str, **values: Any) -> None:
        """Update the doctor's row, made first (with their name from the log) if new."""
        if conn.execute(_DOCTOR, {"candidate": candidate_id}).first() is None:
            found = self.contact_details(candidate_id)
            name = found[0] if found is not None else None
            insert_row(
                conn,
                doctors,
                candidate_id=candidate_id,
                name=None if name == ERASED else name,
                on_leave=False,
                left=False,
            )
        if values:
            update_where(conn, doctors, "candidate_id", candidate_id, **values)

    def _lis3_offer_accepted(self, conn: Connection, event: Any, _: int) -> None:
        candidate = conn.execute(
            select(candidacies.c.candidate_id).where(
                candidacies.c.candidacy_id == str(event.originator_id)
            )
        ).scalar_one()
        self._doctor(conn, candidate)
        _link(conn, candidate, event.municipality, "recruited", event.stamp.occurred_at)

    def _lis1_started(self, conn: Connection, event: Any, position: int) -> None:
        self._doctor(
            conn, event.candidate_id, career_id=str(event.originator_id), lis1_unit=event.unit
        )
        _milestone(conn, event, position)


def _shared(conn: Connection, event: Any, _: int) -> None:
    insert_row(
        conn, candidacies, candidacy_id=str(event.originator_id), candidate_id=event.candidate_id
    )


def _link(conn: Connection, candidate: str, municipality: str, status: str, at: Any) -> None:
    """The doctor's link with a municipality, made or changed."""
    key = (links.c.candidate_id == candidate) & (links.c.municipality == municipality)
    if conn.execute(select(links.c.status).where(key)).first() is None:
        insert_row(
            conn, links, candidate_id=candidate, municipality=municipality, status=status, since=at
        )
    else:
        conn.execute(links.update().where(key).values(status=status, since=at, moved_to=None))


def _milestone(conn: Connection, event: Any, position: int) -> None:
    doctor = conn.execute(_DOCTOR_BY_CAREER, {"career": str(event.originator_id)}).one()
    event_name = type(event).__name__
    kind, field = MILESTONES[event_name]
    cid, at = doctor.candidate_id, event.stamp.occurred_at
    owner, also = doctor.municipality, None
    match event_name:
        case "Lis3Started" | "Returned":
            owner = event.municipality
            _link(conn, cid, owner, "employed", at)
            update_where(conn, doctors, "candidate_id", cid, municipality=owner, left=False)
        case "MovedWithinHelgeland":
            owner, also = event.from_municipality, event.to_municipality
            _link(conn, cid, also, "employed", at)
            conn.execute(
                links.update()
                .where((links.c.candidate_id == cid) & (links.c.municipality == owner))
                .values(status="moved", moved_to=also)
            )
            update_where(conn, doctors, "candidate_id", cid, municipality=also)
        case "Left":
            owner = event.municipality
            _link(conn, cid, owner, "left", at)
            update_where(conn, doctors, "candidate_id", cid, left=True, on_leave=False)
        case "LeaveStarted" | "ReturnedFromLeave":
            on_leave = event_name == "LeaveStarted"
            update_where(conn, doctors, "candidate_id", cid, on_leave=on_leave)
    value = getattr(event, field) if field else None
    if event_name == "Left":
        value = f"{event.reason} / {event.destination}"
    insert_row(
        conn,
        milestones,
        position=position,
        candidate_id=cid,
        number=event.originator_version,
        kind=kind,
        happened_on=programme_day(at),
        recorded_at=event.stamp.recorded_at,
        municipality=owner,
        also_municipality=also,
        value=value,
        recertification_due=getattr(event, "recertification_due", None),
        corrected=False,
    )


def _corrected(conn: Connection, event: Any, _: int) -> None:
    doctor = conn.execute(_DOCTOR_BY_CAREER, {"career": str(event.originator_id)}).one()
    key = (milestones.c.candidate_id == doctor.candidate_id) & (
        milestones.c.number == event.milestone
    )
    row = conn.execute(select(milestones).where(key)).one()
    values: dict[str, Any] = {
        "corrected": True,
        "corrected_at": event.stamp.recorded_at,
        "correction_reason": event.reason,
    }
    if event.happened_on is not None:
        values["happened_on"] = event.happened_on
        # The first correction keeps the original: later ones correct the corrected value.
        values["original_happened_on"] = row.original_happened_on or row.happened_on
    if event.value is not None:
        values["value"] = event.value
        values["original_value"] = row.original_value if row.corrected else row.value
    if event.recertification_due is not None:
        values["recertification_due"] = event.recertification_due
    conn.execute(milestones.update().where(key).values(**values))


def _erased(conn: Connection, event: Any, _: int) -> None:
    """The person's name goes; names among their milestones and correction reasons read as
    erased. The facts (kinds, dates, municipalities) stay."""
    cid = str(event.originator_id)
    update_where(conn, doctors, "candidate_id", cid, name=None)
    mine = milestones.c.candidate_id == cid
    conn.execute(
        milestones.update().where(mine & milestones.c.kind.in_(PERSONAL_KINDS)).values(value=ERASED)
    )
    conn.execute(
        milestones.update()
        .where(mine & milestones.c.original_value.is_not(None))
        .values(original_value=ERASED)
    )
    conn.execute(
        milestones.update()
        .where(mine & milestones.c.correction_reason.is_not(None))
        .values(correction_reason=ERASED)
    )
