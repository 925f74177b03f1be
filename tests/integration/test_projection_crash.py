"""A projection worker killed mid-run resumes without losing or repeating an event.

The worker runs as a real process (`helgeland project`) on the same store as the test, on
SQLite and on PostgreSQL. Halfway through the log lies a corrupt event, so the worker is
part-way through the log however fast the machine is: it has applied pages up to it and
retries it. It is killed there with SIGKILL; the event is repaired; a new worker
(`project --until-caught-up`) resumes, and the read models must then equal a full rebuild.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic
from helgeland_pipeline.bootstrap import Services, all_projections, build_services
from helgeland_pipeline.database import Database
from helgeland_pipeline.domain.candidates import (
    Candidate,
    CareerPreference,
    ContactKind,
    LocalConnection,
)
from helgeland_pipeline.readside.dispatch import event_class
from helgeland_pipeline.readside.hospital.tables import candidates, rounds, timeline
from helgeland_pipeline.readside.status import failures
from helgeland_pipeline.readside.tracking import tracking
from helgeland_pipeline.settings import Settings
from sqlalchemy import Engine, func, select, text

from tests.factories import RECRUITER, Clock, Journey

BULK_CANDIDATES = 700  # three events each: registered, contact details, a student contact
PAGE_SIZE = 50
HELGELAND = Path(sys.executable).with_name("helgeland")

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The test's own view of the read-model tables."""
    built = Database(settings.database_url, settings.database_schema).sync_engine()
    yield built
    built.dispose()


def worker_env(settings: Settings, page_size: int = PAGE_SIZE) -> dict[str, str]:
    """The worker's settings: the same store, and small pages so it takes many transactions."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= {
        "HELGELAND_DATABASE_URL": settings.database_url,
        "HELGELAND_DATA_DIR": str(settings.data_dir),
        "HELGELAND_PROJECTION_PAGE_SIZE": str(page_size),
    }
    if settings.database_schema:
        env["HELGELAND_DATABASE_SCHEMA"] = settings.database_schema
    return env


@dataclass(frozen=True)
class Poison:
    position: int
    originator_id: UUID


def fill_the_log(settings: Settings) -> tuple[int, list[int], Poison]:
    """Write a few thousand events without projecting them, a corrupt one halfway; return the
    end, the candidate events and the corrupt one."""
    services = build_services(settings, clock=Clock())
    try:
        app = services.app
        journey = Journey(app)
        round_id = journey.open_round(positions={"rana": 2, "mosjoen": 2}, coupled=2)
        local = [LocalConnection.GREW_UP]
        first = journey.interviewed(5, name="Ingrid Solberg", local=local)
        second = journey.interviewed(3, preference=CareerPreference.UNDECIDED)
        declines = journey.interviewed(2, preference=CareerPreference.HOSPITAL)
        withdraws = journey.applicant(name="Tuva Lie")
        journey.offering()
        journey.offer(first, "rana", coupled=True)
        journey.offer(second, "mosjoen", coupled=False)
        journey.offer(declines, "rana", coupled=False)
        app.accept_lis1_offer(RECRUITER, first)
        app.accept_lis1_offer(RECRUITER, second)
        app.decline_lis1_offer(RECRUITER, declines)
        app.withdraw_application(RECRUITER, withdraws, "valgte Tromsø")
        app.finalise_round_list(RECRUITER, round_id)
        app.send_list_to_forum(RECRUITER, round_id)
        poison = None
        for n in range(BULK_CANDIDATES):
            if n == BULK_CANDIDATES // 2:
                poison = append_corrupt_registration(services)
            cid = app.register_candidate(RECRUITER, f"Kandidat {n}", f"k{n}@example.no").id
            app.record_student_contact(RECRUITER, cid, ContactKind.CAMPUS_VISIT)
        end = app.recorder.max_notification_id() or 0
        log = app.recorder.select_notifications(start=0, limit=end + 1)
        assert [n.id for n in log][-1] == end
        candidate_events = [n.id for n in log if ":Candidate." in n.topic]
    finally:
        services.close()
    assert poison is not None
    return end, candidate_events, poison


REGISTERED = event_class(Candidate, "Registered")


def append_corrupt_registration(services: Services) -> Poison:
    originator = uuid4()
    corrupt = StoredEvent(
        originator_id=originator, originator_version=1, topic=get_topic(REGISTERED), state=b"{"
    )
    services.app.recorder.insert_events([corrupt])
    return Poison(services.app.recorder.max_notification_id() or 0, originator)


def repair(settings: Settings, engine: Engine, poison: Poison) -> None:
    """Give the corrupt event the stored state of a sound registration (as a restore would)."""
    services = build_services(settings)
    try:
        recorder = services.app.recorder
        assert isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder))
        table = recorder.events_table_name
    finally:
        services.close()
    with engine.begin() as conn:
        sound = conn.execute(
            text(f"SELECT state FROM {table} WHERE topic = :topic AND state <> :bad LIMIT 1"),
            {"topic": get_topic(REGISTERED), "bad": b"{"},
        ).scalar_one()
        # PostgreSQL keeps the id as a uuid, the SQLite recorder as its 32 hex digits.
        if engine.dialect.name == "postgresql":
            where, originator = "CAST(:originator AS uuid)", str(poison.originator_id)
        else:
            where, originator = ":originator", poison.originator_id.hex
        conn.execute(
            text(f"UPDATE {table} SET state = :state WHERE originator_id = {where}"),
            {"state": sound, "originator": originator},
        )


def failing_at(engine: Engine, key_prefix: str) -> int | None:
    with engine.connect() as conn:
        for failure in conn.execute(select(failures)).all():
            if failure.projection.startswith(key_prefix):
                return int(failure.position)
    return None


def positions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {row.projection: row.position for row in conn.execute(select(tracking)).all()}


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every read-model table, ordered by primary key."""
    tables = [t for p in all_projections() for t in p.metadata.sorted_tables]
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in tables
        }


def run(
    args: list[str], settings: Settings, cwd: Path, page_size: int = PAGE_SIZE
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(HELGELAND), *args],
        env=worker_env(settings, page_size),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def test_a_killed_worker_resumes_and_matches_a_rebuild(
    settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    assert HELGELAND.exists()
    end, candidate_events, poison = fill_the_log(settings)
    assert end > 2000
    assert set(positions(engine).values()) == {0}, "nothing is projected before the worker runs"

    log_file = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(HELGELAND), "project"],
        env=worker_env(settings) | {"HELGELAND_PROJECTION_RETRY_MAX_SECONDS": "0.5"},
        cwd=tmp_path,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        # It has applied every page before the corrupt event, and keeps retrying that one.
        while failing_at(engine, "hospital") != poison.position:
            if worker.poll() is not None:
                output = (tmp_path / "worker.log").read_text()
                pytest.fail(f"the worker stopped by itself:\n{output}")
            assert time.monotonic() < deadline, "the worker never reached the corrupt event"
            time.sleep(0.05)
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log_file.close()

    # What the killed worker committed is whole: each page came with its position.
    at_kill = positions(engine)
    hospital = next(p for key, p in at_kill.items() if key.startswith("hospital"))
    assert 0 < hospital < poison.position, at_kill
    with engine.connect() as conn:
        rows = [r.position for r in conn.execute(select(timeline.c.position)).all()]
    assert sorted(rows) == [p for p in candidate_events if p <= hospital]

    repair(settings, engine, poison)
    run(["project", "--until-caught-up"], settings, tmp_path)
    assert set(positions(engine).values()) == {end}
    resumed = snapshot(engine)

    # Exactly once: one timeline row per candidate event, and counters counted once.
    assert [row[0] for row in resumed[timeline.name]] == candidate_events
    with engine.connect() as conn:
        contacts = conn.execute(
            select(candidates.c.contacts, func.count())
            .where(candidates.c.name.like("Kandidat %"))
            .group_by(candidates.c.contacts)
        ).all()
        interviews = conn.execute(
            select(candidates.c.interviews).where(candidates.c.round_id.is_not(None))
        ).all()
    assert [tuple(c) for c in contacts] == [(1, BULK_CANDIDATES)]
    assert sorted(i for (i,) in interviews) == [0, 1, 1, 1]
    assert len(resumed[candidates.name]) == BULK_CANDIDATES + 4 + 1  # the repaired one too
    assert len(resumed[rounds.name]) == 1
    # The list sent to the forum reached the other read model(s) too.
    assert any(rows for name, rows in resumed.items() if not name.startswith("hospital_"))

    rebuilt = run(["rebuild", "--from-zero"], settings, tmp_path, page_size=500)
    assert f"from {end} events" in rebuilt.stdout
    assert set(positions(engine).values()) == {end}
    assert snapshot(engine) == resumed
