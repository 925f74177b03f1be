"""Candidates: register and move through steps 1–4; list, show and trace their timeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from helgeland_contracts.api_v1 import (
    Answer,
    ApplicationSubmit,
    CandidateOut,
    CandidatePage,
    CandidateRegister,
    CareerPreference,
    CommandResult,
    ContactDetails,
    InterviewRecord,
    OfferMake,
    Stage,
    StudentContact,
    TimelineEntry,
    Withdrawal,
)

from helgeland_pipeline.api.deps import (
    Recruiter,
    ServicesDep,
    StudentKeeper,
    answer_once_visible,
    reads,
)
from helgeland_pipeline.api.personal_data import PersonalData
from helgeland_pipeline.application import NotFound
from helgeland_pipeline.domain.candidates import CareerPreference as Preference
from helgeland_pipeline.domain.candidates import ContactKind, LocalConnection

router = APIRouter(prefix="/candidates", tags=["candidates"], dependencies=[reads("hospital")])


@router.post("", status_code=status.HTTP_201_CREATED)
def register(body: CandidateRegister, actor: Recruiter, services: ServicesDep) -> CommandResult:
    """Register a candidate with name and contact details."""
    app = services.core.app
    saved = app.register_candidate(actor, body.name, body.email, body.phone, body.occurred_at)
    return answer_once_visible(services, saved, "hospital")


@router.put("/{candidate_id}/contact-details")
def contact_details(
    candidate_id: UUID, body: ContactDetails, actor: StudentKeeper, services: ServicesDep
) -> CommandResult:
    """Record or correct the candidate's name and contact details: the hospital for anyone; a
    municipality for a student it met; the forum for a student a municipality met."""
    app = services.core.app
    saved = app.record_contact_details(actor, candidate_id, body.name, body.email, body.phone)
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/contacts")
def student_contact(
    candidate_id: UUID, body: StudentContact, actor: StudentKeeper, services: ServicesDep
) -> CommandResult:
    """Step 1: record an early contact (placement, summer job, student project, campus visit,
    other), naming the municipality; a municipality records its own."""
    saved = services.core.app.record_student_contact(
        actor, candidate_id, ContactKind(body.kind), body.municipality, body.occurred_at
    )
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/application")
def submit_application(
    candidate_id: UUID, body: ApplicationSubmit, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """Step 2: the LIS1 application with career preference and local connection."""
    saved = services.core.app.submit_lis1_application(
        actor,
        candidate_id,
        body.round_id,
        Preference(body.preference),
        [LocalConnection(k) for k in body.local_connection],
        body.consent_to_share,
        body.occurred_at,
        body.consent_text_version,
    )
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/interviews")
def record_interview(
    candidate_id: UUID, body: InterviewRecord, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """Step 3: the interview, scoring interest in primary care 1–5."""
    saved = services.core.app.record_lis1_interview(
        actor,
        candidate_id,
        body.interviewer,
        body.primary_care_interest,
        body.notes,
        body.occurred_at,
    )
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/offer")
def offer(
    candidate_id: UUID, body: OfferMake, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """Step 4: offer a LIS1 position, coupled to a LIS3 post or not."""
    saved = services.core.app.offer_lis1(
        actor, candidate_id, body.unit, body.coupled, body.answer_by, body.occurred_at
    )
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/offer/accept")
def accept(
    candidate_id: UUID, body: Answer, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """The candidate accepted the LIS1 offer."""
    saved = services.core.app.accept_lis1_offer(actor, candidate_id, body.occurred_at)
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/offer/decline")
def decline(
    candidate_id: UUID, body: Answer, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """The candidate declined the LIS1 offer."""
    saved = services.core.app.decline_lis1_offer(actor, candidate_id, body.occurred_at)
    return answer_once_visible(services, saved, "hospital")


@router.post("/{candidate_id}/withdraw")
def withdraw(
    candidate_id: UUID, body: Withdrawal, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """The candidate withdrew from the process."""
    app = services.core.app
    saved = app.withdraw_application(actor, candidate_id, body.reason, body.occurred_at)
    return answer_once_visible(services, saved, "hospital")


@router.get("", responses={400: {"description": "The cursor is not one this API gave out"}})
async def list_candidates(
    _: Recruiter,
    services: ServicesDep,
    read: PersonalData,
    round_id: UUID | None = None,
    stage: Stage | None = None,
    preference: CareerPreference | None = None,
    local_connection: bool | None = None,
    name: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> CandidatePage:
    """Candidates in registration order, filtered, a page at a time."""
    page = await services.hospital.candidates(
        round_id=round_id,
        stage=stage,
        preference=preference,
        local_connection=local_connection,
        name=name,
        limit=limit,
        cursor=cursor,
    )
    await read(c.candidate_id for c in page.items)
    return page


async def _candidate(candidate_id: UUID, services: ServicesDep) -> CandidateOut:
    found = await services.hospital.candidate(candidate_id)
    if found is None:
        raise NotFound(f"no candidate with id {candidate_id}")
    return found


@router.get("/{candidate_id}")
async def get_candidate(
    candidate_id: UUID, _: Recruiter, services: ServicesDep, read: PersonalData
) -> CandidateOut:
    found = await _candidate(candidate_id, services)
    await read([candidate_id])
    return found


@router.get("/{candidate_id}/timeline")
async def candidate_timeline(
    candidate_id: UUID, _: Recruiter, services: ServicesDep, read: PersonalData
) -> list[TimelineEntry]:
    """Every event of the candidate's journey: what, when (world and recorded), by whom."""
    await _candidate(candidate_id, services)
    entries = await services.hospital.timeline(candidate_id)
    await read([candidate_id])
    return entries
