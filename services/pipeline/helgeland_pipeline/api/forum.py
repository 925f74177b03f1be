"""Steps 5–7 over HTTP: the forum list, invitations, coupled LIS3 offers, and the board.

A municipality token acts and reads for its own municipality only; the forum role reads
everything and may record a candidate's answers. Rules live in the domain; this maps types.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from fastapi import APIRouter, status
from helgeland_contracts.api_v1 import Backdatable, CommandResult
from helgeland_contracts.forum_v1 import (
    Board,
    CouplingStatus,
    CreatedItem,
    InvitationAnswerIn,
    InvitationCreate,
    InvitationOut,
    Lis3OfferCreate,
    OfferOut,
    SharedCandidate,
)

from helgeland_pipeline import policy
from helgeland_pipeline.api.deps import (
    ConsentKeeper,
    MunicipalActor,
    Recruiter,
    ServicesDep,
    answer_once_visible,
    reads,
    wait_until_visible,
)
from helgeland_pipeline.api.personal_data import PersonalData
from helgeland_pipeline.app_base import NotFound, Saved
from helgeland_pipeline.domain.common import Actor, programme_day
from helgeland_pipeline.domain.forum import InvitationAnswer, InvitationKind, Lis3Terms, PayModel
from helgeland_pipeline.readside.forum.queries import Viewer

router = APIRouter(tags=["forum"], dependencies=[reads("forum")])


def _viewer(actor: Actor) -> Viewer:
    return Viewer(policy.acting_for(actor))


def _own(actor: Actor, municipality: str) -> None:
    policy.check_acts_for(
        actor, municipality, "a municipality sees its own invitations and offers only"
    )


def _created(services: ServicesDep, candidate_id: UUID, saved: Saved, item: str) -> CreatedItem:
    wait_until_visible(services, saved, "forum")
    return CreatedItem(candidate_id=candidate_id, item_id=UUID(item), position=saved.position)


@router.post("/rounds/{round_id}/forum-list", status_code=status.HTTP_201_CREATED)
def send_list(
    round_id: UUID, body: Backdatable, actor: Recruiter, services: ServicesDep
) -> CommandResult:
    """Step 5: send the final list's GP-interested, consenting LIS1 doctors to the forum."""
    saved = services.core.app.send_list_to_forum(actor, round_id, body.occurred_at)
    return answer_once_visible(services, saved, "forum", "hospital")


@router.get("/rounds/{round_id}/coupling", dependencies=[reads("hospital")])
async def coupling(
    round_id: UUID, _: Recruiter, services: ServicesDep, read: PersonalData
) -> list[CouplingStatus]:
    """The round's LIS1 doctors: shared with the forum, and where they took a coupled LIS3."""
    if await services.hospital.round(round_id) is None:
        raise NotFound(f"no round with id {round_id}")
    found = await services.hospital.coupling(round_id)
    await read(c.candidate_id for c in found)
    return found


@router.post("/candidates/{candidate_id}/consent/withdraw")
def withdraw_consent(
    candidate_id: UUID, body: Backdatable, actor: ConsentKeeper, services: ServicesDep
) -> CommandResult:
    """The candidate no longer wants to be presented: municipal views drop them at once."""
    saved = services.core.app.withdraw_consent(actor, candidate_id, body.occurred_at)
    return answer_once_visible(services, saved, "forum", "hospital")


@router.get("/forum/candidates")
async def shared_candidates(
    actor: MunicipalActor, services: ServicesDep, read: PersonalData
) -> list[SharedCandidate]:
    """Candidates on forum lists who still consent; nothing of a round before its list is sent."""
    found = await services.forum.shared_candidates(_viewer(actor))
    await read(c.candidate_id for c in found)
    return found


@router.get("/forum/candidates/{candidate_id}")
async def shared_candidate(
    candidate_id: UUID, actor: MunicipalActor, services: ServicesDep, read: PersonalData
) -> SharedCandidate:
    found = await services.forum.shared_candidates(_viewer(actor), candidate_id)
    if not found:
        raise NotFound(f"no shared candidate with id {candidate_id}")
    await read([candidate_id])
    return found[0]


@router.post("/forum/candidates/{candidate_id}/invitations", status_code=status.HTTP_201_CREATED)
def invite(
    candidate_id: UUID, body: InvitationCreate, actor: MunicipalActor, services: ServicesDep
) -> CreatedItem:
    """Step 6: invite to an interview, a tour, or a talk about pay and conditions."""
    municipality = policy.acting_municipality(actor, body.municipality)
    saved, item = services.core.app.invite(
        actor,
        candidate_id,
        municipality,
        InvitationKind(body.kind),
        list(body.proposed_times),
        body.occurred_at,
        body.location,
    )
    return _created(services, candidate_id, saved, item)


@router.post("/forum/candidates/{candidate_id}/invitations/{invitation_id}/answer")
def answer_invitation(
    candidate_id: UUID,
    invitation_id: UUID,
    body: InvitationAnswerIn,
    actor: MunicipalActor,
    services: ServicesDep,
) -> CommandResult:
    """Record the candidate's answer: accepted, declined, or a new time proposed."""
    saved = services.core.app.answer_invitation(
        actor,
        candidate_id,
        str(invitation_id),
        InvitationAnswer(body.answer),
        body.new_time,
        body.occurred_at,
    )
    return answer_once_visible(services, saved, "forum")


@router.post("/forum/candidates/{candidate_id}/invitations/{invitation_id}/held")
def meeting_held(
    candidate_id: UUID,
    invitation_id: UUID,
    body: Backdatable,
    actor: MunicipalActor,
    services: ServicesDep,
) -> CommandResult:
    """The meeting took place."""
    saved = services.core.app.record_meeting_held(
        actor, candidate_id, str(invitation_id), body.occurred_at
    )
    return answer_once_visible(services, saved, "forum")


@router.post("/forum/candidates/{candidate_id}/offers", status_code=status.HTTP_201_CREATED)
def offer_lis3(
    candidate_id: UUID, body: Lis3OfferCreate, actor: MunicipalActor, services: ServicesDep
) -> CreatedItem:
    """Step 7: offer a LIS3/ALIS post coupled to the candidate's LIS1, naming the coupled
    slot it fills (default: the one the candidate's LIS1 holds)."""
    municipality = policy.acting_municipality(actor, body.municipality)
    t = body.terms
    terms = Lis3Terms(
        t.supervisor,
        t.supervision_group,
        PayModel(t.pay_model),
        t.list_length,
        t.out_of_hours_share,
        t.training_share,
    )
    saved, item = services.core.app.offer_lis3(
        actor,
        candidate_id,
        municipality,
        body.start_date,
        terms,
        body.expires_on,
        body.occurred_at,
        body.coupled_slot,
    )
    return _created(services, candidate_id, saved, item)


@router.post("/forum/candidates/{candidate_id}/offers/{offer_id}/{action}")
def answer_offer(
    candidate_id: UUID,
    offer_id: UUID,
    action: Literal["accept", "decline", "withdraw"],
    body: Backdatable,
    actor: MunicipalActor,
    services: ServicesDep,
) -> CommandResult:
    """`accept` (closes every other open offer), `decline`, or `withdraw` (the municipality)."""
    app = services.core.app
    commands = {
        "accept": app.accept_lis3_offer,
        "decline": app.decline_lis3_offer,
        "withdraw": app.withdraw_lis3_offer,
    }
    saved = commands[action](actor, candidate_id, str(offer_id), body.occurred_at)
    # An accepted offer makes the candidate one of the municipality's doctors (`municipal`).
    return answer_once_visible(services, saved, "forum", "municipal")


@router.get("/forum/board")
async def board(actor: MunicipalActor, services: ServicesDep, read: PersonalData) -> Board:
    """Every municipality's moves; terms only for the forum and the offering municipality."""
    today = programme_day(services.core.app.clock())
    found = await services.forum.board(_viewer(actor), today)
    await read(entry.candidate.candidate_id for entry in found.candidates)
    return found


@router.get("/municipalities/{number}/invitations")
async def municipality_invitations(
    number: str, actor: MunicipalActor, services: ServicesDep
) -> list[InvitationOut]:
    _own(actor, number)
    return await services.forum.invitations(_viewer(actor), number)


@router.get("/municipalities/{number}/offers")
async def municipality_offers(
    number: str, actor: MunicipalActor, services: ServicesDep
) -> list[OfferOut]:
    _own(actor, number)
    today = programme_day(services.core.app.clock())
    return await services.forum.offers(_viewer(actor), today, number)


@router.get("/municipalities/{number}/recruited")
async def municipality_recruited(
    number: str, actor: MunicipalActor, services: ServicesDep, read: PersonalData
) -> list[SharedCandidate]:
    """The municipality's own recruited doctors."""
    _own(actor, number)
    found = await services.forum.shared_candidates(Viewer(number), recruited_only=True)
    await read(c.candidate_id for c in found)
    return found
