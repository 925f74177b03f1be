"""NSDM's evaluators: funnel, survival (plot with its table), cycles; as-of and known-at dates;
the cohort as CSV and the dated HTML report."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from helgeland_contracts.evaluation_v1 import Scope

from helgeland_pipeline.api import evaluation as api
from helgeland_pipeline.api.deps import ServicesDep
from helgeland_pipeline.domain.common import Actor, InvalidInput, end_of_day, programme_day
from helgeland_pipeline.evaluation import report
from helgeland_pipeline.web.calls import PageActor, allowed, ensure_live
from helgeland_pipeline.web.errors import PageRoute
from helgeland_pipeline.web.render import page

router = APIRouter(prefix="/evaluering", route_class=PageRoute, include_in_schema=False)
DateField = Annotated[str | None, Query(max_length=10)]


def _day(value: str | None, what: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        msg = f"{what} must be a date (YYYY-MM-DD), not {value!r}"
        raise InvalidInput(msg) from None


def _times(services: ServicesDep, as_of: str | None, known_at: str | None) -> api.Times:
    """The API's own `Times`: a date is the end of that Norwegian day, today as far as it went."""
    day, known = _day(as_of, "as_of"), _day(known_at, "known_at")
    return api.Times(
        services,
        as_of=end_of_day(day) if day else None,
        known_at=end_of_day(known) if known else None,
    )


def _evaluator(request: Request, actor: Actor, services: ServicesDep) -> None:
    allowed(api.Evaluator, actor)
    ensure_live(request, services, "evaluation")


def _query(as_of: str | None, known_at: str | None, **extra: str) -> str:
    parts = {"as_of": as_of or "", "known_at": known_at or "", **extra}
    return "&".join(f"{k}={v}" for k, v in parts.items() if v)


def _checked_times(
    request: Request,
    actor: PageActor,
    services: ServicesDep,
    as_of: DateField = None,
    known_at: DateField = None,
) -> api.Times:
    """An evaluator's page: the role and the read model checked, the dates as `Times`."""
    _evaluator(request, actor, services)
    return _times(services, as_of, known_at)


Times = Annotated[api.Times, Depends(_checked_times)]


@router.get("")
async def overview(
    request: Request,
    actor: PageActor,
    services: ServicesDep,
    as_of: DateField = None,
    known_at: DateField = None,
    scope: Scope = "municipality",
    group_by: api.Grouping = "all",
) -> Response:
    _evaluator(request, actor, services)
    times = _times(services, as_of, known_at)
    funnel = await api.funnel(actor, services, times, "all")
    retention = await api.retention(actor, services, times, scope, group_by)
    cycles = await api.cycles(actor, services, times)
    vacancy = await api.vacancy(actor, services, times)
    today = programme_day(services.core.app.clock())
    return page(
        request,
        "evaluation/overview.html",
        funnel=funnel.groups[0] if funnel.groups else None,
        retention=retention,
        cycles=cycles,
        vacancy=vacancy,
        as_of=as_of or "",
        known_at=known_at or "",
        scope=scope,
        group_by=group_by,
        today=today.isoformat(),
        as_of_day=programme_day(times.as_of),
        known_at_day=programme_day(times.known_at),
        query=_query(as_of, known_at),
        plot_query=_query(as_of, known_at, scope=scope, group_by=group_by),
    )


@router.get("/overlevelse.png")
async def survival_plot(
    actor: PageActor,
    services: ServicesDep,
    times: Times,
    scope: Scope = "municipality",
    group_by: api.Grouping = "all",
) -> Response:
    return await api.survival_plot(actor, services, times, scope, group_by)


@router.get("/kohort.csv")
async def cohort_csv(actor: PageActor, services: ServicesDep, times: Times) -> Response:
    response: Any = await api.cohort(actor, services, times, "csv")
    day = programme_day(times.as_of).isoformat()
    response.headers["Content-Disposition"] = f'attachment; filename="kohort-{day}.csv"'
    return response  # type: ignore[no-any-return]


@router.get("/rapport.html")
async def report_html(services: ServicesDep, times: Times) -> Response:
    """The same dated report as `helgeland report`, as a download."""
    queries = services.evaluation
    funnel = await queries.funnel(times.as_of, times.known_at, "all")
    retention = {
        label: await queries.retention(times.as_of, times.known_at, scope, group)
        for label, scope, group in report.VIEWS
    }
    cycles = await queries.cycles(times.as_of, times.known_at)
    vacancy = await queries.vacancy(times.as_of, times.known_at)
    text = report.render(times.as_of, times.known_at, funnel, retention, cycles, vacancy)
    day = programme_day(times.as_of).isoformat()
    return Response(
        text,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="evaluering-{day}.html"'},
    )
