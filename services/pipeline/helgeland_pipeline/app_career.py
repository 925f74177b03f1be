"""Retention commands: a recruited doctor's milestones, recorded by hospital or municipality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.candidates import Candidate, OfferState
from helgeland_pipeline.domain.career import (
    Career,
    Destination,
    LeavingReason,
    Lis1Part,
    career_id,
)
from helgeland_pipeline.domain.common import Actor, Role, Stamp, require
from helgeland_pipeline.domain.forum import ForumCandidacy, NotYours, candidacy_id
from helgeland_pipeline.policy import check_acts_for, check_not_municipal

Milestone = Callable[[Career, Stamp], None]


@dataclass(frozen=True)
class Correction:
    """A milestone's new date and/or value, and why."""

    happened_on: date | None
    value: str | None
    reason: str


class CareerCommands(PipelineBase):
    def start_lis1(
        self, actor: Actor, candidate_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """LIS1 starts (its hospital part) for a candidate who accepted the LIS1 offer."""
        if actor.role not in {Role.HOSPITAL_RECRUITER, Role.ADMIN}:
            msg = "the hospital records the start of LIS1"
            raise NotYours(msg)
        candidate = self._get(candidate_id, Candidate, "candidate")
        require(candidate.offer_state == OfferState.ACCEPTED, "LIS1 starts after an accepted offer")
        require(not self._exists(career_id(candidate_id)), "LIS1 has already started")
        assert candidate.offer_unit is not None
        career = Career(str(candidate_id), candidate.offer_unit, self._stamp(actor, occurred_at))
        return self._save(career)

    def start_lis3(
        self, actor: Actor, candidate_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """LIS3 starts in the municipality whose coupled offer the candidate accepted."""
        candidacy = self._get(
            candidacy_id(candidate_id), ForumCandidacy, "shared candidate", asked=candidate_id
        )
        require(candidacy.accepted_offer is not None, "no LIS3 start without an accepted offer")
        municipality = candidacy.offers[str(candidacy.accepted_offer)].municipality
        check_acts_for(actor, municipality, "this doctor works in another municipality")
        career = self._career(candidate_id)
        career.start_lis3(municipality, self._stamp(actor, occurred_at))
        return self._save(career)

    def record_milestone(
        self,
        actor: Actor,
        candidate_id: UUID,
        milestone: Milestone,
        occurred_at: datetime | None = None,
        in_municipality: str | None = None,
    ) -> Saved:
        """Any other milestone, acted by the hospital, the forum or the doctor's municipality
        (`in_municipality` when it is not the career's current one, as for a return)."""
        career = self._career(candidate_id)
        municipality = in_municipality or career.municipality
        if municipality is None:
            check_not_municipal(actor, "a municipality records milestones from LIS3 on")
        else:
            check_acts_for(actor, municipality, "this doctor works in another municipality")
        milestone(career, self._stamp(actor, occurred_at))
        return self._save(career)

    def correct_milestone(
        self,
        actor: Actor,
        candidate_id: UUID,
        milestone: int,
        correction: Correction,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Correct a milestone's date or value, with the reason: a correcting event, never an
        edit. Corrected by whoever may record it: the municipality that recorded it (the
        hospital's LIS1 milestones by the hospital), or the forum."""
        career = self._career(candidate_id)
        owner = career.milestone(milestone).municipality
        if owner is None:
            check_not_municipal(actor, "the hospital corrects its LIS1 milestones")
        else:
            check_acts_for(actor, owner, "another municipality recorded this milestone")
        career.correct_milestone(
            milestone,
            correction.happened_on,
            correction.value,
            correction.reason,
            self._stamp(actor, occurred_at),
        )
        return self._save(career)

    def _career(self, candidate_id: UUID) -> Career:
        return self._get(
            career_id(candidate_id), Career, "career (LIS1 not started)", asked=candidate_id
        )

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))


def lis1_part_started(part: Lis1Part) -> Milestone:
    return lambda career, stamp: career.start_lis1_part(part, stamp)


def lis1_part_completed(part: Lis1Part) -> Milestone:
    return lambda career, stamp: career.complete_lis1_part(part, stamp)


def left(reason: LeavingReason, note: str, destination: Destination) -> Milestone:
    return lambda career, stamp: career.leave(reason, note, destination, stamp)
