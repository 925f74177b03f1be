"""Careers as they happen, through the real read model (SQLite and PostgreSQL).

One round's doctors, walked with the application's commands: Ada completes LIS1, starts LIS3
in Rana, leaves Helgeland after a year and comes back to Vefsn a year later; Bo accepts Rana's
LIS3 offer, completes LIS1 and drops out before LIS3 starts; Cai (who wants a hospital career)
drops out during LIS1. The evaluation counts Ada's return as a second stay, Ada as still in
post, both dropouts, and the hospital's steps in the funnel.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from helgeland_contracts.evaluation_v1 import Scope
from helgeland_pipeline.app_career import left, lis1_part_completed, lis1_part_started
from helgeland_pipeline.bootstrap import Services, build_evaluation, build_services
from helgeland_pipeline.domain.career import Destination, LeavingReason, Lis1Part
from helgeland_pipeline.evaluation.queries import EvaluationQueries
from helgeland_pipeline.settings import Settings

from tests.factories import RANA, RECRUITER, VEFSN, Clock, forum_list, lis3_terms, municipal

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
YEAR = timedelta(days=365.25)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    settings = settings.model_copy(update={"evaluation_min_cell": 1})  # counted exactly
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
async def queries(services: Services) -> AsyncIterator[EvaluationQueries]:
    engine = services.database.async_engine()
    yield build_evaluation(services, engine)
    await engine.dispose()


def walk_careers(services: Services, clock: Clock) -> datetime:
    """The story above; returns the moment Ada came back."""
    app, rana, vefsn = services.app, municipal(RANA), municipal(VEFSN)
    listed = forum_list(app, shared=2)
    ada, bo = listed.shared
    cai = listed.hospital_preference
    lis3_start = listed.lis3_start
    offers = {}
    for cid in (ada, bo):
        _, offers[cid] = app.offer_lis3(
            rana, cid, RANA, lis3_start, lis3_terms(), (clock.now + timedelta(days=20)).date()
        )
        app.accept_lis3_offer(rana, cid, offers[cid])
    clock.advance(days=60)  # LIS1 starts
    for cid in (ada, bo, cai):
        app.start_lis1(RECRUITER, cid)
    clock.advance(days=100)
    app.drop_out(RECRUITER, cai, LeavingReason.OTHER_SPECIALTY, "Valgte indremedisin")
    clock.advance(days=265)
    for cid in (ada, bo):
        app.record_milestone(RECRUITER, cid, lis1_part_completed(Lis1Part.HOSPITAL))
        app.record_milestone(RECRUITER, cid, lis1_part_started(Lis1Part.MUNICIPAL))
    clock.now = datetime.combine(lis3_start, datetime.min.time(), UTC) - timedelta(days=5)
    for cid in (ada, bo):
        app.record_milestone(RECRUITER, cid, lis1_part_completed(Lis1Part.MUNICIPAL))
    clock.advance(days=2)
    app.drop_out(rana, bo, LeavingReason.FAMILY, "")
    clock.advance(days=4)
    app.start_lis3(rana, ada)
    clock.advance(days=YEAR.days)
    app.record_milestone(rana, ada, left(LeavingReason.FAMILY, "", Destination.ELSEWHERE_IN_NORWAY))
    clock.advance(days=YEAR.days)
    back = clock.now
    app.record_milestone(vefsn, ada, lambda c, s: c.return_to(VEFSN, s), in_municipality=VEFSN)
    clock.advance(days=YEAR.days)
    services.catch_up()
    return back


async def test_a_return_is_a_second_stay_and_dropouts_are_counted(
    services: Services, clock: Clock, queries: EvaluationQueries
) -> None:
    back = walk_careers(services, clock)
    now = clock.now

    scopes: tuple[Scope, ...] = ("municipality", "region")
    for scope in scopes:
        retention = await queries.retention(now, now, scope, "all")
        (group,) = retention.groups
        assert (group.doctors, group.stays, group.left) == (1, 2, 1), scope
        assert group.curve[0].at_risk == 2

    (cycle,) = (await queries.cycles(now, now)).rounds
    assert (cycle.still_in_post, cycle.dropped_out, cycle.returned) == (1, 2, 1)
    # Before the return Ada was not in post; as things stood then, nobody had returned.
    (before,) = (await queries.cycles(back - timedelta(days=1), now)).rounds
    assert (before.still_in_post, before.returned) == (0, 0)

    funnel = await queries.funnel(now, now, "all")
    counts = {s.step: s.count for s in funnel.groups[0].steps}
    # forum_list: six applied and were interviewed and offered LIS1, five accepted (one
    # declined); three started LIS1 (the others were never started in this story).
    assert (counts["interviewed"], counts["offered_lis1"], counts["accepted_lis1"]) == (6, 6, 5)
    assert counts["started_lis1"] == 3
    assert (counts["accepted_lis3"], counts["started_lis3"]) == (2, 1)
    steps = [s.step for s in funnel.groups[0].steps]
    assert (
        steps.index("interviewed") < steps.index("started_lis1") < steps.index("shared_with_forum")
    )
