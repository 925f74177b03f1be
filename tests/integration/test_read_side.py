"""The read side as an operator meets it, on SQLite and PostgreSQL.

A poison event stops only the read models that apply it, and shows in the command's answer
(202), in status (CLI and API), in readiness, in metrics and in the log; an operator's skip
resumes it. A read model being built answers 503, never partial data. Commands wait only for
the read model their caller reads next. Runners stand by and take over from a killed leader.
A new projection version is built beside the live one, which keeps serving until its last
runner is gone. Two installations share one PostgreSQL database in separate schemas.

Every wait here is bounded and generous: nothing depends on the machine's speed.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from asgi_lifespan import LifespanManager
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from fastapi import FastAPI
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.readside import status, versions
from helgeland_pipeline.readside.dispatch import event_class
from helgeland_pipeline.readside.evaluation.tables import VERSION as EVALUATION
from helgeland_pipeline.readside.forum.tables import VERSION as FORUM
from helgeland_pipeline.readside.hospital.tables import VERSION as HOSPITAL
from helgeland_pipeline.readside.runner import ProjectionFailed, ProjectionRunner
from helgeland_pipeline.readside.sql import insert_later
from helgeland_pipeline.settings import Settings
from helgeland_platform.leadership import Leadership
from sqlalchemy import Column, Connection, MetaData, String, Table, inspect, select

from tests.e2e.api import Api
from tests.factories import RECRUITER
from tests.processes import cli_env

NEXT = HOSPITAL + 1  # a version a later release would bring

HELGELAND = Path(sys.executable).with_name("helgeland")
PATIENCE = 60.0  # seconds a bounded wait may take on a loaded machine before the test fails


def fast(settings: Settings, **overrides: Any) -> Settings:
    """Short retries and polls so a test sees recovery quickly (never asserted on)."""
    values = {
        "projection_retry_max_seconds": 0.2,
        "projection_poll_seconds": 0.05,
        "read_your_writes_timeout": 10.0,
        **overrides,
    }
    return settings.model_copy(update=values)


def eventually(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + PATIENCE
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {PATIENCE} s")
        time.sleep(0.05)


def append_poison(services: Services) -> int:
    """An event of a kind the hospital and forum apply, whose stored state cannot be decoded
    (as a corrupted or incompatible event would be); return its position."""
    registered = event_class(Candidate, "Registered")
    poison = StoredEvent(
        originator_id=uuid.uuid4(),
        originator_version=1,
        topic=get_topic(registered),
        state=b'{"broken": ',
    )
    services.app.recorder.insert_events([poison])
    return services.app.recorder.max_notification_id() or 0


def helgeland(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HELGELAND), *args],
        env=cli_env(settings),
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Api]:
    app: FastAPI = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Api(app, client, settings)


def someone() -> dict[str, str]:
    tag = uuid.uuid4().hex[:8]
    return {"name": f"Kandidat {tag}", "email": f"k{tag}@example.no"}


async def test_a_poison_event_stops_only_its_read_models_visibly_until_skipped(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = fast(settings, read_your_writes_timeout=2.0)
    caplog.set_level(logging.INFO, logger="helgeland")
    async with running(settings) as api:
        services = api.services.core
        first = await api.post("/candidates", someone())
        assert first.status_code == 201, first.text
        poison = append_poison(services)

        person = someone()
        second = await api.post("/candidates", person)
        assert second.status_code == 202, second.text
        body = second.json()
        assert body["position"] > poison
        assert second.headers["location"] == "/read-models"
        assert {item["read_model"] for item in body["lagging"]} == {"hospital"}
        assert "hospital" in body["detail"]

        # Read models that do not apply the poison go on.
        evaluation = services.runner("evaluation")
        eventually("evaluation passes the poison", lambda: evaluation.position() >= poison)
        webhooks = services.runner("webhooks")
        eventually("webhooks passes the poison", lambda: webhooks.position() >= poison)

        hospital, forum = services.runner("hospital"), services.runner("forum")
        eventually("both meet the poison", lambda: None not in (hospital.failure, forum.failure))

        # Status, readiness, metrics, the log: all say which read model, where and why.
        admin = api.auth(Role.ADMIN, person="demo-admin", organisation="Helgelandslegen")
        models = {
            m["read_model"]: m for m in (await api.client.get("/read-models", headers=admin)).json()
        }
        failure = models["hospital"]["failure"]
        assert models["hospital"]["failing"] is True
        assert (failure["position"], failure["event_type"]) == (poison, "Candidate.Registered")
        assert failure["error"].startswith("MapperDeserialisationError")
        assert models["forum"]["failing"] is True
        assert models["evaluation"]["failing"] is False
        ready = await api.client.get("/health/ready")
        assert ready.status_code == 503
        reasons = {p["component"]: p["reason"] for p in ready.json()["problems"]}
        assert f"failing at event {poison}" in reasons[f"read model hospital@v{HOSPITAL}"]
        assert (await api.client.get("/health/live")).status_code == 200
        metrics = (await api.client.get("/metrics")).text
        failing = 'helgeland_read_model_failing{{read_model="{}",version="{}"}} {}'
        assert failing.format("hospital", HOSPITAL, "1.0") in metrics
        assert failing.format("evaluation", EVALUATION, "0.0") in metrics
        failed = [r for r in caplog.records if r.getMessage() == "projection failed"]
        assert any(getattr(r, "fields", {}).get("position") == poison for r in failed)
        assert not any(
            person["name"] in r.getMessage() + str(getattr(r, "fields", "")) for r in caplog.records
        )

        # The operator looks, then steps over the poison for each read model it stopped.
        shown = helgeland(settings, "projections", "status")
        assert shown.returncode == 1, shown.stderr
        assert f"hospital@v{HOSPITAL}" in shown.stdout
        assert str(poison) in shown.stdout
        for name in ("hospital", "forum"):
            skipped = helgeland(
                settings,
                "projections",
                "skip",
                "--projection",
                name,
                "--event",
                str(poison),
                "--reason",
                "corrupt event, see incident 42",
                "--by",
                "ops-kari",
            )
            assert skipped.returncode == 0, skipped.stderr
        again = helgeland(
            settings,
            "projections",
            "skip",
            "--projection",
            "hospital",
            "--event",
            str(poison),
            "--reason",
            "twice",
        )
        assert again.returncode != 0
        assert len(again.stderr.strip().splitlines()) == 1

        eventually("hospital resumes", lambda: hospital.position() >= body["position"])
        found = await api.client.get(f"/candidates/{body['id']}", headers=api.auth())
        assert found.status_code == 200
        assert found.json()["name"] == person["name"]
        eventually("the failure is cleared", lambda: hospital.failure is None)
        forum = services.runner("forum")
        eventually(
            "forum resumes too", lambda: forum.failure is None and forum.position() >= poison
        )
        after = helgeland(settings, "projections", "status", "--json")
        assert after.returncode == 0, after.stdout
        assert "ops-kari" in after.stdout
        assert "corrupt event, see incident 42" in after.stdout


async def test_a_read_model_being_built_answers_503_not_partial_data(settings: Settings) -> None:
    settings = fast(settings)
    seeded = build_services(settings)
    try:
        seeded.app.register_candidate(RECRUITER, "Kari Nordmann", "kari@example.no", None)
        seeded.catch_up()
    finally:
        seeded.close()
    # Another process holds the hospital read model's leadership and has not built it:
    # here, the test holds it and the version is registered as not yet live.
    services = build_services(settings)
    hospital = services.runner("hospital")
    hospital.drop_tables()  # as a new version that has not been built yet
    hospital.create_tables()
    assert not hospital.live
    holder = Leadership(services.engine, settings.database_schema, f"hospital@v{HOSPITAL}")
    assert holder.acquire()
    try:
        async with running(settings) as api:
            answer = await api.client.get("/candidates", headers=api.auth())
            assert answer.status_code == 503
            assert answer.headers["content-type"] == "application/problem+json"
            assert "being built" in answer.json()["detail"]
            ready = await api.client.get("/health/ready")
            assert ready.status_code == 503
            assert "being built" in str(ready.json()["problems"])
            holder.release()
            runner = api.services.core.runner("hospital")
            eventually("the new leader catches up and goes live", lambda: runner.live)
            answer = await api.client.get("/candidates", headers=api.auth())
            assert answer.status_code == 200
            assert [c["name"] for c in answer.json()["items"]] == ["Kari Nordmann"]
    finally:
        holder.release()
        services.close()


async def test_a_command_waits_only_for_the_read_model_its_caller_reads_next(
    settings: Settings,
) -> None:
    settings = fast(settings, read_your_writes_timeout=1.0)
    services = build_services(settings)
    forum = Leadership(services.engine, settings.database_schema, f"forum@v{FORUM}")
    assert forum.acquire()  # the forum read model cannot move while the test holds it
    try:
        async with running(settings) as api:
            answer = await api.post("/candidates", someone())
            assert answer.status_code == 201, answer.text
            runners = api.services.core
            assert runners.runner("hospital").position() >= answer.json()["position"]
            assert runners.runner("forum").position() < answer.json()["position"]
    finally:
        forum.release()
        services.close()


def test_a_standby_takes_over_when_the_active_runner_is_killed(
    settings: Settings, tmp_path: Path
) -> None:
    settings = fast(settings)
    build_services(settings).close()  # tables and registrations exist before either starts
    worker = subprocess.Popen(
        [str(HELGELAND), "project"],
        env=cli_env(settings) | {"HELGELAND_PROJECTION_POLL_SECONDS": "0.05"},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    services = build_services(settings)
    try:
        keys = [runner.key for runner in services.runners]
        eventually(
            "the worker process leads every read model",
            lambda: (
                not any(
                    Leadership.is_free(services.engine, settings.database_schema, k) for k in keys
                )
            ),
        )
        services.start_runners()
        saved = services.app.register_candidate(RECRUITER, "Kari Nordmann", "kari@example.no", None)
        eventually(
            "the worker applies it",
            lambda: all(r.position() >= saved.position for r in services.runners),
        )
        assert not any(runner.leading for runner in services.runners)  # standing by

        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
        later = services.app.register_candidate(RECRUITER, "Ola Nordmann", "ola@example.no", None)
        eventually("the standbys lead", lambda: all(r.leading for r in services.runners))
        assert services.wait_for(later) == []
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        services.close()


class RegisteredNext:
    """A new version of the hospital read model, as a deploy would bring: its own table."""

    name = "hospital"
    version = NEXT
    metadata = MetaData()
    registered = Table(
        f"hospital_v{NEXT}_registered",
        metadata,
        Column("candidate_id", String(36), primary_key=True),
    )
    event_classes = frozenset({event_class(Candidate, "Registered")})
    retired_tables = ()

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        conn.execute(self.registered.insert().values(candidate_id=str(event.originator_id)))


def test_a_new_version_is_built_beside_the_live_one_which_serves_until_its_runner_is_gone(
    settings: Settings,
) -> None:
    old = build_services(settings)
    old.start_runners()
    first = old.app.register_candidate(RECRUITER, "Kari Nordmann", "kari@example.no", None)
    assert old.wait_for(first) == []
    eventually("the live version leads", lambda: old.runner("hospital").leading)

    # The new release's worker builds the next version from the log while the live one keeps
    # running and serving.
    new = ProjectionRunner(old.app, old.engine, RegisteredNext(), schema=settings.database_schema)
    try:
        new.create_tables()
        assert not new.live
        new.catch_up()
        assert new.live
        tables = set(inspect(old.engine).get_table_names())
        assert {f"hospital_v{HOSPITAL}_candidates", f"hospital_v{NEXT}_registered"} <= tables
        second = old.app.register_candidate(RECRUITER, "Ola Nordmann", "ola@example.no", None)
        assert old.wait_for(second) == []  # the old version goes on, no conflict
        new.catch_up()
        with old.engine.connect() as conn:
            assert len(conn.execute(select(RegisteredNext.registered)).all()) == 2
            assert versions.state(conn, f"hospital@v{HOSPITAL}") == versions.LIVE
    finally:
        old.close()

    # The last runner of the live version is gone: the next retires it, tables, position and
    # registration.
    assert new.retire_older_versions() == [f"hospital@v{HOSPITAL}"]
    tables = set(inspect(new.engine).get_table_names())
    assert f"hospital_v{HOSPITAL}_candidates" not in tables
    assert f"hospital_v{NEXT}_registered" in tables
    with new.engine.connect() as conn:
        assert versions.state(conn, f"hospital@v{HOSPITAL}") is None
    new.engine.dispose()


@pytest.fixture
def two_new_schemas(postgres_url: str) -> Iterator[list[str]]:
    """Two schema names that do not exist yet: the services must create them."""
    names = [f"t_{uuid.uuid4().hex[:16]}" for _ in range(2)]
    yield names
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.mark.postgres
def test_two_installations_in_separate_schemas_of_one_database_both_work(
    postgres_url: str, two_new_schemas: list[str], tmp_path: Path
) -> None:
    installations = [
        build_services(
            fast(
                Settings(
                    database_url=postgres_url,
                    database_schema=schema,
                    data_dir=tmp_path / schema,
                    demo=True,
                )
            )
        )
        for schema in two_new_schemas
    ]
    try:
        for services in installations:
            services.start_runners()
        runners = [runner for services in installations for runner in services.runners]
        eventually("each leads its own", lambda: all(runner.leading for runner in runners))
        for n, services in enumerate(installations):
            saved = services.app.register_candidate(
                RECRUITER, f"Kandidat {n}", "k@example.no", None
            )
            assert services.wait_for(saved) == []
    finally:
        for services in installations:
            services.close()


class QueuedRows:
    """Queues one row per registration; the third collides with the first when written."""

    name = "queued"
    version = 1
    metadata = MetaData()
    rows = Table("queued_v1_rows", metadata, Column("key", String(36), primary_key=True))
    event_classes = frozenset({event_class(Candidate, "Registered")})
    retired_tables = ()

    def __init__(self, first: int, colliding: int) -> None:
        self.first, self.colliding = first, colliding

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        key = self.first if position == self.colliding else position
        insert_later(conn, self.rows, key=str(key))


def test_a_row_written_with_its_page_that_fails_is_traced_to_its_event(settings: Settings) -> None:
    services = build_services(settings)
    try:
        saved = [
            services.app.register_candidate(RECRUITER, f"Kandidat {n}", "k@example.no", None)
            for n in range(3)
        ]
        third = saved[2].position - 1  # Registered, then ContactDetailsRecorded
        projection = QueuedRows(first=saved[0].position - 1, colliding=third)
        runner = ProjectionRunner(services.app, services.engine, projection, page_size=500)
        runner.create_tables()
        with pytest.raises(ProjectionFailed) as failed:
            runner.catch_up()
        assert failed.value.position == third
        assert runner.position() == 0
        with services.engine.connect() as conn:
            assert conn.execute(select(QueuedRows.rows)).all() == []
            failure = status.read_failure(conn, runner.key)
        assert failure is not None
        assert failure.position == third
    finally:
        services.close()
