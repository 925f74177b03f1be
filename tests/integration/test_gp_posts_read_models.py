"""GP posts per municipality through the read models, once on SQLite, once on PostgreSQL.

The forum read model keeps every report with the current one per date marked (a correction
replaces the earlier report of its date); the board shows each municipality's latest. The
evaluation read model keeps both times of every report, so the vacancy trend can be replayed
as it stood (`as_of`) and as it was known (`known_at`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from helgeland_pipeline.bootstrap import Services, build_evaluation, build_services
from helgeland_pipeline.domain.forum import NotYours
from helgeland_pipeline.domain.gp_posts import PostCounts
from helgeland_pipeline.evaluation.queries import EvaluationQueries
from helgeland_pipeline.readside.forum.queries import ForumQueries, Viewer
from helgeland_pipeline.settings import Settings

from tests.factories import FORUM, RANA, RECRUITER, VEFSN, Clock, municipal

START = datetime(2023, 1, 10, 9, tzinfo=UTC)
OCT_2021, OCT_2022 = date(2021, 10, 15), date(2022, 10, 15)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
async def reads(services: Services) -> AsyncIterator[tuple[ForumQueries, EvaluationQueries]]:
    engine = services.database.async_engine()
    names = {n: m.name for n, m in services.app.reference.municipalities.items()}
    yield ForumQueries(engine, names), build_evaluation(services, engine)
    await engine.dispose()


def report(services: Services, number: str, as_of: date, *counts: int) -> None:
    actor = FORUM if number != RANA else municipal(RANA)
    services.app.report_gp_posts(actor, number, as_of, PostCounts(*counts))


async def test_a_correction_replaces_the_report_of_its_date_and_the_board_shows_the_latest(
    services: Services, clock: Clock, reads: tuple[ForumQueries, EvaluationQueries]
) -> None:
    forum, _ = reads
    report(services, RANA, OCT_2022, 26, 4, 1, 3)
    report(services, RANA, OCT_2021, 26, 5, 2, 3)  # back-dated, entered later
    clock.advance(days=1)
    report(services, RANA, OCT_2022, 26, 3, 2, 3)  # the 2022 report corrected
    report(services, VEFSN, OCT_2022, 14, 2, 1, 2)
    services.catch_up()

    history = await forum.gp_posts(RANA)
    assert history.name == "Rana"
    assert [(r.as_of, r.vacant, r.current, r.corrects_earlier) for r in history.reports] == [
        (OCT_2021, 5, True, False),
        (OCT_2022, 4, False, False),
        (OCT_2022, 3, True, True),
    ]
    assert history.latest is not None
    assert (history.latest.as_of, history.latest.vacant) == (OCT_2022, 3)
    assert history.latest.reported_by == municipal(RANA).organisation
    assert (await forum.gp_posts("1835")).reports == []

    board = await forum.board(Viewer(VEFSN), clock.now.date())
    assert [(p.municipality, p.vacant, p.reported_by) for p in board.gp_posts] == [
        (VEFSN, 2, FORUM.organisation),
        (RANA, 3, municipal(RANA).organisation),
    ]


async def test_the_vacancy_trend_replays_as_it_stood_and_as_it_was_known(
    services: Services, clock: Clock, reads: tuple[ForumQueries, EvaluationQueries]
) -> None:
    _, evaluation = reads
    report(services, RANA, OCT_2021, 26, 5, 2, 3)
    report(services, VEFSN, OCT_2021, 14, 2, 1, 2)
    report(services, RANA, OCT_2022, 26, 4, 1, 3)
    first_known = clock.now
    clock.advance(days=2)
    report(services, RANA, OCT_2022, 26, 2, 1, 3)  # corrected two days later
    services.catch_up()

    now = clock.now
    trend = await evaluation.vacancy(now, now)
    assert [(y.year, y.municipalities_reporting, y.total, y.vacant) for y in trend.years] == [
        (2021, 2, 40, 7),
        (2022, 2, 40, 4),  # Vefsn carried forward from 2021; Rana's corrected report
        (2023, 2, 40, 4),
    ]
    assert trend.years[0].vacancy_rate == round(7 / 40, 4)
    rana = next(s for s in trend.municipalities if s.municipality == RANA)
    assert [(p.as_of, p.vacant) for p in rana.points] == [(OCT_2021, 5), (OCT_2022, 2)]
    assert rana.centrality_class == 4

    before_correction = await evaluation.vacancy(now, first_known)
    assert [y.vacant for y in before_correction.years] == [7, 6, 6]
    in_2021 = await evaluation.vacancy(datetime(2021, 12, 31, 12, tzinfo=UTC), now)
    assert [(y.year, y.vacant) for y in in_2021.years] == [(2021, 7)]
    nothing_known = await evaluation.vacancy(now, START - timedelta(days=1))
    assert (nothing_known.years, nothing_known.municipalities) == ([], [])


def test_only_the_municipality_itself_or_the_forum_reports_its_posts(
    services: Services,
) -> None:
    counts = PostCounts(14, 2, 1, 2)
    for actor in (municipal(RANA), RECRUITER):
        before = services.app.recorder.max_notification_id()
        with pytest.raises(NotYours):
            services.app.report_gp_posts(actor, VEFSN, OCT_2022, counts)
        assert services.app.recorder.max_notification_id() == before
    services.app.report_gp_posts(municipal(VEFSN), VEFSN, OCT_2022, counts)
    services.app.report_gp_posts(FORUM, VEFSN, OCT_2022, counts)
