"""Retention milestones over HTTP: one endpoint, the milestone's kind chooses the command."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, Depends
from helgeland_contracts.api_v1 import CommandResult
from helgeland_contracts.career_v1 import (
    DroppedOut,
    InstitutionServiceCompleted,
    LeaveStarted,
    Left,
    Lis1PartCompleted,
    Lis1PartStarted,
    Lis1Started,
    Lis3Started,
    MilestoneIn,
    MovedWithinHelgeland,
    Returned,
    ReturnedFromLeave,
    SpecialistApproved,
    SupervisionGroupJoined,
    SupervisorAssigned,
)

from helgeland_pipeline.api.deps import ServicesDep, answer_once_visible, reads, require_role
from helgeland_pipeline.app_base import Saved
from helgeland_pipeline.app_career import Milestone, left, lis1_part_completed, lis1_part_started
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
    return answer_once_visible(services, saved, "evaluation")


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


def _milestone(body: MilestoneIn) -> Milestone:
    match body:
        case Lis1PartStarted():
            return lis1_part_started(Lis1Part(body.part))
        case Lis1PartCompleted():
            return lis1_part_completed(Lis1Part(body.part))
        case SupervisorAssigned():
            return lambda c, s: c.assign_supervisor(body.supervisor, s)
        case SupervisionGroupJoined():
            return lambda c, s: c.join_supervision_group(body.group, s)
        case InstitutionServiceCompleted():
            return Career.complete_institution_service
        case SpecialistApproved():
            return Career.approve_specialist
        case LeaveStarted():
            return Career.start_leave
        case ReturnedFromLeave():
            return Career.return_from_leave
        case MovedWithinHelgeland():
            return lambda c, s: c.move_within_helgeland(body.to_municipality, s)
        case Left():
            return left(LeavingReason(body.reason), body.note, Destination(body.destination))
        case Returned():
            return lambda c, s: c.return_to(body.municipality, s)
    raise AssertionError(body)  # lis1_started, lis3_started, dropped_out: handled above
