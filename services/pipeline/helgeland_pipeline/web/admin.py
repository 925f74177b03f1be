"""The administrator's privacy pages: erasure (with a confirmation step), a person's export
(the JSON download and the Norwegian page) and the access log, over the privacy routes.

Erasure and the access log are the administrator's; the export is also the recruiters' of
the candidate's round, as the API allows.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from helgeland_contracts.privacy_v1 import ErasureRequest
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from helgeland_pipeline.api import candidates, privacy
from helgeland_pipeline.api.deps import Recruiter, ServicesDep
from helgeland_pipeline.api.personal_data import personal_data
from helgeland_pipeline.domain.common import Actor, InvalidInput
from helgeland_pipeline.domain.personal import check_erasure_reason
from helgeland_pipeline.web.calls import Form, PageActor, act, allowed, ensure_live, form_value
from helgeland_pipeline.web.errors import PageRoute, error_page
from helgeland_pipeline.web.messages import norwegian
from helgeland_pipeline.web.render import flash, page, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _admin(request: Request, actor: Actor, services: ServicesDep) -> None:
    allowed(privacy.AdminActor, actor)
    ensure_live(request, services, "hospital")


async def _candidate(
    request: Request, candidate_id: UUID, actor: Actor, services: ServicesDep
) -> Any:
    read = personal_data(request, actor, services)
    return await candidates.get_candidate(candidate_id, actor, services, read)


@router.get("/personvern")
async def overview(request: Request, actor: PageActor, services: ServicesDep) -> Response:
    _admin(request, actor, services)
    return page(request, "admin/overview.html")


# --- erasure (GDPR art. 17) -----------------------------------------------------------------


@router.get("/personvern/kandidater/{candidate_id}/sletting")
async def erasure_form(
    request: Request, candidate_id: UUID, actor: PageActor, services: ServicesDep
) -> Response:
    _admin(request, actor, services)
    candidate = await _candidate(request, candidate_id, actor, services)
    return page(request, "admin/erasure.html", c=candidate, reason="", confirm=False)


@router.post("/personvern/kandidater/{candidate_id}/sletting")
async def erasure_check(
    request: Request, candidate_id: UUID, actor: PageActor, services: ServicesDep, form: Form
) -> Response:
    """Step one: the reason is checked as the erasure will check it (one line, not the
    person's name or contact details), and the page asks once more before anything is done."""
    _admin(request, actor, services)
    candidate = await _candidate(request, candidate_id, actor, services)
    reason = form_value(form.get("reason")) or ""
    app = services.core.app

    def check() -> None:
        ErasureRequest.model_validate({"reason": reason})
        check_erasure_reason(reason, app.personal_data_of(candidate_id, contact_only=True))

    try:
        await run_in_threadpool(check)
    except (ValidationError, InvalidInput) as error:
        flash(request, norwegian(error), "error")
        return see_other(f"/personvern/kandidater/{candidate_id}/sletting")
    return page(request, "admin/erasure.html", c=candidate, reason=reason, confirm=True)


@router.post("/personvern/kandidater/{candidate_id}/sletting/bekreft")
async def erasure_confirmed(
    request: Request, candidate_id: UUID, actor: PageActor, services: ServicesDep, form: Form
) -> Response:
    """Step two: erased, through the API's erasure route; back to the candidate's page."""
    _admin(request, actor, services)
    here = f"/personvern/kandidater/{candidate_id}/sletting"

    def call() -> Any:
        body = ErasureRequest.model_validate({"reason": form_value(form.get("reason")) or ""})
        return privacy.erasure(candidate_id, body, actor, services)

    return await act(
        request,
        call,
        here,
        f"/sykehus/kandidater/{candidate_id}",
        "Personopplysningene er slettet. Fakta uten personopplysninger er beholdt.",
    )


# --- export (GDPR art. 15) ------------------------------------------------------------------


@router.get("/sykehus/kandidater/{candidate_id}/innsyn.{kind}")
async def export(
    request: Request,
    candidate_id: UUID,
    kind: Literal["json", "html"],
    actor: PageActor,
    services: ServicesDep,
) -> Response:
    """Everything held about the person: the JSON as a download, or the Norwegian page."""
    allowed(Recruiter, actor)
    for read_model in ("hospital", "forum"):
        ensure_live(request, services, read_model)
    read = personal_data(request, actor, services)
    answer = await privacy.export_candidate(candidate_id, request, actor, services, read, kind)
    if kind == "json":
        name = f"innsyn-{candidate_id}.json"
        answer.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return answer


# --- the access log -------------------------------------------------------------------------


@router.get("/personvern/tilgangslogg")
async def access_log(
    request: Request,
    actor: PageActor,
    services: ServicesDep,
    kandidat: Annotated[str | None, Query(max_length=100)] = None,
    person: Annotated[str | None, Query(max_length=200)] = None,
    fra: Annotated[str | None, Query(max_length=10)] = None,
    til: Annotated[str | None, Query(max_length=10)] = None,
    side: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Who read personal data: about a candidate, by a person, between two days."""
    _admin(request, actor, services)
    try:
        candidate = UUID(kandidat) if form_value(kandidat) else None
        since = date.fromisoformat(fra) if fra else None
        until = date.fromisoformat(til) if til else None
    except ValueError:
        return error_page(
            request, 400, "Kandidaten må være en id, og datoene på formen ÅÅÅÅ-MM-DD."
        )
    found = await privacy.access_log(
        actor,
        services,
        candidate,
        form_value(person),
        50,
        form_value(side),
        since,
        until,
    )
    filters = {
        "kandidat": kandidat or "",
        "person": person or "",
        "fra": fra or "",
        "til": til or "",
    }
    query = urlencode({k: v for k, v in filters.items() if v})
    return page(request, "admin/access_log.html", log=found, query=query, filters=filters)
