"""A projection worker killed mid-run resumes without losing or repeating an event.

The worker runs as a real process (`helgeland project --until-caught-up`) on the same store as
the test, on SQLite and on PostgreSQL. It is killed with SIGKILL while it is part-way through
the log, restarted, and its read models must then equal a full `helgeland rebuild`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helgeland_pipeline.bootstrap import all_projections, build_services
from helgeland_pipeline.database import Database
from helgeland_pipeline.domain.candidates import CareerPreference, ContactKind, LocalConnection
from helgeland_pipeline.projections.hospital import candidates, rounds, timeline
from helgeland_pipeline.projections.tracking import tracking
from helgeland_pipeline.settings import Settings
from sqlalchemy import Engine, func, select

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


def fill_the_log(settings: Settings) -> tuple[int, list[int]]:
    """Write a few thousand events without projecting them; return the end and candidate events."""
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
        for n in range(BULK_CANDIDATES):
            cid = app.register_candidate(RECRUITER, f"Kandidat {n}", f"k{n}@example.no").id
            app.record_student_contact(RECRUITER, cid, ContactKind.CAMPUS_VISIT)
        end = app.recorder.max_notification_id() or 0
        log = app.recorder.select_notifications(start=0, limit=end + 1)
        assert [n.id for n in log][-1] == end
        candidate_events = [n.id for n in log if ":Candidate." in n.topic]
    finally:
        services.close()
    return end, candidate_events


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
    end, candidate_events = fill_the_log(settings)
    assert end > 2000
    assert set(positions(engine).values()) == {0}, "nothing is projected before the worker runs"

    log_file = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(HELGELAND), "project", "--until-caught-up"],
        env=worker_env(settings),
        cwd=tmp_path,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        # Kill it well into the log, with pages still to go.
        while not any(end // 4 <= p < end for p in positions(engine).values()):
            if worker.poll() is not None:
                output = (tmp_path / "worker.log").read_text()
                pytest.fail(f"the worker finished before it could be killed:\n{output}")
            assert time.monotonic() < deadline, "the worker never got going"
            time.sleep(0.002)
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
    assert any(0 < p < end for p in at_kill.values()), at_kill
    with engine.connect() as conn:
        rows = [r.position for r in conn.execute(select(timeline.c.position)).all()]
    assert sorted(rows) == [p for p in candidate_events if p <= hospital]

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
    assert len(resumed[candidates.name]) == BULK_CANDIDATES + 4
    assert len(resumed[rounds.name]) == 1
    # The list sent to the forum reached the other read model(s) too.
    assert any(rows for name, rows in resumed.items() if not name.startswith("hospital_"))

    rebuilt = run(["rebuild", "--from-zero"], settings, tmp_path, page_size=500)
    assert f"from {end} events" in rebuilt.stdout
    assert set(positions(engine).values()) == {end}
    assert snapshot(engine) == resumed
