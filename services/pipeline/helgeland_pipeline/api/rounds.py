"""LIS1 rounds: open, advance, finalise the list; read them, their ranked list and funnel."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status
from helgeland_contracts.api_v1 import (
    Backdatable,
    CommandResult,
    Funnel,
    RankedCandidate,
    RoundAdvance,
    RoundCreate,
    RoundOut,
)

from helgeland_pipeline.api.deps import Recruiter, ServicesDep, answer_once_visible, reads
from helgeland_pipeline.api.personal_data import PersonalData
from helgeland_pipeline.application import NotFound
from helgeland_pipeline.domain.rounds import RoundStatus

router = APIRouter(prefix="/rounds", tags=["rounds"], dependencies=[reads("hospital")])


@router.post("", status_code=status.HTTP_201_CREATED)
def open_round(body: RoundCreate, actor: Recruiter, services: ServicesDep) -> CommandResult:
    """Open a LIS1 round (at most half of its positions coupled to a LIS3 post)."""
    saved = services.core.app.open_round(
        actor,
        body.name,
        body.positions,
        body.coupled_positions,
        body.application_deadline,
        body.occurred_at,
        body.lis1_starts_on,
    )
    return answer_once_visible(services, saved, "hospital")


@router.post("/{round_id}/advance")
def advance_round(
    round_id: UUID, body: RoundAdvance, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """Move the round forward: open → interviewing → offering."""
    app = services.core.app
    saved = app.advance_round(actor, round_id, RoundStatus(body.status), body.occurred_at)
    return answer_once_visible(services, saved, "hospital")


@router.post("/{round_id}/finalise")
def finalise_list(
    round_id: UUID, body: Backdatable, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """Make the list final: every offer answered or expired."""
    saved = services.core.app.finalise_round_list(actor, round_id, body.occurred_at)
    return answer_once_visible(services, saved, "hospital")


@router.get("")
async def list_rounds(_: Recruiter, services: ServicesDep) -> list[RoundOut]:
    return await services.hospital.rounds()


@router.get("/{round_id}")
async def get_round(round_id: UUID, _: Recruiter, services: ServicesDep) -> RoundOut:
    found = await services.hospital.round(round_id)
    if found is None:
        raise NotFound(f"no round with id {round_id}")
    return found


@router.get("/{round_id}/ranked")
async def ranked_list(
    round_id: UUID, _: Recruiter, services: ServicesDep, read: PersonalData
) -> list[RankedCandidate]:
    """The round's applicants, local connection first, then interest in primary care."""
    await get_round(round_id, _, services)
    ranked = await services.hospital.ranked(round_id)
    await read(r.candidate.candidate_id for r in ranked)
    return ranked


@router.get("/{round_id}/funnel")
async def funnel(round_id: UUID, _: Recruiter, services: ServicesDep) -> Funnel:
    """How many of the round's applicants reached each step."""
    await get_round(round_id, _, services)
    return await services.hospital.funnel(round_id)
