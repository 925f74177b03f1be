"""GP posts (fastlegehjemler): a municipality's reports over time, and the form to report.

The page of a municipality is for its chief physician, the forum and administrators, as its
other pages are; the forum board shows every municipality's latest report to all of them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from helgeland_contracts.posts_v1 import GpPostsReport
from starlette.datastructures import FormData

from helgeland_pipeline import policy
from helgeland_pipeline.api import posts
from helgeland_pipeline.api.deps import MunicipalActor, ServicesDep
from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.domain.common import Actor, programme_day
from helgeland_pipeline.web.calls import act, allowed, ensure_live, form_value
from helgeland_pipeline.web.errors import PageRoute
from helgeland_pipeline.web.render import page
from helgeland_pipeline.web.session import checked_form, page_actor

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PageActor = Annotated[Actor, Depends(page_actor)]
Form = Annotated[FormData, Depends(checked_form)]
FIELDS = ("as_of", "total", "vacant", "held_by_locums", "retirements_expected")


def _own(request: Request, actor: Actor, services: ServicesDep, number: str) -> None:
    allowed(MunicipalActor, actor)
    policy.check_acts_for(actor, number, "a municipality reports its own GP posts only")
    if number not in services.core.app.reference.municipalities:
        raise NotFound(f"no municipality {number}")
    ensure_live(request, services, "forum")


@router.get("/kommune/{number}/fastlegehjemler")
async def gp_posts(
    request: Request, number: str, actor: PageActor, services: ServicesDep
) -> Response:
    _own(request, actor, services, number)
    history = await posts.gp_posts(number, actor, services)
    latest = history.latest
    return page(
        request,
        "municipal/gp_posts.html",
        number=number,
        history=history,
        reports=list(reversed(history.reports)),
        today=programme_day(services.core.app.clock()).isoformat(),
        defaults={name: getattr(latest, name) for name in FIELDS[1:]} if latest else {},
    )


@router.post("/kommune/{number}/fastlegehjemler")
async def report_gp_posts(
    request: Request, number: str, actor: PageActor, services: ServicesDep, form: Form
) -> Response:
    _own(request, actor, services, number)
    here = f"/kommune/{number}/fastlegehjemler"

    def call() -> Any:
        body = GpPostsReport.model_validate({name: form_value(form.get(name)) for name in FIELDS})
        return posts.report_gp_posts(number, body, actor, services)

    return await act(request, call, here, here, "Fastlegehjemlene er rapportert.")
