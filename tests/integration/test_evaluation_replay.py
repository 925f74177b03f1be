"""The evaluators' figures replayed to any date, once on SQLite and once on PostgreSQL.

A few doctors go the whole way with the application's commands (round, forum list, coupled
LIS3 offer, LIS1, LIS3, retention milestones) while a hand-moved clock follows the story. The
read models are caught up by hand and read with the same queries the API uses. Every answer is
as things stood at `as_of` (world time), as recorded by `known_at`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from helgeland_contracts.evaluation_v1 import CohortRow
from helgeland_pipeline.app_career import left, lis1_part_completed
from helgeland_pipeline.bootstrap import Services, build_evaluation, build_services
from helgeland_pipeline.domain.candidates import CareerPreference
from helgeland_pipeline.domain.career import Destination, LeavingReason, Lis1Part
from helgeland_pipeline.evaluation.cohort import pseudonym
from helgeland_pipeline.evaluation.episodes import DAYS_PER_YEAR
from helgeland_pipeline.evaluation.queries import EvaluationQueries
from helgeland_pipeline.settings import Settings

from tests.factories import RANA, RECRUITER, VEFSN, Clock, forum_list, lis3_terms, municipal

KEY = b"test-pseudonym-key"
OSLO = ZoneInfo("Europe/Oslo")
LEAVING_NOTE = "Flytter nærmere familien i Trondheim"


@dataclass
class History:
    """Three doctors in LIS3 since `lis3_day`: A left Rana after a year, B moved from Vefsn to
    Rana after 545 days, C (LIS3 in Rana from 00:30 Norwegian time) is still there at `t1`."""

    services: Services
    clock: Clock
    queries: EvaluationQueries
    a: UUID
    b: UUID
    c: UUID
    lis3_day: date
    lis3_start: datetime
    t1: datetime

    def pseudonym(self, candidate: UUID) -> str:
        return pseudonym(KEY, str(candidate))

    def catch_up(self) -> None:
        self.services.catch_up()

    async def cohort(self, as_of: datetime, known_at: datetime) -> dict[str, CohortRow]:
        release = await self.queries.cohort(as_of, known_at, KEY)
        return {r.pseudonym: r for r in release.rows}

    async def answers(self, as_of: datetime, known_at: datetime) -> dict[str, Any]:
        """Every figure, without the `known_at` it echoes (so answers can be compared)."""
        q = self.queries

        def dump(model: Any) -> Any:
            found = model.model_dump(mode="json")
            assert found.pop("known_at") == known_at.isoformat().replace("+00:00", "Z")
            assert found.pop("as_of") == as_of.isoformat().replace("+00:00", "Z")
            return found

        cohort = await q.cohort(as_of, known_at, KEY)
        return {
            "funnel": dump(await q.funnel(as_of, known_at, "all")),
            "funnel by round": dump(await q.funnel(as_of, known_at, "round")),
            "municipality": dump(await q.retention(as_of, known_at, "municipality", "all")),
            "region": dump(await q.retention(as_of, known_at, "region", "all")),
            "cycles": dump(await q.cycles(as_of, known_at)),
            "cohort": [r.model_dump(mode="json") for r in cohort.rows],
        }


def at(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    # Three doctors, followed exactly: small cells are shown here (k = 1); their suppression
    # is tested in tests/unit/test_disclosure.py and over HTTP.
    settings = settings.model_copy(update={"evaluation_min_cell": 1})
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
async def history(services: Services, clock: Clock) -> AsyncIterator[History]:
    app = services.app
    fl = forum_list(app, shared=3)  # three GP-interested doctors on the forum list
    a, b, c = fl.shared
    rana, vefsn = municipal(RANA), municipal(VEFSN)
    expires = (clock.now + timedelta(days=30)).date()
    offers = {
        a: (rana, app.offer_lis3(rana, a, RANA, fl.lis3_start, lis3_terms(), expires)[1]),
        b: (vefsn, app.offer_lis3(vefsn, b, VEFSN, fl.lis3_start, lis3_terms(), expires)[1]),
        c: (rana, app.offer_lis3(rana, c, RANA, fl.lis3_start, lis3_terms(), expires)[1]),
    }
    clock.advance(days=3)
    for cid, (actor, offer_id) in offers.items():
        app.accept_lis3_offer(actor, cid, offer_id)

    lis1_round: Any = app.repository.get(fl.round_id)
    clock.now = at(lis1_round.lis1_starts_on)
    for cid in fl.shared:
        app.start_lis1(RECRUITER, cid)
    clock.advance(days=365)
    for cid in fl.shared:
        app.record_milestone(RECRUITER, cid, lis1_part_completed(Lis1Part.HOSPITAL))

    lis3_day = fl.lis3_start
    clock.now = at(lis3_day)
    app.start_lis3(rana, a)
    app.start_lis3(vefsn, b)
    # Entered at 08:00 UTC that day, it happened at 00:30 in Norway (22:30 UTC the day before).
    app.start_lis3(rana, c, datetime.combine(lis3_day, time(0, 30), tzinfo=OSLO))
    lis3_start = clock.now

    clock.advance(days=365)
    app.record_milestone(
        rana, a, left(LeavingReason.FAMILY, LEAVING_NOTE, Destination.ELSEWHERE_IN_NORWAY)
    )
    clock.advance(days=180)
    app.record_milestone(vefsn, b, lambda career, s: career.move_within_helgeland(RANA, s))
    clock.advance(days=1)
    services.catch_up()
    engine = services.database.async_engine()
    yield History(
        services,
        clock,
        build_evaluation(services, engine),
        a,
        b,
        c,
        lis3_day,
        lis3_start,
        clock.now,
    )
    await engine.dispose()


def years(start: datetime, end: datetime) -> float:
    return round((end - start).total_seconds() / 86400 / DAYS_PER_YEAR, 3)


async def test_the_figures_follow_each_doctor_as_things_stood(history: History) -> None:
    h = history
    rows = await h.cohort(h.t1, h.t1)
    assert set(rows) == {h.pseudonym(h.a), h.pseudonym(h.b), h.pseudonym(h.c)}
    a, b, c = rows[h.pseudonym(h.a)], rows[h.pseudonym(h.b)], rows[h.pseudonym(h.c)]
    # A left Rana and Helgeland after a year.
    assert (a.municipality, a.left_municipality, a.left_region) == ("Rana", True, True)
    assert (
        a.municipality_years == a.region_years == years(h.lis3_start, h.lis3_start + timedelta(365))
    )
    # B moved from Vefsn to Rana: the stay in Vefsn ended, the stay in the region goes on.
    assert (b.municipality, b.left_municipality, b.left_region) == ("Vefsn", True, False)
    assert b.municipality_years == years(h.lis3_start, h.lis3_start + timedelta(545))
    assert b.region_years == years(h.lis3_start, h.t1)
    # C is still in Rana: censored at as_of.
    assert (c.municipality, c.left_municipality, c.left_region) == ("Rana", False, False)
    assert c.round == a.round == b.round == "LIS1 vår 2027"
    # The forum list holds those who declared general practice (the programme's default).
    assert (b.preference, c.preference) == ("general_practice", "general_practice")
    assert (c.local_connection, c.centrality_class, c.population_group) == (
        True,
        4,
        "2 000 to 49 999",
    )

    retention = await h.queries.retention(h.t1, h.t1, "municipality", "all")
    (group,) = retention.groups
    assert (group.doctors, group.left) == (3, 2)
    region = await h.queries.retention(h.t1, h.t1, "region", "all")
    assert (region.groups[0].doctors, region.groups[0].left) == (3, 1)
    assert retention.cox.available is False
    assert retention.cox.terms == []
    assert "2 doctors left" in retention.cox.message

    funnel = await h.queries.funnel(h.t1, h.t1, "all")
    counts = {s.step: s.count for s in funnel.groups[0].steps}
    assert counts == {
        "contacted": 0,
        "applied": 7,  # the forum list factory adds an undecided doctor, never shared
        "prefers_general_practice": 5,
        "interviewed": 7,
        "offered_lis1": 7,
        "accepted_lis1": 6,
        "started_lis1": 3,
        "shared_with_forum": 3,
        "invited": 0,
        "offered_lis3": 3,
        "accepted_lis3": 3,
        "started_lis3": 3,
        "specialist": 0,
    }
    cycles = await h.queries.cycles(h.t1, h.t1)
    # Still in post: C in Rana, and B, who moved from Vefsn to Rana (A left).
    assert [(r.round, r.applicants, r.recruited, r.still_in_post) for r in cycles.rounds] == [
        ("LIS1 vår 2027", 7, 3, 2)
    ]


async def test_earlier_dates_see_only_what_had_happened_by_then(history: History) -> None:
    h = history
    before_lis3 = h.lis3_start - timedelta(days=1)
    assert await h.cohort(before_lis3, h.t1) == {}
    funnel = await h.queries.funnel(before_lis3, h.t1, "all")
    counts = {s.step: s.count for s in funnel.groups[0].steps}
    assert (counts["accepted_lis3"], counts["started_lis3"]) == (3, 0)
    before_a_left = h.lis3_start + timedelta(days=364)
    rows = await h.cohort(before_a_left, h.t1)
    assert len(rows) == 3
    assert not any(r.left_municipality or r.left_region for r in rows.values())
    assert rows[h.pseudonym(h.a)].municipality_years == years(h.lis3_start, before_a_left)


async def test_an_answer_is_unchanged_by_events_appended_later(history: History) -> None:
    h = history
    app = h.services.app
    known = await h.answers(h.t1, h.t1)

    # Later in the world and in the log: C leaves, A comes back, B leaves for another
    # Helgeland municipality, a new round opens and a new doctor applies.
    h.clock.advance(days=100)
    app.record_milestone(municipal(RANA), h.c, left(LeavingReason.WORKLOAD, "", Destination.ABROAD))
    h.clock.advance(days=20)
    app.record_milestone(RECRUITER, h.a, lambda career, s: career.return_to(VEFSN, s))
    h.clock.advance(days=30)
    app.record_milestone(
        municipal(RANA),
        h.b,
        left(LeavingReason.SUPERVISION, "", Destination.HELGELAND_MUNICIPALITY),
    )
    round_id = app.open_round(
        RECRUITER, "LIS1 høst 2029", {"rana": 2}, 1, (h.clock.now + timedelta(30)).date()
    ).id
    newcomer = app.register_candidate(RECRUITER, "Ny Kandidat", "ny@example.no").id
    app.submit_lis1_application(
        RECRUITER, newcomer, round_id, CareerPreference.GENERAL_PRACTICE, [], True
    )
    h.catch_up()

    assert await h.answers(h.t1, h.t1) == known
    # Known now: everything appended happened after as_of, so nothing changes either.
    assert await h.answers(h.t1, h.clock.now) == known
    # ... while today's answer has moved on.
    now = await h.answers(h.clock.now, h.clock.now)
    assert now != known
    rows = {r["pseudonym"]: r for r in now["cohort"]}
    assert rows[h.pseudonym(h.c)]["left_region"] is True
    assert rows[h.pseudonym(h.b)]["left_region"] is False
    assert len(now["cycles"]["rounds"]) == 2


async def test_a_back_dated_event_changes_what_is_known_now_but_not_what_was_known(
    history: History,
) -> None:
    h = history
    t1 = h.t1
    before = {
        "at t1": await h.answers(t1, t1),
        "30 days before t1": await h.answers(t1 - timedelta(days=30), t1),
        "61 days before t1": await h.answers(t1 - timedelta(days=61), t1),
    }

    # A month later it comes out that C had left Rana 60 days before t1.
    h.clock.advance(days=30)
    recorded = h.clock.now
    happened = t1 - timedelta(days=60)
    h.services.app.record_milestone(
        municipal(RANA), h.c, left(LeavingReason.PAY_AND_TERMS, "", Destination.HOSPITAL), happened
    )
    h.catch_up()

    # Known now, the answers for dates after it happened change (B moved the day before t1).
    for label, as_of, moved in (
        ("at t1", t1, 1),
        ("30 days before t1", t1 - timedelta(days=30), 0),
    ):
        changed = await h.answers(as_of, recorded)
        assert changed != before[label], label
        row = {r["pseudonym"]: r for r in changed["cohort"]}[h.pseudonym(h.c)]
        assert (row["left_municipality"], row["left_region"]) == (True, True)
        c_start = datetime.combine(h.lis3_day, time(0, 30), tzinfo=OSLO)
        assert row["municipality_years"] == years(c_start, happened)
        assert changed["municipality"]["groups"][0]["left"] == 2 + moved
        assert changed["region"]["groups"][0]["left"] == 2
        # B is in post either way: in Vefsn, or (having moved) in another municipality.
        assert changed["cycles"]["rounds"][0]["still_in_post"] == 1
    # ... but not for a date before it happened ...
    assert await h.answers(t1 - timedelta(days=61), recorded) == before["61 days before t1"]
    # ... and what was known before it was recorded stays exactly as it was.
    for label, as_of in (
        ("at t1", t1),
        ("30 days before t1", t1 - timedelta(days=30)),
        ("61 days before t1", t1 - timedelta(days=61)),
    ):
        assert await h.answers(as_of, t1) == before[label], label
        assert await h.answers(as_of, recorded - timedelta(seconds=1)) == before[label], label


async def test_the_cohort_gives_the_lis3_start_as_a_norwegian_calendar_day(
    history: History,
) -> None:
    """C's LIS3 started at 00:30 in Norway on `lis3_day` (22:30 UTC the evening before)."""
    h = history
    rows = await h.cohort(h.t1, h.t1)
    assert rows[h.pseudonym(h.a)].lis3_started == h.lis3_day
    assert rows[h.pseudonym(h.c)].lis3_started == h.lis3_day
