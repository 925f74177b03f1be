"""Privacy over HTTP: erasure (GDPR art. 17, admin only), consent texts and consents, the access
log, and a person's export."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse
from helgeland_contracts.api_v1 import CommandResult
from helgeland_contracts.bounds import SingleLine
from helgeland_contracts.privacy_v1 import (
    AccessLogPage,
    ConsentChange,
    ConsentText,
    ErasureOut,
    ErasureRequest,
    PersonalDataExport,
)

from helgeland_pipeline.api.deps import (
    AnyActor,
    ConsentKeeper,
    Recruiter,
    ServicesDep,
    answer_once_visible,
    reads,
    require_role,
)
from helgeland_pipeline.api.personal_data import PersonalData
from helgeland_pipeline.domain.candidates import ConsentPurpose, ErasureBasis
from helgeland_pipeline.domain.common import Actor, start_of_day
from helgeland_pipeline.privacy.erasure import erase
from helgeland_pipeline.privacy.export import build_export
from helgeland_pipeline.privacy.html import render_export

router = APIRouter(tags=["privacy"])
AdminActor = Annotated[Actor, Depends(require_role())]


@router.post("/candidates/{candidate_id}/erasure")
def erasure(
    candidate_id: UUID, body: ErasureRequest, actor: AdminActor, services: ServicesDep
) -> ErasureOut:
    """Erase the candidate: `Erased` is recorded, their key destroyed (their events' personal
    fields read as erased from now on) and every derived copy purged; the facts stay, so the
    evaluation's figures do not change. Asking again for an erased candidate re-runs the purge.
    """
    done = erase(services.core, actor, candidate_id, body.reason, ErasureBasis.REQUEST)
    return ErasureOut(
        candidate_id=done.candidate_id,
        position=done.position,
        already_erased=done.already_erased,
        purged=done.purged,
        read_models_pending=done.read_models_pending,
    )


@router.get("/consent-texts")
def consent_texts(_: AnyActor, services: ServicesDep) -> list[ConsentText]:
    """Every version of every consent text (bokmål), by purpose and version."""
    return [
        ConsentText.model_validate(t, from_attributes=True)
        for t in services.core.app.consent_texts.texts
    ]


@router.post("/candidates/{candidate_id}/consents")
def change_consent(
    candidate_id: UUID, body: ConsentChange, actor: ConsentKeeper, services: ServicesDep
) -> CommandResult:
    """Give or withdraw consent to a purpose, naming the version of the text the candidate
    saw. Withdrawing consent to sharing removes them from every municipal view at once."""
    app = services.core.app
    purpose = ConsentPurpose(body.purpose)
    if body.given:
        saved = app.give_consent(actor, candidate_id, purpose, body.version, body.occurred_at)
    else:
        saved = app.withdraw_consent(actor, candidate_id, body.occurred_at, purpose, body.version)
    return answer_once_visible(services, saved, "forum", "hospital")


@router.get("/access-log")
async def access_log(
    _: AdminActor,
    services: ServicesDep,
    candidate: UUID | None = None,
    person: Annotated[SingleLine | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    since: date | None = None,
    until: date | None = None,
) -> AccessLogPage:
    """Who read personal data, newest first: about a `candidate`, or by a `person` (token
    subject), on or after the day `since` and up to the end of the day `until` (Norwegian
    days), a page at a time. Administrators only."""
    return await services.access_log.entries(
        candidate,
        person,
        limit,
        cursor,
        start_of_day(since) if since else None,
        start_of_day(until + timedelta(days=1)) if until else None,
    )


@router.get(
    "/candidates/{candidate_id}/export",
    dependencies=[reads("hospital"), reads("forum")],
    response_model=PersonalDataExport,
    responses={200: {"content": {"text/html": {}}}},
)
async def export_candidate(
    candidate_id: UUID,
    request: Request,
    actor: Recruiter,
    services: ServicesDep,
    read: PersonalData,
    format: Literal["json", "html"] | None = None,
) -> JSONResponse | HTMLResponse:
    """Everything held about the person (GDPR art. 15): events, read-model rows, deliveries,
    consents and the access log. JSON, or a page in Norwegian with `Accept: text/html` or
    `?format=html`. Administrators, and the recruiters of the candidate's round."""
    core = services.core
    document = await build_export(
        core.app,
        services.async_engine,
        core.runners,
        services.access_log,
        services.deliveries,
        actor,
        candidate_id,
        read,
    )
    wants_html = format == "html" or (
        format is None and "text/html" in request.headers.get("accept", "")
    )
    if wants_html:
        return HTMLResponse(render_export(document))
    return JSONResponse(document)
