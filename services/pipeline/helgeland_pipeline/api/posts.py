"""GP posts per municipality over HTTP: the municipality (or the forum) reports, all read.

The counts are organisation figures the forum board shows every municipality, so any
municipality may read another's history; only the municipality itself, the forum or an
administrator may report them.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from helgeland_contracts.api_v1 import CommandResult
from helgeland_contracts.posts_v1 import GpPostsHistory, GpPostsReport

from helgeland_pipeline.api.deps import (
    MunicipalActor,
    MunicipalityInPath,
    ServicesDep,
    answer_once_visible,
    reads,
)
from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.domain.gp_posts import PostCounts

router = APIRouter(tags=["gp posts"], dependencies=[reads("forum")])


@router.post("/municipalities/{number}/gp-posts", status_code=status.HTTP_201_CREATED)
def report_gp_posts(
    number: MunicipalityInPath, body: GpPostsReport, actor: MunicipalActor, services: ServicesDep
) -> CommandResult:
    """Report the municipality's GP posts as they stood on `as_of` (back-dating allowed; a
    later report for the same date corrects the earlier one)."""
    _known(services, number)
    counts = PostCounts(body.total, body.vacant, body.held_by_locums, body.retirements_expected)
    saved = services.core.app.report_gp_posts(actor, number, body.as_of, counts)
    return answer_once_visible(services, saved, "forum", "evaluation")


@router.get("/municipalities/{number}/gp-posts")
async def gp_posts(
    number: MunicipalityInPath, _: MunicipalActor, services: ServicesDep
) -> GpPostsHistory:
    """The municipality's GP post reports over time, oldest date first, corrections included."""
    _known(services, number)
    return await services.forum.gp_posts(number)


def _known(services: ServicesDep, number: str) -> None:
    """A municipality nobody knows is not found."""
    if number not in services.core.app.reference.municipalities:
        raise NotFound(f"no municipality {number}")
