"""Concurrent writers on SQLite and PostgreSQL: optimistic concurrency, and the runner's row."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, RecordConflictError
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.readside.tracking import ensure_tracked, tracking
from helgeland_pipeline.settings import Settings
from sqlalchemy import delete, select

from tests.factories import NOW, Clock, Journey, stamp

A = TypeVar("A", bound=Aggregate)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def load(services: Services, aggregate_id: UUID, kind: type[A]) -> A:
    aggregate: Aggregate = services.app.repository.get(aggregate_id)
    assert isinstance(aggregate, kind)
    return aggregate


def log_position(services: Services) -> int:
    return services.app.recorder.max_notification_id() or 0


def test_two_stale_copies_of_a_candidate_cannot_both_be_saved(services: Services) -> None:
    app = services.app
    journey = Journey(app)
    round_id = journey.open_round()
    cid = journey.applicant()
    lis1_round = load(services, round_id, Lis1Round)
    first, second = load(services, cid, Candidate), load(services, cid, Candidate)

    first.record_lis1_interview(lis1_round, "Overlege A", 5, "", stamp())
    second.record_lis1_interview(lis1_round, "Overlege B", 1, "", stamp())
    app.save(first)
    before = log_position(services)
    with pytest.raises(RecordConflictError) as raised:
        app.save(second)
    assert isinstance(raised.value, IntegrityError)

    assert log_position(services) == before
    assert load(services, cid, Candidate).interview_scores == [5]


def test_the_last_coupled_slot_goes_to_one_offer_and_the_other_save_is_atomic(
    services: Services,
) -> None:
    app = services.app
    journey = Journey(app)
    round_id = journey.open_round(positions={"rana": 2}, coupled=1)
    kari, ola = journey.interviewed(), journey.interviewed(name="Ola Hansen")
    journey.offering()
    answer_by = (NOW + timedelta(days=14)).date()

    # Two recruiters each load the round and offer the one coupled position.
    round_a, round_b = load(services, round_id, Lis1Round), load(services, round_id, Lis1Round)
    cand_a, cand_b = load(services, kari, Candidate), load(services, ola, Candidate)
    cand_a.offer_lis1(round_a, "rana", True, answer_by, stamp())
    cand_b.offer_lis1(round_b, "rana", True, answer_by, stamp())

    app.save(cand_a, round_a)
    before = log_position(services)
    with pytest.raises(RecordConflictError):
        app.save(cand_b, round_b)

    # Nothing of the losing save was stored: not the candidate's offer, not the round's hold.
    assert log_position(services) == before
    assert load(services, ola, Candidate).offer_state is None
    assert set(load(services, round_id, Lis1Round).offers) == {str(kari)}


def race(threads: int, work: Callable[[int], object]) -> list[BaseException]:
    """Run `work(0..threads-1)` in threads released together; return what they raised."""
    barrier = threading.Barrier(threads)
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        barrier.wait()
        try:
            work(n)
        except Exception as error:
            failures.append(error)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    return failures


def test_racing_runners_create_one_tracking_row_and_read_it_without_failing(
    services: Services,
) -> None:
    """Runners starting together create the tracking row once; readers meanwhile see 0.

    (A first read used to insert the row itself, so a command's read-your-writes wait and the
    runner thread could both insert it and one of them failed: a 500 on a fresh store.)
    """
    runner = services.runners[0]
    threads = 8
    for _ in range(10):
        with services.engine.begin() as conn:
            conn.execute(delete(tracking))
        positions: list[int] = []

        def start_or_read(n: int, seen: list[int] = positions) -> None:
            if n % 2:
                ensure_tracked(services.engine, runner.key)
            else:
                seen.append(runner.position())

        assert race(threads, start_or_read) == []
        assert positions == [0] * (threads // 2)
        with services.engine.connect() as conn:
            rows = conn.execute(select(tracking).where(tracking.c.projection == runner.key)).all()
        assert [row.position for row in rows] == [0]
