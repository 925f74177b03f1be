"""Evaluation figures that must read right, through the real read model (SQLite and PostgreSQL).

- A funnel step counts the people who reached it, some of whom skipped the step before (an
  application without a recorded first contact): the answer says how many came from the
  previous step and how many did not, and its conversion is of the previous step's people.
- A round belongs to the yearly cycle of the year its LIS1 starts, not the year people applied:
  an autumn round applied for in the autumn before is next year's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import pytest
from helgeland_contracts.evaluation_v1 import FUNNEL_COUNTING, Funnel
from helgeland_pipeline.bootstrap import Services, build_evaluation, build_services
from helgeland_pipeline.domain.candidates import CareerPreference, ContactKind
from helgeland_pipeline.evaluation.queries import EvaluationQueries
from helgeland_pipeline.settings import Settings

from tests.factories import RECRUITER, Clock

START = datetime(2026, 1, 5, 9, tzinfo=UTC)
GP = CareerPreference.GENERAL_PRACTICE
POSITIONS = {"rana": 2, "mosjoen": 2}


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
async def queries(services: Services) -> AsyncIterator[EvaluationQueries]:
    engine = services.database.async_engine()
    yield build_evaluation(services, engine)
    await engine.dispose()


def applicant(services: Services, round_id: object, name: str, contacted: bool) -> None:
    app = services.app
    cid = app.register_candidate(RECRUITER, name, f"{name.lower()}@example.no").id
    if contacted:
        app.record_student_contact(RECRUITER, cid, ContactKind.CAMPUS_VISIT)
    app.submit_lis1_application(RECRUITER, cid, round_id, GP, [], True)  # type: ignore[arg-type]


async def test_an_autumn_round_is_in_the_cycle_of_the_year_its_lis1_starts(
    services: Services, clock: Clock, queries: EvaluationQueries
) -> None:
    app = services.app
    # Spring 2026: no start date given; its cycle is its application deadline's year.
    spring = app.open_round(RECRUITER, "LIS1 vår 2026", POSITIONS, 2, date(2026, 2, 15)).id
    applicant(services, spring, "Vaar", contacted=False)
    # Autumn 2027: applied for in October 2026, LIS1 starts in August 2027.
    clock.now = datetime(2026, 10, 1, 9, tzinfo=UTC)
    autumn = app.open_round(
        RECRUITER, "LIS1 høst 2027", POSITIONS, 2, date(2026, 11, 15), None, date(2027, 8, 15)
    ).id
    clock.advance(days=9)
    applicant(services, autumn, "Hoest", contacted=False)
    applicant(services, autumn, "Hoest2", contacted=False)
    clock.advance(days=1)
    services.catch_up()

    cycles = await queries.cycles(clock.now, clock.now)
    assert [(r.round, r.year, r.lis1_starts_on, r.applicants) for r in cycles.rounds] == [
        ("LIS1 vår 2026", 2026, None, 1),
        ("LIS1 høst 2027", 2027, date(2027, 8, 15), 2),
    ]
    # The funnel by year groups people by the same cycles.
    by_year = await queries.funnel(clock.now, clock.now, "year")
    applied = {
        g.group: next(s.count for s in g.steps if s.step == "applied") for g in by_year.groups
    }
    assert applied == {"2026": 1, "2027": 2}


async def test_a_funnel_step_says_who_came_from_the_previous_step_and_who_skipped_it(
    services: Services, clock: Clock, queries: EvaluationQueries
) -> None:
    app = services.app
    round_id = app.open_round(RECRUITER, "LIS1 høst 2026", POSITIONS, 2, date(2026, 3, 1)).id
    # Two contacted and applied, three applied with no recorded contact, one contacted only.
    for name in ("Anne", "Bjorn"):
        applicant(services, round_id, name, contacted=True)
    for name in ("Cecilie", "Dag", "Eva"):
        applicant(services, round_id, name, contacted=False)
    only = app.register_candidate(RECRUITER, "Frode", "frode@example.no").id
    app.record_student_contact(RECRUITER, only, ContactKind.PLACEMENT, "1833")
    clock.advance(days=1)
    services.catch_up()

    funnel = await queries.funnel(clock.now, clock.now, "all")
    steps = {s.step: s for s in funnel.groups[0].steps}
    contacted, applied = steps["contacted"], steps["applied"]
    assert (contacted.count, contacted.from_previous, contacted.conversion) == (3, None, None)
    # More applied than were contacted: said, not hidden behind a conversion of 1.0.
    assert (applied.count, applied.from_previous, applied.without_previous) == (5, 2, 3)
    assert applied.conversion == round(2 / 3, 4)
    prefers = steps["prefers_general_practice"]
    assert (prefers.count, prefers.from_previous, prefers.conversion) == (5, 5, 1.0)
    assert funnel.counting == FUNNEL_COUNTING

    # The same holds of every step, and the answer explains itself on the wire.
    wire = Funnel.model_validate_json(funnel.model_dump_json())
    previous = None
    for step in wire.groups[0].steps:
        if previous is not None:
            assert step.from_previous is not None
            assert step.without_previous is not None
            assert step.from_previous + step.without_previous == step.count
            assert step.from_previous <= previous.count
            if previous.count:
                assert step.conversion == round(step.from_previous / previous.count, 4)
                assert 0 <= step.conversion <= 1
        previous = step
    schema = Funnel.model_json_schema()
    assert "whether or not" in schema["$defs"]["FunnelStep"]["properties"]["count"]["description"]
