"""Processes starting together (an API and a projection worker, or two workers) each create
the read models' tables: on PostgreSQL they take turns, so none of them fails on a table the
other created a moment before."""

from __future__ import annotations

import threading

import pytest
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.bootstrap import VERSION_TABLE, all_projections
from helgeland_pipeline.database import Database
from helgeland_pipeline.migrations import LOCATION as MIGRATIONS
from helgeland_pipeline.readside.runner import ProjectionRunner
from helgeland_platform import migrations
from helgeland_platform.keystore import KeyStore
from sqlalchemy import inspect

STARTING = 4


@pytest.mark.postgres
def test_runners_starting_at_once_create_each_table_once_and_all_start(
    postgres_url: str, postgres_schema: str
) -> None:
    database = Database(postgres_url, postgres_schema)
    engines = [database.sync_engine() for _ in range(STARTING)]
    app = PipelineApplication(database.eventsourcing_env(), keys=KeyStore(engines[0]))
    migrations.upgrade(engines[0], MIGRATIONS, VERSION_TABLE, postgres_schema)
    barrier = threading.Barrier(STARTING)
    failures: list[BaseException] = []

    def start(index: int) -> None:
        runners = [
            ProjectionRunner(app, engines[index], projection, schema=postgres_schema)
            for projection in all_projections()
        ]
        barrier.wait()
        try:
            for runner in runners:
                runner.create_tables()
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=start, args=(i,)) for i in range(STARTING)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert failures == []
        expected = {t for p in all_projections() for t in p.metadata.tables}
        assert expected <= set(inspect(engines[0]).get_table_names(schema=postgres_schema))
    finally:
        for engine in engines:
            engine.dispose()
        app.close()
