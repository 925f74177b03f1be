"""The municipalities and the forum: the forum list, invitations, coupled LIS3 offers, the board.

A chief physician's pages are those of their own municipality; the forum (and administrators)
may open any municipality's, acting on its behalf, as the API allows them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from helgeland_contracts.api_v1 import Backdatable
from helgeland_contracts.career_v1 import DoctorOut, MilestoneCorrection, MilestoneIn
from helgeland_contracts.forum_v1 import InvitationAnswerIn, InvitationCreate, Lis3OfferCreate
from pydantic import TypeAdapter

from helgeland_pipeline import policy
from helgeland_pipeline.api import careers, doctors, forum
from helgeland_pipeline.api.deps import MunicipalActor, ServicesDep
from helgeland_pipeline.api.personal_data import personal_data
from helgeland_pipeline.domain.common import Actor, Role, programme_day
from helgeland_pipeline.readside.municipal.queries import DoctorViewer
from helgeland_pipeline.web.calls import (
    Build,
    Form,
    PageActor,
    Posted,
    act,
    allowed,
    ensure_live,
    form_command,
    form_value,
)
from helgeland_pipeline.web.errors import PageRoute, error_page
from helgeland_pipeline.web.render import page, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)

OSLO = ZoneInfo("Europe/Oslo")


def _municipal(request: Request, actor: Actor, services: ServicesDep, number: str) -> Actor:
    allowed(MunicipalActor, actor)
    policy.check_acts_for(actor, number, "a municipality sees its own pages only")
    if number not in services.core.app.reference.municipalities:
        from helgeland_pipeline.application import NotFound  # noqa: PLC0415

        raise NotFound(f"no municipality {number}")
    ensure_live(request, services, "forum")
    return actor


@router.get("/kommune")
async def my_municipality(request: Request, actor: PageActor, services: ServicesDep) -> Response:
    allowed(MunicipalActor, actor)
    if actor.role == Role.MUNICIPALITY and actor.municipality:
        return see_other(f"/kommune/{actor.municipality}")
    municipalities = sorted(
        services.core.app.reference.municipalities.values(), key=lambda m: m.name
    )
    return page(request, "municipal/choose.html", municipalities=municipalities)


@router.get("/kommune/{number}")
async def forum_list(
    request: Request,
    number: str,
    actor: PageActor,
    services: ServicesDep,
    runde: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=30)] = None,
    tidligere: Annotated[str | None, Query(max_length=3)] = None,
) -> Response:
    """The shared candidates that concern this year's work: LIS1 not yet over (unless asked)."""
    _municipal(request, actor, services, number)
    shared = await forum.shared_candidates(actor, services, personal_data(request, actor, services))
    today = programme_day(services.core.app.clock())
    current = [c for c in shared if c.lis1_ends_on is None or c.lis1_ends_on >= today]
    pool = shared if tidligere == "ja" else current
    round_names = sorted({c.round_name for c in pool})
    shown = [
        c
        for c in pool
        if (not runde or c.round_name == runde) and (not status or c.status == status)
    ]
    shown.sort(key=lambda c: (c.shared_at, c.name or ""), reverse=True)
    return page(
        request,
        "municipal/list.html",
        number=number,
        candidates=shown,
        round_names=round_names,
        runde=runde or "",
        status=status or "",
        tidligere=tidligere == "ja",
    )


@router.get("/kommune/{number}/kandidater/{candidate_id}")
async def shared_candidate(
    request: Request, number: str, candidate_id: UUID, actor: PageActor, services: ServicesDep
) -> Response:
    _municipal(request, actor, services, number)
    candidate = await forum.shared_candidate(
        candidate_id, actor, services, personal_data(request, actor, services)
    )
    invitations = await forum.municipality_invitations(number, actor, services)
    offers = await forum.municipality_offers(number, actor, services)
    today = programme_day(services.core.app.clock())
    lis1_end = candidate.lis1_ends_on or today
    start = lis1_end + timedelta(days=1)
    # An offer is answered by the day its post starts, at the latest.
    expiry = min(today + timedelta(days=30), start)
    return page(
        request,
        "municipal/candidate.html",
        number=number,
        c=candidate,
        invitations=[i for i in invitations if i.candidate_id == candidate_id],
        offers=[o for o in offers if o.candidate_id == candidate_id],
        default_time=(datetime.now(UTC) + timedelta(days=7))
        .astimezone(OSLO)
        .strftime("%Y-%m-%dT10:00"),
        default_start=start.isoformat(),
        default_expiry=expiry.isoformat(),
    )


def _local_time(value: str | None) -> str | None:
    """A `datetime-local` field is Norwegian time: the API takes a time with its zone."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # refused, by name, by the API's own model
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OSLO)
    return moment.isoformat()


def _municipal_command(path: str, message: str) -> Callable[[Build], Build]:
    """A POST on a shared candidate's page of a municipality: back to that page."""
    return form_command(
        router,
        f"/kommune/{{number}}/kandidater/{{candidate_id}}/{path}",
        message,
        lambda p: _municipal(p.request, p.actor, p.services, p.param("number")),
        lambda p: f"/kommune/{p.param('number')}/kandidater/{p.uuid('candidate_id')}",
    )


@_municipal_command("invitasjoner", "Invitasjonen er sendt.")
def invite(p: Posted) -> Any:
    body = InvitationCreate.model_validate(
        {
            "municipality": p.param("number"),
            "kind": form_value(p.form.get("kind")),
            "proposed_times": [_local_time(form_value(p.form.get("proposed_time")))],
            "location": form_value(p.form.get("location")),
        }
    )
    return forum.invite(p.uuid("candidate_id"), body, p.actor, p.services)


@_municipal_command("invitasjoner/{invitation_id}/svar", "Kandidatens svar er registrert.")
def answer_invitation(p: Posted) -> Any:
    """The candidate's answer, recorded on their behalf: yes, no, or another time."""
    body = InvitationAnswerIn.model_validate(
        {
            "answer": form_value(p.form.get("answer")),
            "new_time": _local_time(form_value(p.form.get("new_time"))),
        }
    )
    invitation = p.uuid("invitation_id")
    return forum.answer_invitation(p.uuid("candidate_id"), invitation, body, p.actor, p.services)


@_municipal_command("invitasjoner/{invitation_id}/holdt", "Møtet er registrert som holdt.")
def meeting_held(p: Posted) -> Any:
    invitation = p.uuid("invitation_id")
    return forum.meeting_held(
        p.uuid("candidate_id"), invitation, Backdatable(), p.actor, p.services
    )


LIS3_TERMS = (
    "supervisor",
    "supervision_group",
    "pay_model",
    "list_length",
    "out_of_hours_share",
    "training_share",
)


@_municipal_command("tilbud", "Tilbudet om LIS3 er sendt.")
def offer_lis3(p: Posted) -> Any:
    body = Lis3OfferCreate.model_validate(
        {"municipality": p.param("number"), "terms": p.fields(*LIS3_TERMS)}
        | p.fields("start_date", "expires_on")
    )
    return forum.offer_lis3(p.uuid("candidate_id"), body, p.actor, p.services)


OfferAction = Literal["accept", "decline", "withdraw"]
ACTION_MESSAGES = {
    "accept": "Kandidaten har takket ja til LIS3-tilbudet.",
    "decline": "Kandidaten har takket nei til LIS3-tilbudet.",
    "withdraw": "Tilbudet er trukket tilbake.",
}


@router.post("/kommune/{number}/kandidater/{candidate_id}/tilbud/{offer_id}/{action}")
async def answer_offer(
    request: Request,
    number: str,
    candidate_id: UUID,
    offer_id: UUID,
    action: OfferAction,
    actor: PageActor,
    services: ServicesDep,
    _: Form,
) -> Response:
    _municipal(request, actor, services, number)
    here = f"/kommune/{number}/kandidater/{candidate_id}"
    offers = await forum.municipality_offers(number, actor, services)
    if not any(o.offer_id == offer_id and o.candidate_id == candidate_id for o in offers):
        return error_page(request, 404)

    def call() -> Any:
        return forum.answer_offer(candidate_id, offer_id, action, Backdatable(), actor, services)

    return await act(request, call, here, here, ACTION_MESSAGES[action])


@router.get("/kommune/{number}/tilbud")
async def offers(
    request: Request, number: str, actor: PageActor, services: ServicesDep
) -> Response:
    _municipal(request, actor, services, number)
    found = await forum.municipality_offers(number, actor, services)
    shared = {
        c.candidate_id: c
        for c in await forum.shared_candidates(
            actor, services, personal_data(request, actor, services)
        )
    }
    found.sort(key=lambda o: o.offered_at, reverse=True)
    return page(request, "municipal/offers.html", number=number, offers=found, shared=shared)


@router.get("/kommune/{number}/rekruttert")
async def recruited(
    request: Request, number: str, actor: PageActor, services: ServicesDep
) -> Response:
    _municipal(request, actor, services, number)
    found = await forum.municipality_recruited(
        number, actor, services, personal_data(request, actor, services)
    )
    found.sort(key=lambda c: c.shared_at, reverse=True)
    return page(request, "municipal/recruited.html", number=number, doctors=found)


@router.get("/forum-tavle")
async def board(request: Request, actor: PageActor, services: ServicesDep) -> Response:
    allowed(MunicipalActor, actor)
    ensure_live(request, services, "forum")
    found = await forum.board(actor, services, personal_data(request, actor, services))
    today = programme_day(services.core.app.clock())
    entries = [
        e
        for e in found.candidates
        if e.candidate.lis1_ends_on is None or e.candidate.lis1_ends_on >= today
    ]
    return page(request, "municipal/board.html", board=found, entries=entries)


# --- our doctors: their milestones, recorded and corrected -----------------------------------


def _our_doctors(request: Request, actor: Actor, services: ServicesDep, number: str) -> None:
    _municipal(request, actor, services, number)
    ensure_live(request, services, "municipal")


@router.get("/kommune/{number}/leger")
async def our_doctors(
    request: Request, number: str, actor: PageActor, services: ServicesDep
) -> Response:
    """The doctors the municipality recruited or employs, and those who moved on or left."""
    _our_doctors(request, actor, services, number)
    found = await doctors.municipality_doctors(
        number, actor, services, personal_data(request, actor, services)
    )
    return page(request, "municipal/doctors.html", number=number, doctors=found)


@router.get("/kommune/{number}/leger/{candidate_id}")
async def our_doctor(
    request: Request, number: str, candidate_id: UUID, actor: PageActor, services: ServicesDep
) -> Response:
    _our_doctors(request, actor, services, number)
    found = await doctors.municipality_doctor(
        number, candidate_id, actor, services, personal_data(request, actor, services)
    )
    return page(
        request,
        "municipal/doctor.html",
        number=number,
        d=found,
        today=programme_day(services.core.app.clock()).isoformat(),
    )


def _moment(day: str | None, services: ServicesDep) -> str | None:
    """A date field as the API's `occurred_at`: noon in Norway that day, or now for today."""
    if day is None or day == programme_day(services.core.app.clock()).isoformat():
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time(12), tzinfo=OSLO).isoformat()
    except ValueError:
        return day  # refused, by name, by the API's own model


_MILESTONE = TypeAdapter(MilestoneIn)
_VALUE_FIELDS = {"supervisor_assigned": "supervisor", "supervision_group_joined": "group"}


@router.post("/kommune/{number}/leger/{candidate_id}/milepeler")
async def record_milestone(
    request: Request,
    number: str,
    candidate_id: UUID,
    actor: PageActor,
    services: ServicesDep,
    form: Form,
) -> Response:
    _our_doctors(request, actor, services, number)
    here = f"/kommune/{number}/leger/{candidate_id}"
    await _own_doctor(services, number, candidate_id)

    def call() -> Any:
        kind = form_value(form.get("kind"))
        body: dict[str, Any] = {"kind": kind}
        moment = _moment(form_value(form.get("happened_on")), services)
        if moment is not None:
            body["occurred_at"] = moment
        if kind in _VALUE_FIELDS:
            body[_VALUE_FIELDS[kind]] = form_value(form.get("value"))
        return careers.record_milestone(
            candidate_id, _MILESTONE.validate_python(body), actor, services
        )

    return await act(request, call, here, here, "Milepælen er registrert.")


@router.post("/kommune/{number}/leger/{candidate_id}/korrigering")
async def correct_milestone(
    request: Request,
    number: str,
    candidate_id: UUID,
    actor: PageActor,
    services: ServicesDep,
    form: Form,
) -> Response:
    _our_doctors(request, actor, services, number)
    here = f"/kommune/{number}/leger/{candidate_id}"
    found = await _own_doctor(services, number, candidate_id)
    chosen = form_value(form.get("milestone"))
    if not any(str(m.number) == chosen for m in found.milestones):
        return error_page(request, 404)

    def call() -> Any:
        body = MilestoneCorrection.model_validate(
            {
                "happened_on": form_value(form.get("happened_on")),
                "value": form_value(form.get("value")),
                "reason": form_value(form.get("reason")),
            }
        )
        return careers.correct_milestone(candidate_id, int(chosen or 0), body, actor, services)

    return await act(request, call, here, here, "Milepælen er korrigert.")


async def _own_doctor(services: ServicesDep, number: str, candidate_id: UUID) -> DoctorOut:
    """The municipality's own doctor, read as the API reads it (404 for anyone else's); for
    the form's checks only, nobody's data is shown."""
    found = await services.municipal.doctor(DoctorViewer(number), candidate_id)
    if found is None:
        from helgeland_pipeline.application import NotFound  # noqa: PLC0415

        raise NotFound(f"municipality {number} has no doctor with id {candidate_id}")
    return found
