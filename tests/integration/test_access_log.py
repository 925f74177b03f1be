"""The access log: append-only entries per read, found by candidate or person, paged, and
pruned by the worker after the retention period."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.privacy.access_log import AccessLog, access_log, subjects
from helgeland_pipeline.privacy.access_log_pruning import AccessLogPruner
from helgeland_pipeline.settings import Settings
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import NOW, RECRUITER, Clock

ADMIN = Actor("personvernombud", "Helgelandssykehuset HF", Role.ADMIN)
RANA = Actor("kommuneoverlege-rana", "Rana kommune", Role.MUNICIPALITY, "1833")


@pytest.fixture
async def log(settings: Settings) -> AsyncIterator[AccessLog]:
    services = build_services(settings, migrate=True)
    services.close()
    engine = services.database.async_engine()
    yield AccessLog(engine)
    await engine.dispose()


async def test_entries_are_found_by_candidate_and_by_person_newest_first(log: AccessLog) -> None:
    kari, ola = uuid.uuid4(), uuid.uuid4()
    await log.record(RECRUITER, NOW, "GET", "/candidates/{candidate_id}", [kari])
    await log.record(RANA, NOW, "GET", "/forum/candidates", [kari, ola, kari])
    await log.record(ADMIN, NOW, "GET", "/candidates/{candidate_id}/export", [ola])

    about_kari = await log.entries(candidate=kari)
    assert [(e.person, e.route) for e in about_kari.items] == [
        ("kommuneoverlege-rana", "/forum/candidates"),
        ("recruiter-1", "/candidates/{candidate_id}"),
    ]
    listed = about_kari.items[0]
    assert sorted(listed.candidate_ids) == sorted([kari, ola])  # each candidate once
    assert (listed.organisation, listed.role, listed.municipality) == (
        "Rana kommune",
        "municipality",
        "1833",
    )
    assert listed.at == NOW
    by_rana = await log.entries(person="kommuneoverlege-rana")
    assert [e.route for e in by_rana.items] == ["/forum/candidates"]
    both = await log.entries(candidate=ola, person="personvernombud")
    assert [e.route for e in both.items] == ["/candidates/{candidate_id}/export"]
    assert [e.route for e in await log.about(ola)] == [
        "/forum/candidates",
        "/candidates/{candidate_id}/export",
    ]


async def test_pages_follow_each_other_without_gaps_or_repeats(log: AccessLog) -> None:
    kari = uuid.uuid4()
    for i in range(7):
        await log.record(RECRUITER, NOW + timedelta(seconds=i), "GET", f"/r/{i}", [kari])
    routes: list[str] = []
    cursor = None
    while True:
        page = await log.entries(candidate=kari, limit=3, cursor=cursor)
        routes += [e.route for e in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert routes == [f"/r/{i}" for i in reversed(range(7))]


def test_the_worker_prunes_entries_older_than_the_retention(settings: Settings) -> None:
    clock = Clock()
    services = build_services(settings, clock=clock, migrate=True)
    try:
        asyncio.run(record(services.database.async_engine(), (800, 731, 729, 1)))
        pruner = AccessLogPruner(services.engine, clock, timedelta(days=730), 3600)
        assert pruner.prune_once() == 2
        with services.engine.connect() as conn:
            kept = sorted(conn.execute(select(access_log.c.route)).scalars())
            orphans = conn.execute(
                select(func.count())
                .select_from(subjects)
                .where(subjects.c.entry_id.not_in(select(access_log.c.id)))
            ).scalar_one()
        assert kept == ["/1", "/729"]
        assert orphans == 0
        assert pruner.prune_once() == 0  # twice prunes nothing more
        clock.advance(days=2)
        assert pruner.prune_once() == 1  # /729 is now past the retention
    finally:
        services.close()


def test_the_worker_prunes_on_its_own_with_the_configured_retention(settings: Settings) -> None:
    short = settings.model_copy(update={"access_log_retention_days": 30})
    services = build_services(short, clock=Clock(), migrate=True)
    try:
        asyncio.run(record(services.database.async_engine(), (31, 29)))
        services.start_runners()  # what `serve` and `project` run
        for _ in range(200):
            with services.engine.connect() as conn:
                kept = sorted(conn.execute(select(access_log.c.route)).scalars())
            if kept == ["/29"]:
                break
            time.sleep(0.05)
        assert kept == ["/29"]
    finally:
        services.close()


async def record(engine: AsyncEngine, days_ago: tuple[int, ...]) -> None:
    """One entry per age, each named `/DAYS`."""
    log = AccessLog(engine)
    kari = uuid.uuid4()
    for days in days_ago:
        await log.record(RECRUITER, NOW - timedelta(days=days), "GET", f"/{days}", [kari])
    await engine.dispose()


def test_the_log_refuses_updates_and_deletes_other_than_the_pruning(settings: Settings) -> None:
    clock = Clock()
    services = build_services(settings, clock=clock, migrate=True)
    try:
        asyncio.run(record(services.database.async_engine(), (800, 1)))
        for table in (access_log, subjects):
            for statement in (
                update(table).values(at=NOW),
                delete(table),
                delete(table).where(table.c.at < NOW - timedelta(days=730)),
            ):
                with pytest.raises(DBAPIError, match="append-only"), services.engine.begin() as c:
                    c.execute(statement)
        if services.engine.dialect.name == "postgresql":
            with pytest.raises(DBAPIError, match="append-only"), services.engine.begin() as c:
                c.execute(text("TRUNCATE access_log_subjects, access_log"))
        with services.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(access_log)).scalar_one() == 2
            assert conn.execute(select(func.count()).select_from(subjects)).scalar_one() == 2
        # The pruning's permission lasts for its own transaction, and no longer.
        pruner = AccessLogPruner(services.engine, clock, timedelta(days=730), 3600)
        assert pruner.prune_once() == 1
        with pytest.raises(DBAPIError, match="append-only"), services.engine.begin() as c:
            c.execute(delete(access_log))
        with services.engine.connect() as conn:
            assert list(conn.execute(select(access_log.c.route)).scalars()) == ["/1"]
    finally:
        services.close()
