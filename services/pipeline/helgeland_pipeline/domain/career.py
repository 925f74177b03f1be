"""Retention: a recruited doctor's milestones, from LIS1 start to specialist and beyond.

A `Career` follows one candidate after they accept LIS1. Milestones may be back-dated (both
times are kept) but must come in order, and nothing follows leaving except a return. A doctor
who leaves before LIS3 starts (during LIS1, or with a LIS3 offer accepted) drops out instead:
nothing follows that.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

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
    """Specialists in general medicine re-certify every five years."""
    year = approved_on.year + RECERTIFICATION_YEARS
    day = 28 if (approved_on.month, approved_on.day) == (2, 29) else approved_on.day
    return date(year, approved_on.month, day)


class Career(Aggregate):
    """One doctor's milestones after accepting LIS1."""

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

    def _check_in_lis3(self, stamp: Stamp) -> None:
        self._check_active(stamp)
        require(self.municipality is not None, "LIS3 has not started")
