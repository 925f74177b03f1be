"""The hospital's recruiters: rounds, their ranked list and funnel, candidates steps 1–4."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from helgeland_contracts.api_v1 import (
    Answer,
    ApplicationSubmit,
    Backdatable,
    CandidateRegister,
    ContactDetails,
    InterviewRecord,
    OfferMake,
    RoundAdvance,
    RoundCreate,
    Stage,
    StudentContact,
    Withdrawal,
)
from helgeland_contracts.privacy_v1 import ConsentChange
from starlette.datastructures import FormData

from helgeland_pipeline.api import candidates, forum, privacy, rounds
from helgeland_pipeline.api.deps import ConsentKeeper, Recruiter, ServicesDep
from helgeland_pipeline.api.personal_data import personal_data
from helgeland_pipeline.domain.candidates import ConsentPurpose
from helgeland_pipeline.domain.common import Actor, programme_day
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
from helgeland_pipeline.web.render import page

router = APIRouter(prefix="/sykehus", route_class=PageRoute, include_in_schema=False)


def _recruiter(request: Request, actor: Actor, services: ServicesDep) -> Actor:
    allowed(Recruiter, actor)
    ensure_live(request, services, "hospital")
    return actor


def _units(services: ServicesDep) -> list[Any]:
    return sorted(services.core.app.reference.hospital_units.values(), key=lambda u: u.name)


def _fields(form: FormData, *names: str) -> dict[str, Any]:
    return {name: form_value(form.get(name)) for name in names}


# --- rounds -------------------------------------------------------------------------------


@router.get("/runder")
async def round_list(request: Request, actor: PageActor, services: ServicesDep) -> Response:
    _recruiter(request, actor, services)
    found = await rounds.list_rounds(actor, services)
    return page(
        request,
        "hospital/rounds.html",
        rounds=sorted(found, key=lambda r: r.opened_at, reverse=True),
        units=_units(services),
    )


@router.post("/runder")
async def open_round(
    request: Request, actor: PageActor, services: ServicesDep, form: Form
) -> Response:
    _recruiter(request, actor, services)
    positions = {}
    for unit in _units(services):
        count = form_value(form.get(f"positions_{unit.code}"))
        if count is not None and count != "0":
            positions[unit.code] = count

    def call() -> Any:
        body = RoundCreate.model_validate(
            _fields(form, "name", "coupled_positions", "application_deadline", "lis1_starts_on")
            | {"positions": positions}
        )
        return rounds.open_round(body, actor, services)

    return await act(
        request,
        call,
        "/sykehus/runder",
        lambda rid: f"/sykehus/runder/{rid}",
        "Runden er åpnet.",
        lambda result: result.id,
    )


@router.get("/runder/{round_id}")
async def round_page(
    request: Request, round_id: UUID, actor: PageActor, services: ServicesDep
) -> Response:
    _recruiter(request, actor, services)
    found = await rounds.get_round(round_id, actor, services)
    ranked = await rounds.ranked_list(
        round_id, actor, services, personal_data(request, actor, services)
    )
    funnel = await rounds.funnel(round_id, actor, services)
    coupling = await forum.coupling(
        round_id, actor, services, personal_data(request, actor, services)
    )
    return page(
        request,
        "hospital/round.html",
        round=found,
        ranked=ranked,
        funnel=funnel,
        coupling=coupling,
        units={u.code: u.name for u in _units(services)},
    )


def _recruiter_command(
    section: str, param: str, path: str, message: str
) -> Callable[[Build], Build]:
    """A POST on a round's or a candidate's page: its command, then back to that page."""
    return form_command(
        router,
        f"/{section}/{{{param}}}/{path}",
        message,
        lambda p: _recruiter(p.request, p.actor, p.services),
        lambda p: f"/sykehus/{section}/{p.uuid(param)}",
    )


_round_command = partial(_recruiter_command, "runder", "round_id")
_candidate_command = partial(_recruiter_command, "kandidater", "candidate_id")


@_round_command("videre", "Runden er flyttet videre.")
def advance_round(p: Posted) -> Any:
    body = RoundAdvance.model_validate(p.fields("status"))
    return rounds.advance_round(p.uuid("round_id"), body, p.actor, p.services)


@_round_command("endelig", "Listen er endelig.")
def finalise(p: Posted) -> Any:
    return rounds.finalise_list(p.uuid("round_id"), Backdatable(), p.actor, p.services)


@_round_command("til-forumet", "Listen er sendt til kommuneoverlegeforumet.")
def send_list(p: Posted) -> Any:
    return forum.send_list(p.uuid("round_id"), Backdatable(), p.actor, p.services)


# --- candidates ---------------------------------------------------------------------------


@router.get("/kandidater")
async def candidate_list(
    request: Request,
    actor: PageActor,
    services: ServicesDep,
    navn: Annotated[str | None, Query(max_length=200)] = None,
    runde: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    side: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    _recruiter(request, actor, services)
    try:
        round_id = UUID(runde) if runde else None
    except ValueError:
        return error_page(request, 400, "Ukjent runde.")
    stage: Stage | None = status if status in _STAGES else None  # type: ignore[assignment]
    found = await candidates.list_candidates(
        actor,
        services,
        personal_data(request, actor, services),
        round_id=round_id,
        stage=stage,
        name=form_value(navn),
        limit=50,
        cursor=side or None,
    )
    all_rounds = await rounds.list_rounds(actor, services)
    return page(
        request,
        "hospital/candidates.html",
        found=found,
        rounds=sorted(all_rounds, key=lambda r: r.opened_at, reverse=True),
        round_names={r.round_id: r.name for r in all_rounds},
        navn=navn or "",
        runde=runde or "",
        status=stage or "",
    )


_STAGES = {"registered", "applied", "interviewed", "offered", "accepted", "declined", "withdrawn"}


@router.get("/kandidater/ny")
async def new_candidate(request: Request, actor: PageActor, services: ServicesDep) -> Response:
    _recruiter(request, actor, services)
    return page(request, "hospital/new_candidate.html")


@router.post("/kandidater")
async def register(
    request: Request, actor: PageActor, services: ServicesDep, form: Form
) -> Response:
    _recruiter(request, actor, services)

    def call() -> Any:
        body = CandidateRegister.model_validate(_fields(form, "name", "email", "phone"))
        return candidates.register(body, actor, services)

    return await act(
        request,
        call,
        "/sykehus/kandidater/ny",
        lambda cid: f"/sykehus/kandidater/{cid}",
        "Kandidaten er registrert.",
        lambda result: result.id,
    )


@router.get("/kandidater/{candidate_id}")
async def candidate_page(
    request: Request, candidate_id: UUID, actor: PageActor, services: ServicesDep
) -> Response:
    _recruiter(request, actor, services)
    candidate = await candidates.get_candidate(
        candidate_id, actor, services, personal_data(request, actor, services)
    )
    timeline = await candidates.candidate_timeline(
        candidate_id, actor, services, personal_data(request, actor, services)
    )
    all_rounds = await rounds.list_rounds(actor, services)
    today = programme_day(services.core.app.clock())
    return page(
        request,
        "hospital/candidate.html",
        c=candidate,
        timeline=timeline,
        rounds=[r for r in all_rounds if r.status == "open"],
        round_names={str(r.round_id): r.name for r in all_rounds},
        units=_units(services),
        municipalities=sorted(
            services.core.app.reference.municipalities.values(), key=lambda m: m.name
        ),
        default_answer_by=(today + timedelta(days=14)).isoformat(),
        consent_texts=[
            services.core.app.consent_texts.current(purpose, today) for purpose in ConsentPurpose
        ],
    )


@_candidate_command("kontaktopplysninger", "Kontaktopplysningene er rettet.")
def contact_details(p: Posted) -> Any:
    body = ContactDetails.model_validate(p.fields("name", "email", "phone"))
    return candidates.contact_details(p.uuid("candidate_id"), body, p.actor, p.services)


@_candidate_command("kontakt", "Kontakten er registrert.")
def student_contact(p: Posted) -> Any:
    body = StudentContact.model_validate(p.fields("kind", "municipality"))
    return candidates.student_contact(p.uuid("candidate_id"), body, p.actor, p.services)


@_candidate_command("soknad", "Søknaden er registrert.")
def application(p: Posted) -> Any:
    body = ApplicationSubmit.model_validate(
        p.fields("round_id", "preference")
        | {
            "local_connection": p.form.getlist("local_connection"),
            "consent_to_share": p.form.get("consent_to_share") == "ja",
        }
    )
    return candidates.submit_application(p.uuid("candidate_id"), body, p.actor, p.services)


@_candidate_command("intervju", "Intervjuet er registrert.")
def interview(p: Posted) -> Any:
    fields = p.fields("interviewer", "primary_care_interest", "notes")
    body = InterviewRecord.model_validate(fields | {"notes": fields["notes"] or ""})
    return candidates.record_interview(p.uuid("candidate_id"), body, p.actor, p.services)


@_candidate_command("tilbud", "Tilbudet om LIS1 er registrert.")
def offer(p: Posted) -> Any:
    body = OfferMake.model_validate(
        p.fields("unit", "answer_by") | {"coupled": p.form.get("coupled") == "ja"}
    )
    return candidates.offer(p.uuid("candidate_id"), body, p.actor, p.services)


@_candidate_command("tilbud/ja", "Kandidaten har takket ja til LIS1.")
def accept(p: Posted) -> Any:
    return candidates.accept(p.uuid("candidate_id"), Answer(), p.actor, p.services)


@_candidate_command("tilbud/nei", "Kandidaten har takket nei til LIS1.")
def decline(p: Posted) -> Any:
    return candidates.decline(p.uuid("candidate_id"), Answer(), p.actor, p.services)


@_candidate_command("trekk", "Kandidaten har trukket seg.")
def withdraw(p: Posted) -> Any:
    body = Withdrawal.model_validate({"reason": form_value(p.form.get("reason")) or ""})
    return candidates.withdraw(p.uuid("candidate_id"), body, p.actor, p.services)


@_candidate_command("samtykke", "Samtykket er registrert.")
def consent(p: Posted) -> Any:
    """Consent given or withdrawn, to the version of the text the candidate was shown."""
    allowed(ConsentKeeper, p.actor)
    body = ConsentChange.model_validate(
        p.fields("purpose", "version") | {"given": p.form.get("given") == "ja"}
    )
    return privacy.change_consent(p.uuid("candidate_id"), body, p.actor, p.services)
