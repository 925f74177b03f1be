"""NSDM's evaluation over HTTP: read-only, pseudonymised, every answer as of any past date."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from helgeland_contracts.bounds import NOT_AFTER, Moment
from helgeland_contracts.evaluation_v1 import CohortRow, Coupling, Cycles, Funnel, Retention, Scope
from helgeland_contracts.posts_v1 import Vacancy
from pydantic import BeforeValidator, TypeAdapter

from helgeland_pipeline.api.deps import ServicesDep, reads, require_role
from helgeland_pipeline.domain.common import (
    Actor,
    InvalidInput,
    Role,
    end_of_day,
    programme_day,
)
from helgeland_pipeline.evaluation import plots
from helgeland_pipeline.evaluation.anonymity import CohortRelease, cohort_csv
from helgeland_pipeline.evaluation.queries import GROUPINGS

router = APIRouter(prefix="/evaluation", tags=["evaluation"], dependencies=[reads("evaluation")])

Evaluator = Annotated[Actor, Depends(require_role(Role.EVALUATOR))]
Grouping = Literal[
    "all",
    "round",
    "year",
    "municipality",
    "centrality_class",
    "population_group",
    "local_connection",
    "preference",
]
assert set(GROUPINGS) == set(Grouping.__args__)  # type: ignore[attr-defined]


_TIME = "An ISO time with its zone, or a date: the end of that day in Norway (today: now)"


def _plain_day(value: object) -> object:
    """`YYYY-MM-DD` is the end of that day in Norway; anything else must be a zoned time."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return end_of_day(date.fromisoformat(value))
        except ValueError:
            return value  # not a calendar day: refused below, by name
    return value


_PAST: dict[str, Any] = {"json_schema_extra": {NOT_AFTER: "now"}}
MomentOrDay = Annotated[Moment, BeforeValidator(_plain_day)]


def _moment(value: datetime | None, now: datetime) -> datetime:
    """Today's date (the end of today, still to come) means as far as today has gone."""
    if value is None or value == end_of_day(programme_day(now)):
        return now
    return value


class Times:
    """`as_of` (world time) and `known_at` (recorded time); both default to now."""

    def __init__(
        self,
        services: ServicesDep,
        as_of: Annotated[MomentOrDay | None, Query(description=_TIME, **_PAST)] = None,
        known_at: Annotated[MomentOrDay | None, Query(description=_TIME, **_PAST)] = None,
    ) -> None:
        now = services.core.app.clock()
        self.as_of: datetime = _moment(as_of, now)
        self.known_at: datetime = _moment(known_at, now)
        if self.as_of > now or self.known_at > now:
            msg = "as_of and known_at cannot lie in the future"
            raise InvalidInput(msg)


TimesDep = Annotated[Times, Depends()]


@router.get("/funnel")
async def funnel(
    _: Evaluator, services: ServicesDep, times: TimesDep, group_by: Grouping = "round"
) -> Funnel:
    """Contacted → … → specialist: counts, conversion and median days between steps."""
    return await services.evaluation.funnel(times.as_of, times.known_at, group_by)


@router.get("/retention")
async def retention(
    _: Evaluator,
    services: ServicesDep,
    times: TimesDep,
    scope: Scope = "municipality",
    group_by: Grouping = "all",
) -> Retention:
    """Kaplan–Meier stay in the municipality or region, national comparison, Cox model."""
    return await services.evaluation.retention(times.as_of, times.known_at, scope, group_by)


@router.get("/coupling")
async def coupling(_: Evaluator, services: ServicesDep, times: TimesDep) -> Coupling:
    """Per round: coupled LIS1 slots taken, how many ended in a LIS3 start, and where."""
    return await services.evaluation.coupling(times.as_of, times.known_at)


@router.get("/cycles")
async def cycles(_: Evaluator, services: ServicesDep, times: TimesDep) -> Cycles:
    """Per round: applicants, recruited, weeks of service, still in post (as the sister
    programmes report)."""
    return await services.evaluation.cycles(times.as_of, times.known_at)


@router.get("/vacancy")
async def vacancy(_: Evaluator, services: ServicesDep, times: TimesDep) -> Vacancy:
    """GP posts per municipality over time (total, vacant, held by locums, retirements
    expected) and the region's yearly trend: the problem recruitment is meant to solve."""
    return await services.evaluation.vacancy(times.as_of, times.known_at)


_DISCLOSED = {
    "Helgeland-Min-Cell": "k: every combination of quasi-identifiers shown has k rows or more",
    "Helgeland-Generalised-Rows": "rows with fields withheld (named in `generalised`)",
    "Helgeland-Withheld-Rows": "rows left out: no k rows shared even their LIS3 start year",
}


def _disclosure_headers(release: CohortRelease) -> dict[str, str]:
    values = (release.min_cell, release.generalised, release.withheld)
    return {name: str(value) for name, value in zip(_DISCLOSED, values, strict=True)}


@router.get(
    "/cohort",
    response_model=list[CohortRow],
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": {
                name: {"description": text, "schema": {"type": "string", "pattern": "^[0-9]+$"}}
                for name, text in _DISCLOSED.items()
            },
        }
    },
)
async def cohort(
    _: Evaluator, services: ServicesDep, times: TimesDep, format: Literal["json", "csv"] = "json"
) -> Response:
    """One pseudonymised, k-anonymous row per doctor who started LIS3: the durations behind
    the curves. The headers say how many rows were generalised or withheld."""
    release = await services.evaluation.cohort(times.as_of, times.known_at, services.pseudonym_key)
    headers = _disclosure_headers(release)
    if format == "csv":
        return Response(
            cohort_csv(release.rows), media_type="text/csv; charset=utf-8", headers=headers
        )
    body = TypeAdapter(list[CohortRow]).dump_json(release.rows)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/plots/survival.png", response_class=Response)
async def survival_plot(
    _: Evaluator,
    services: ServicesDep,
    times: TimesDep,
    scope: Scope = "municipality",
    group_by: Grouping = "all",
) -> Response:
    result = await services.evaluation.retention(times.as_of, times.known_at, scope, group_by)
    title = f"Stay in the {scope} as of {times.as_of.date()} (by {group_by})"
    png = plots.survival_png(result.groups, title, services.evaluation.min_cell)
    return Response(png, media_type="image/png")


@router.get("/plots/funnel.png", response_class=Response)
async def funnel_plot(_: Evaluator, services: ServicesDep, times: TimesDep) -> Response:
    result = await services.evaluation.funnel(times.as_of, times.known_at, "all")
    title = f"Recruitment funnel as of {times.as_of.date()}"
    png = plots.funnel_png(result.groups[0], title, services.evaluation.min_cell)
    return Response(png, media_type="image/png")
