"""Retention: a recruited doctor's milestones, from LIS1 start to specialist and beyond.

A `Career` follows one candidate after they accept LIS1. Milestones may be back-dated (both
times are kept) but must come in order, and nothing follows leaving except a return. A doctor
who leaves before LIS3 starts (during LIS1, or with a LIS3 offer accepted) drops out instead:
nothing follows that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import Stamp, require, require_valid

RECERTIFICATION_YEARS = 5
_NAMESPACE = uuid.UUID("2b7e8f0e-4f7a-4a39-9d0c-6a51c1d0e8b3")


class Lis1Part(StrEnum):
    HOSPITAL = "hospital"  # 12 months
    MUNICIPAL = "municipal"  # 6 months


class LeavingReason(StrEnum):
    WORKLOAD = "workload"
    FAMILY = "family"
    SUPERVISION = "supervision"
    PAY_AND_TERMS = "pay_and_terms"
    OTHER_SPECIALTY = "other_specialty"
    RETIREMENT = "retirement"
    OTHER = "other"


class DropoutPhase(StrEnum):
    """When a doctor left the path before LIS3 started."""

    LIS1 = "lis1"  # during LIS1
    BEFORE_LIS3 = "before_lis3"  # LIS1 done, or a LIS3 offer accepted, but LIS3 not started


class Destination(StrEnum):
    HELGELAND_MUNICIPALITY = "helgeland_municipality"
    ELSEWHERE_IN_NORWAY = "elsewhere_in_norway"
    HOSPITAL = "hospital"
    ABROAD = "abroad"


def career_id(candidate_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, str(candidate_id))


def recertification_due(approved_on: date) -> date:
    """Specialists in general medicine re-certify every five years: the next is due five years
    after the last approval or re-certification (29 February: the last day of February)."""
    year = approved_on.year + RECERTIFICATION_YEARS
    day = 28 if (approved_on.month, approved_on.day) == (2, 29) else approved_on.day
    return date(year, approved_on.month, day)


# A correction may give a milestone a new value only where the milestone has one.
CORRECTABLE_VALUES = {"SupervisorAssigned": "supervisor", "SupervisionGroupJoined": "group"}
CERTIFYING = frozenset({"SpecialistApproved", "Recertified"})
CORRECTION = "MilestoneCorrected"


@dataclass(frozen=True)
class Noted:
    """A milestone as a correction names it: its kind, and the municipality that recorded it
    (None before LIS3: the hospital's)."""

    kind: str
    municipality: str | None


class Career(Aggregate):
    """One doctor's milestones after accepting LIS1."""

    class Event(Aggregate.Event):
        def apply(self, aggregate: Any) -> None:
            """After each event's own body: remember the milestone, so it can be corrected."""
            aggregate.note_milestone(self)

    @staticmethod
    def create_id(candidate_id: str, **_: object) -> uuid.UUID:
        return career_id(uuid.UUID(candidate_id))

    @event("Lis1Started")
    def __init__(self, candidate_id: str, unit: str, stamp: Stamp) -> None:
        self.candidate_id = candidate_id
        self.last_milestone: datetime = stamp.occurred_at
        self.lis1_parts_started: set[str] = {Lis1Part.HOSPITAL.value}
        self.lis1_parts_completed: set[str] = set()
        self.municipality: str | None = None
        self.on_leave = False
        self.left = False
        self.dropped_out = False
        self.specialist_on: date | None = None
        self.certified_on: date | None = None  # the last approval or re-certification
        self.certified_by = 0  # the number of the milestone that certified last
        self.education_plan = False
        self.milestones: dict[int, Noted] = {}

    def note_milestone(self, event: Any) -> None:
        """Each milestone's number is its version in the career (the event's, which follows
        the aggregate's own; called while the event is applied)."""
        kind = type(event).__name__
        if kind == CORRECTION:
            return
        owner = getattr(event, "from_municipality", None) or self.municipality
        self.milestones[event.originator_version] = Noted(kind, owner)
        if kind in CERTIFYING:
            self.certified_by = event.originator_version

    def _check_order(self, stamp: Stamp) -> None:
        require(
            stamp.occurred_at >= self.last_milestone,
            f"milestones come in order: this is before the last one "
            f"({self.last_milestone.date().isoformat()})",
        )

    def _check_active(self, stamp: Stamp) -> None:
        require(not self.dropped_out, "nothing follows dropping out")
        require(not self.left, "nothing follows leaving except a return")
        self._check_order(stamp)

    def start_lis1_part(self, part: Lis1Part, stamp: Stamp) -> None:
        """The municipal six months of LIS1 (the hospital part starts the career)."""
        self._check_active(stamp)
        require(part not in self.lis1_parts_started, f"the {part} part has already started")
        self._lis1_part_started(part=part, stamp=stamp)

    @event("Lis1PartStarted")
    def _lis1_part_started(self, part: str, stamp: Stamp) -> None:
        self.lis1_parts_started.add(part)
        self.last_milestone = stamp.occurred_at

    def complete_lis1_part(self, part: Lis1Part, stamp: Stamp) -> None:
        self._check_active(stamp)
        require(part in self.lis1_parts_started, f"the {part} part has not started")
        require(part not in self.lis1_parts_completed, f"the {part} part is already completed")
        self._lis1_part_completed(part=part, stamp=stamp)

    @event("Lis1PartCompleted")
    def _lis1_part_completed(self, part: str, stamp: Stamp) -> None:
        self.lis1_parts_completed.add(part)
        self.last_milestone = stamp.occurred_at

    def start_lis3(self, municipality: str, stamp: Stamp, lis1_ends_on: date | None = None) -> None:
        """LIS3 starts in the municipality whose coupled offer the candidate accepted, after
        LIS1 ends (`lis1_ends_on`, when the round knows it)."""
        self._check_active(stamp)
        require(self.municipality is None, "LIS3 has already started")
        if lis1_ends_on is not None:
            require_valid(
                stamp.day > lis1_ends_on,
                f"LIS3 starts after LIS1 ends on {lis1_ends_on.isoformat()}, "
                f"not on {stamp.day.isoformat()}",
            )
        self._lis3_started(municipality=municipality, stamp=stamp)

    @event("Lis3Started")
    def _lis3_started(self, municipality: str, stamp: Stamp) -> None:
        self.municipality = municipality
        self.last_milestone = stamp.occurred_at

    def assign_supervisor(self, supervisor: str, stamp: Stamp) -> None:
        """A supervisor assigned, or changed."""
        self._check_in_lis3(stamp)
        require_valid(bool(supervisor.strip()), "a supervisor is named")
        self._supervisor_assigned(supervisor=supervisor.strip(), stamp=stamp)

    @event("SupervisorAssigned")
    def _supervisor_assigned(self, supervisor: str, stamp: Stamp) -> None:
        self.last_milestone = stamp.occurred_at

    def join_supervision_group(self, group: str, stamp: Stamp) -> None:
        self._check_in_lis3(stamp)
        require_valid(bool(group.strip()), "a supervision group is named")
        self._supervision_group_joined(group=group.strip(), stamp=stamp)

    @event("SupervisionGroupJoined")
    def _supervision_group_joined(self, group: str, stamp: Stamp) -> None:
        self.last_milestone = stamp.occurred_at

    def complete_institution_service(self, stamp: Stamp) -> None:
        """The hospital service the specialty requires."""
        self._check_in_lis3(stamp)
        self._institution_service_completed(stamp=stamp)

    @event("InstitutionServiceCompleted")
    def _institution_service_completed(self, stamp: Stamp) -> None:
        self.last_milestone = stamp.occurred_at

    def approve_specialist(self, stamp: Stamp) -> None:
        """Approved as specialist in general medicine; re-certification due in five years."""
        self._check_in_lis3(stamp)
        require(self.specialist_on is None, "already approved as specialist")
        approved_on = stamp.day
        self._specialist_approved(
            approved_on=approved_on,
            recertification_due=recertification_due(approved_on),
            stamp=stamp,
        )

    @event("SpecialistApproved")
    def _specialist_approved(
        self, approved_on: date, recertification_due: date, stamp: Stamp
    ) -> None:
        self.specialist_on = approved_on
        self.certified_on = approved_on
        self.last_milestone = stamp.occurred_at

    def start_leave(self, stamp: Stamp) -> None:
        self._check_in_lis3(stamp)
        require(not self.on_leave, "already on leave")
        self._leave_started(stamp=stamp)

    @event("LeaveStarted")
    def _leave_started(self, stamp: Stamp) -> None:
        self.on_leave = True
        self.last_milestone = stamp.occurred_at

    def return_from_leave(self, stamp: Stamp) -> None:
        self._check_active(stamp)
        require(self.on_leave, "not on leave")
        self._returned_from_leave(stamp=stamp)

    @event("ReturnedFromLeave")
    def _returned_from_leave(self, stamp: Stamp) -> None:
        self.on_leave = False
        self.last_milestone = stamp.occurred_at

    def move_within_helgeland(self, to_municipality: str, stamp: Stamp) -> None:
        """Moved to another Helgeland municipality: still retained in the region."""
        self._check_in_lis3(stamp)
        require_valid(to_municipality != self.municipality, "that is the same municipality")
        assert self.municipality is not None
        self._moved_within_helgeland(
            from_municipality=self.municipality, to_municipality=to_municipality, stamp=stamp
        )

    @event("MovedWithinHelgeland")
    def _moved_within_helgeland(
        self, from_municipality: str, to_municipality: str, stamp: Stamp
    ) -> None:
        self.municipality = to_municipality
        self.last_milestone = stamp.occurred_at

    def leave(
        self, reason: LeavingReason, note: str, destination: Destination, stamp: Stamp
    ) -> None:
        """Left the municipality: when, why (coded, plus free text), and where to."""
        self._check_in_lis3(stamp)
        require_valid(len(note) <= 1000, "a note is at most 1000 characters")
        assert self.municipality is not None
        self._left(
            municipality=self.municipality,
            reason=reason,
            note=note,
            destination=destination,
            stamp=stamp,
        )

    @event("Left")
    def _left(
        self, municipality: str, reason: str, note: str, destination: str, stamp: Stamp
    ) -> None:
        self.left = True
        self.on_leave = False
        self.last_milestone = stamp.occurred_at

    def drop_out(self, reason: LeavingReason, note: str, stamp: Stamp) -> DropoutPhase:
        """Left the path before LIS3 started: during LIS1, or after it (a LIS3 offer accepted
        but not started). From LIS3 on, a doctor leaves (`leave`) instead."""
        self._check_active(stamp)
        require(self.municipality is None, "LIS3 has started: record that the doctor left")
        require_valid(len(note) <= 1000, "a note is at most 1000 characters")
        done = self.lis1_parts_completed >= {Lis1Part.HOSPITAL.value, Lis1Part.MUNICIPAL.value}
        phase = DropoutPhase.BEFORE_LIS3 if done else DropoutPhase.LIS1
        self._dropped_out(phase=phase, reason=reason, note=note, stamp=stamp)
        return phase

    @event("DroppedOut")
    def _dropped_out(self, phase: str, reason: str, note: str, stamp: Stamp) -> None:
        self.dropped_out = True
        self.last_milestone = stamp.occurred_at

    def return_to(self, municipality: str, stamp: Stamp) -> None:
        """Came back to a Helgeland municipality after leaving."""
        require(
            not self.dropped_out, "a doctor who dropped out before LIS3 has no post to return to"
        )
        self._check_order(stamp)
        require(self.left, "only a doctor who left can return")
        self._returned(municipality=municipality, stamp=stamp)

    @event("Returned")
    def _returned(self, municipality: str, stamp: Stamp) -> None:
        self.left = False
        self.municipality = municipality
        self.last_milestone = stamp.occurred_at

    def make_education_plan(self, stamp: Stamp) -> None:
        """The individual education plan (the municipality's duty since 2019) is made; a new
        municipality may make its own."""
        self._check_in_lis3(stamp)
        self._education_plan_made(stamp=stamp)

    @event("EducationPlanMade")
    def _education_plan_made(self, stamp: Stamp) -> None:
        self.education_plan = True
        self.last_milestone = stamp.occurred_at

    def review_education_plan(self, stamp: Stamp) -> None:
        self._check_in_lis3(stamp)
        require(self.education_plan, "an education plan is reviewed after it is made")
        self._education_plan_reviewed(stamp=stamp)

    @event("EducationPlanReviewed")
    def _education_plan_reviewed(self, stamp: Stamp) -> None:
        self.last_milestone = stamp.occurred_at

    def recertify(self, stamp: Stamp) -> None:
        """Re-certified as specialist: the next re-certification is due five years on."""
        self._check_in_lis3(stamp)
        require(self.certified_on is not None, "re-certification follows specialist approval")
        assert self.certified_on is not None
        on = stamp.day
        require(
            on > self.certified_on,
            f"a re-certification comes after the last one ({self.certified_on.isoformat()})",
        )
        self._recertified(
            recertified_on=on, recertification_due=recertification_due(on), stamp=stamp
        )

    @event("Recertified")
    def _recertified(self, recertified_on: date, recertification_due: date, stamp: Stamp) -> None:
        self.certified_on = recertified_on
        self.last_milestone = stamp.occurred_at

    def correct_milestone(
        self,
        milestone: int,
        happened_on: date | None,
        value: str | None,
        reason: str,
        stamp: Stamp,
    ) -> None:
        """Correct a recorded milestone's date or value, with the reason: a new event that
        names the milestone by its number, never an edit of the old one."""
        noted = self.milestone(milestone)
        require_valid(
            happened_on is not None or value is not None, "a correction gives a date or a value"
        )
        if value is not None:
            require_valid(
                noted.kind in CORRECTABLE_VALUES,
                f"milestone {milestone} ({noted.kind}) has no value to correct, only its date",
            )
            value = value.strip()
            require_valid(bool(value), "the corrected value is not blank")
        require_valid(bool(reason.strip()), "a correction gives its reason")
        require_valid(len(reason) <= 1000, "a reason is at most 1000 characters")
        require_valid(
            happened_on is None or happened_on <= stamp.recorded_day,
            f"a milestone cannot happen after today ({happened_on} is after "
            f"{stamp.recorded_day.isoformat()})",
        )
        due = None
        if happened_on is not None and milestone == self.certified_by:
            due = recertification_due(happened_on)
        self._milestone_corrected(
            milestone=milestone,
            kind=noted.kind,
            happened_on=happened_on,
            value=value,
            reason=reason.strip(),
            recertification_due=due,
            stamp=stamp,
        )

    def milestone(self, number: int) -> Noted:
        """The milestone of that number (refused when there is none, or it is a correction)."""
        noted = self.milestones.get(number)
        require_valid(noted is not None, f"this career has no milestone {number}")
        assert noted is not None
        return noted

    @event(CORRECTION)
    def _milestone_corrected(
        self,
        milestone: int,
        kind: str,
        happened_on: date | None,
        value: str | None,
        reason: str,
        recertification_due: date | None,
        stamp: Stamp,
    ) -> None:
        if happened_on is not None and kind == "SpecialistApproved":
            self.specialist_on = happened_on
        if recertification_due is not None:  # the last certification was re-dated
            self.certified_on = happened_on

    def _check_in_lis3(self, stamp: Stamp) -> None:
        self._check_active(stamp)
        require(self.municipality is not None, "LIS3 has not started")
