"""Retention milestones over HTTP: one endpoint, the milestone's kind chooses the command."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Path
from helgeland_contracts.api_v1 import CommandResult
from helgeland_contracts.career_v1 import (
    DroppedOut,
    EducationPlanMade,
    EducationPlanReviewed,
    InstitutionServiceCompleted,
    LeaveStarted,
    Left,
    Lis1PartCompleted,
    Lis1PartStarted,
    Lis1Started,
    Lis3Started,
    MilestoneCorrection,
    MilestoneIn,
    MovedWithinHelgeland,
    Recertified,
    Returned,
    ReturnedFromLeave,
    SpecialistApproved,
    SupervisionGroupJoined,
    SupervisorAssigned,
)

from helgeland_pipeline.api.deps import ServicesDep, answer_once_visible, reads, require_role
from helgeland_pipeline.app_base import Saved
from helgeland_pipeline.app_career import (
    Correction,
    Milestone,
    left,
    lis1_part_completed,
    lis1_part_started,
)
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.career import Career, Destination, LeavingReason, Lis1Part
from helgeland_pipeline.domain.common import Actor, Role

router = APIRouter(tags=["retention"], dependencies=[reads("evaluation")])

CareerActor = Annotated[
    Actor, Depends(require_role(Role.HOSPITAL_RECRUITER, Role.MUNICIPALITY, Role.FORUM))
]


@router.post("/candidates/{candidate_id}/milestones")
def record_milestone(
    candidate_id: UUID,
    body: Annotated[MilestoneIn, Body()],
    actor: CareerActor,
    services: ServicesDep,
) -> CommandResult:
    """Record a retention milestone (back-dating allowed); they must come in order."""
    saved = _dispatch(services.core.app, actor, candidate_id, body)
    return answer_once_visible(services, saved, "evaluation", "municipal")


@router.post("/candidates/{candidate_id}/milestones/{number}/correction")
def correct_milestone(
    candidate_id: UUID,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Annotated[MilestoneCorrection, Body()],
    actor: CareerActor,
    services: ServicesDep,
) -> CommandResult:
    """Correct milestone `number` (its new date and/or value, with the reason): a correcting
    event beside the original, never an edit. Readers see the corrected value and the original."""
    correction = Correction(body.happened_on, body.value, body.reason)
    saved = services.core.app.correct_milestone(
        actor, candidate_id, number, correction, body.occurred_at
    )
    return answer_once_visible(services, saved, "evaluation", "municipal")


def _dispatch(app: PipelineApplication, actor: Actor, cid: UUID, body: MilestoneIn) -> Saved:
    if isinstance(body, Lis1Started):
        return app.start_lis1(actor, cid, body.occurred_at)
    if isinstance(body, Lis3Started):
        return app.start_lis3(actor, cid, body.occurred_at)
    if isinstance(body, DroppedOut):
        return app.drop_out(actor, cid, LeavingReason(body.reason), body.note, body.occurred_at)
    if isinstance(body, MovedWithinHelgeland):
        app.check_municipality(body.to_municipality)
    if isinstance(body, Returned):
        app.check_municipality(body.municipality)
        # Recorded by the municipality the doctor comes back to, not the one they left.
        return app.record_milestone(
            actor, cid, _milestone(body), body.occurred_at, in_municipality=body.municipality
        )
    return app.record_milestone(actor, cid, _milestone(body), body.occurred_at)


# Milestones that carry nothing but their time.
_PLAIN: dict[type[object], Milestone] = {
    InstitutionServiceCompleted: Career.complete_institution_service,
    SpecialistApproved: Career.approve_specialist,
    LeaveStarted: Career.start_leave,
    ReturnedFromLeave: Career.return_from_leave,
    EducationPlanMade: Career.make_education_plan,
    EducationPlanReviewed: Career.review_education_plan,
    Recertified: Career.recertify,
}


def _milestone(body: MilestoneIn) -> Milestone:
    plain = _PLAIN.get(type(body))
    if plain is not None:
        return plain
    match body:
        case Lis1PartStarted():
            return lis1_part_started(Lis1Part(body.part))
        case Lis1PartCompleted():
            return lis1_part_completed(Lis1Part(body.part))
        case SupervisorAssigned():
            return lambda c, s: c.assign_supervisor(body.supervisor, s)
        case SupervisionGroupJoined():
            return lambda c, s: c.join_supervision_group(body.group, s)
        case MovedWithinHelgeland():
            return lambda c, s: c.move_within_helgeland(body.to_municipality, s)
        case Left():
            return left(LeavingReason(body.reason), body.note, Destination(body.destination))
        case Returned():
            return lambda c, s: c.return_to(body.municipality, s)
    raise AssertionError(body)  # lis1_started, lis3_started, dropped_out: handled above
