"""Storage limitation: candidates never hired are erased a set time after their round closed.

The clock is injected and moved by hand; SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from helgeland_contracts.personal import ERASED
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import ContactKind
from helgeland_pipeline.privacy.retention import NAME, RetentionJob
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.settings import Settings
from helgeland_platform.leadership import Leadership
from sqlalchemy import select

from tests.factories import RECRUITER, Clock, Journey


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock, migrate=True)
    yield built
    built.close()


def names(services: Services) -> dict[str, Any]:
    with services.engine.connect() as conn:
        rows = conn.execute(select(candidates.c.candidate_id, candidates.c.name)).all()
    return {str(row.candidate_id): row.name for row in rows}


def test_the_never_hired_are_erased_a_year_after_their_round_closed(
    services: Services, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    app = services.app
    journey = Journey(app)
    journey.open_round()
    hired, declined, never_offered = (journey.interviewed() for _ in range(3))
    journey.offering()
    journey.offer(hired)
    journey.offer(declined)
    app.accept_lis1_offer(RECRUITER, hired)
    app.decline_lis1_offer(RECRUITER, declined)
    other_round = Journey(app)
    other_round.open_round()
    still_open = other_round.interviewed()  # its round never closes: kept
    app.finalise_round_list(RECRUITER, journey.round_id)
    services.catch_up()
    before = names(services)
    job = RetentionJob(services, days=365, interval_seconds=3600)

    clock.advance(days=364)
    assert job.run_once() == []

    clock.advance(days=2)
    with caplog.at_level(logging.INFO, logger="helgeland.privacy"):
        erased = job.run_once()
    assert sorted(erased) == sorted([declined, never_offered])
    after = names(services)
    assert after[str(declined)] == after[str(never_offered)] == ERASED
    assert after[str(hired)] == before[str(hired)] != ERASED
    assert after[str(still_open)] == before[str(still_open)] != ERASED
    assert app.keys.is_erased(str(declined))
    assert not app.keys.is_erased(str(hired))
    assert app.personal_data_of(declined) == []
    # Logged with ids and the basis, never with a name.
    assert "retention run" in caplog.text
    assert str(declined) in str([getattr(r, "fields", "") for r in caplog.records])
    for name in before.values():
        assert name not in caplog.text
        assert name not in str([getattr(r, "fields", "") for r in caplog.records])
    events = list(app.events.get(declined))
    assert type(events[-1]).__name__ == "Erased"
    assert getattr(events[-1], "basis") == "retention"  # noqa: B009

    assert job.run_once() == []  # the erased are not erased again


def test_one_process_runs_the_job(services: Services) -> None:
    job = RetentionJob(services, days=365, interval_seconds=3600)
    schema = services.settings.database_schema
    with (
        Leadership(services.engine, schema, NAME) as first,
        Leadership(services.engine, schema, NAME) as second,
    ):
        assert job.tick(first) == []
        assert job.tick(second) is None  # the other process leads: this one stands by


def test_people_who_never_applied_are_erased_a_set_time_after_the_last_event_about_them(
    services: Services, clock: Clock
) -> None:
    app = services.app
    quiet = app.register_candidate(RECRUITER, "Siri Student", "siri@example.no").id
    met_again = app.register_candidate(RECRUITER, "Per Student", "per@example.no").id
    journey = Journey(app)
    journey.open_round()
    applied = journey.applicant("Ola Søker")  # in a round that never closes: kept
    clock.advance(days=200)
    app.record_student_contact(RECRUITER, met_again, ContactKind.PLACEMENT, "1833")
    services.catch_up()
    before = names(services)
    job = RetentionJob(services, days=365, interval_seconds=3600, unapplied_days=300)

    clock.advance(days=99)  # 299 days after registering
    assert job.run_once() == []
    clock.advance(days=2)
    assert job.run_once() == [quiet]
    clock.advance(days=200)  # 301 days after the placement
    assert job.run_once() == [met_again]
    assert job.run_once() == []  # erased once
    after = names(services)
    assert after[str(quiet)] == after[str(met_again)] == ERASED
    assert after[str(applied)] == before[str(applied)] == "Ola Søker"
    assert app.personal_data_of(quiet) == []
    assert not app.keys.is_erased(str(applied))


def test_the_worker_is_configured_with_the_unapplied_retention(settings: Settings) -> None:
    short = settings.model_copy(update={"retention_unapplied_days": 30})
    services = build_services(short, clock=Clock(), migrate=True)
    try:
        services.start_runners()
        (job,) = [j for j in services.jobs if isinstance(j, RetentionJob)]
        assert job.unapplied_days == 30
    finally:
        services.close()
