"""Migrations of the state that cannot be rebuilt, tried as an operator upgrading would.

A database made by the previous release (its tables, no migration history, read models in
unversioned tables) is migrated by `helgeland migrate` and `helgeland-notify migrate` as
processes; the services then start on it, build the versioned read models from the log and
drop the old tables. Outside demo mode, a database left behind is refused in one line.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import Mapper
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.bootstrap import VERSION_TABLE, build_services
from helgeland_pipeline.database import Database
from helgeland_pipeline.migrations import LOCATION as MIGRATIONS
from helgeland_pipeline.readside.hospital.tables import VERSION as HOSPITAL_VERSION
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.settings import Settings
from helgeland_platform import migrations
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    inspect,
    select,
)

from tests.factories import RECRUITER
from tests.processes import cli_env

BIN = Path(sys.executable).parent


class _PreviousRelease(PipelineApplication):
    """The release before personal fields were sealed: names stored in the clear."""

    name = "Pipeline"  # the same log (PostgreSQL names its tables after the application)

    def construct_mapper(self) -> Mapper[UUID]:
        return Application.construct_mapper(self)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        return Application.save(self, *objs, **kwargs)


def previous_release(settings: Settings) -> None:
    """What the release before migrations left: events, its tracking and read-model tables."""
    services = build_services(settings, migrate=True)
    database = Database(settings.database_url, settings.database_schema)
    old_app = _PreviousRelease(database.eventsourcing_env(), keys=services.app.keys)
    try:
        old_app.register_candidate(RECRUITER, "Kari Nordmann", "kari@example.no", None)
        old_app.register_candidate(RECRUITER, "Ola Nordmann", "ola@example.no", None)
        end = old_app.recorder.max_notification_id()
    finally:
        old_app.close()
        services.close()
    engine = Database(settings.database_url, settings.database_schema).sync_engine()
    try:
        names = set(inspect(engine).get_table_names())
        with engine.begin() as conn:
            for name in names:  # everything but the event store goes: then the old tables
                if not name.endswith(("_events", "_tracking")) and not name.startswith("notify_"):
                    conn.exec_driver_sql(f'DROP TABLE "{name}"')
            conn.exec_driver_sql('DROP TABLE IF EXISTS "projection_tracking"')
        old = MetaData()
        tracking = Table(
            "projection_tracking",
            old,
            Column("projection", String(100), primary_key=True),
            Column("position", BigInteger, nullable=False),
        )
        hospital = Table(
            "hospital_candidates", old, Column("candidate_id", String(36), primary_key=True)
        )
        Table("forum_people", old, Column("candidate_id", String(36), primary_key=True))
        old.create_all(engine)
        with engine.begin() as conn:
            conn.execute(tracking.insert(), [{"projection": "hospital@v3", "position": end}])
            conn.execute(hospital.insert(), [{"candidate_id": "from-the-old-release"}])
    finally:
        engine.dispose()


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        env=cli_env(settings),
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_a_database_of_the_previous_release_is_migrated_and_served(settings: Settings) -> None:
    previous_release(settings)
    plain = settings.model_copy(update={"demo": False})

    refused = cli(plain, "helgeland", "projections", "status")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert "helgeland migrate" in refused.stderr

    migrated = cli(plain, "helgeland", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"from nothing to {migrations.head(MIGRATIONS, VERSION_TABLE)}" in migrated.stdout
    again = cli(plain, "helgeland", "migrate")
    assert "nothing to do" in again.stdout
    notify = cli(plain, "helgeland-notify", "migrate")
    assert notify.returncode == 0, notify.stderr

    services = build_services(plain)  # not demo: it must find the database migrated
    try:
        engine = services.engine
        assert migrations.current(engine, VERSION_TABLE) == migrations.head(
            MIGRATIONS, VERSION_TABLE
        )
        assert {"projection_failures", "projection_skips", "idempotency_keys"} <= tables(engine)
        services.catch_up()
        with engine.connect() as conn:
            names = sorted(conn.execute(select(candidates.c.name)).scalars())
        assert names == ["Kari Nordmann", "Ola Nordmann"]
        # The old release's read models and positions are gone once the new ones are live (a
        # runner of the old release would hold its lock: the next catch-up tries again).
        for _ in range(50):
            if not {"hospital_candidates", "forum_people"} & tables(engine):
                break
            services.catch_up()
        assert not {"hospital_candidates", "forum_people"} & tables(engine)
        assert services.runner("hospital").key == f"hospital@v{HOSPITAL_VERSION}"
    finally:
        services.close()
