"""Retention commands: a recruited doctor's milestones, recorded by hospital or municipality."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from helgeland_pipeline.app_base import A, PipelineBase, Saved
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
        offer = candidacy.accepted_and_not_started()
        require(offer is not None, "the doctor dropped out before LIS3 started")
        assert offer is not None
        check_acts_for(actor, offer.municipality, "this doctor works in another municipality")
        career = self._career(candidate_id)
        stamp = self._stamp(actor, occurred_at)
        career.start_lis3(offer.municipality, stamp, candidacy.lis1_ends_on)
        return self._save(career)

    def drop_out(
        self,
        actor: Actor,
        candidate_id: UUID,
        reason: LeavingReason,
        note: str,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """The doctor leaves the path before LIS3 starts: during LIS1 (the career records it)
        and, when a LIS3 offer was accepted, that offer too (the candidacy records it, in the
        same save). The hospital and the forum record it; a municipality for its own offer."""
        self._get(candidate_id, Candidate, "candidate")
        career = self._maybe(career_id(candidate_id), Career)
        candidacy = self._maybe(candidacy_id(candidate_id), ForumCandidacy)
        offer = candidacy.accepted_and_not_started() if candidacy is not None else None
        if offer is not None:
            check_acts_for(actor, offer.municipality, "the accepted offer is another's")
        else:
            check_not_municipal(actor, "a municipality records a dropout from its own offer")
        require(
            career is not None or offer is not None,
            "nothing to drop out of: LIS1 has not started and no LIS3 offer is accepted",
        )
        stamp = self._stamp(actor, occurred_at)
        if career is not None:
            career.drop_out(reason, note, stamp)
        if candidacy is not None and offer is not None:
            # The note is kept once: on the career when there is one.
            candidacy.drop_out_before_lis3(reason, "" if career else note, stamp)
            return self._save(career or candidacy, candidacy if career else None)
        assert career is not None
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

    def _maybe(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        return self._get(aggregate_id, kind, "") if self._exists(aggregate_id) else None

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))


def lis1_part_started(part: Lis1Part) -> Milestone:
    return lambda career, stamp: career.start_lis1_part(part, stamp)


def lis1_part_completed(part: Lis1Part) -> Milestone:
    return lambda career, stamp: career.complete_lis1_part(part, stamp)


def left(reason: LeavingReason, note: str, destination: Destination) -> Milestone:
    return lambda career, stamp: career.leave(reason, note, destination, stamp)
