"""Catching read models up together: one read and one decode of each page for all of them,
the same tables as each on its own, and a rebuild that goes on from where it stopped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import Notification
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.national import NationalHistory
from helgeland_pipeline.readside.runner import catch_up_together
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=lambda: NOW, migrate=True)
    NationalHistory(built.app, 80, seed=11, years=4).run()
    yield built
    built.close()


def tables(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    with services.engine.connect() as conn:
        for runner in services.runners:
            for name, table in sorted(runner.projection.metadata.tables.items()):
                rows = conn.execute(select(table)).all()
                found[name] = sorted((tuple(str(v) for v in row) for row in rows), key=str)
    return found


def rebuild_from_zero(services: Services) -> None:
    for runner in services.runners:
        runner.drop_tables()
        runner.create_tables()


def test_together_builds_the_same_tables_as_each_alone_decoding_each_event_once(
    services: Services,
) -> None:
    for runner in services.runners:
        runner.catch_up()
    alone = tables(services)
    rebuild_from_zero(services)
    decoded: list[int] = []
    mapper: Any = services.app.mapper
    original = mapper.to_domain_event

    def counting(stored: Any) -> Any:
        if isinstance(stored, Notification):  # not the forum's own lookups of contact details
            decoded.append(stored.id)
        return original(stored)

    mapper.to_domain_event = counting
    try:
        head = catch_up_together(services.runners)
    finally:
        mapper.to_domain_event = original
    assert head == services.app.recorder.max_notification_id()
    assert all(r.position() == head for r in services.runners)
    assert tables(services) == alone
    assert len(decoded) == len(set(decoded)) > 0


class Interrupted(Exception):
    pass


def test_a_stopped_rebuild_goes_on_from_where_it_stopped(services: Services) -> None:
    catch_up_together(services.runners)
    whole = tables(services)
    head = services.app.recorder.max_notification_id() or 0
    rebuild_from_zero(services)
    reached: list[int] = []

    def stop_after_the_first_page(position: int) -> None:
        reached.append(position)
        raise Interrupted

    with pytest.raises(Interrupted):
        catch_up_together(services.runners, stop_after_the_first_page, page_size=50)
    stopped_at = min(r.position() for r in services.runners)
    assert 0 < stopped_at < head
    assert reached == [stopped_at]
    positions: list[int] = []
    catch_up_together(services.runners, positions.append, page_size=50)
    assert positions[0] > stopped_at
    assert positions == sorted(positions)
    assert tables(services) == whole
