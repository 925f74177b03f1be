"""The notifications service receives only what a message needs: contact details are not
streamed to it; it asks the log for a candidate's name and e-mail when a message to them is
derived, and keeps no copy of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from helgeland_contracts.log import LogReader
from helgeland_notifications import store
from helgeland_notifications.worker import Worker
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.forum import InvitationKind
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import RECRUITER, Clock, forum_list, municipal
from tests.integration.notify_support import (
    SmtpSink,
    deliveries,
    notify_settings,
    run_until_settled,
    smtp_server,
)

RANA = "1833"


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


@pytest.fixture
async def worker(services: Services, settings: Settings, smtp: SmtpSink) -> AsyncIterator[Worker]:
    built = Worker(notify_settings(settings, smtp))
    yield built
    await built.close()


async def test_the_service_keeps_no_names_yet_mails_the_candidate_by_name(
    services: Services, settings: Settings, worker: Worker, smtp: SmtpSink
) -> None:
    app = services.app
    fl = forum_list(app, shared=2)
    kari, _ = fl.shared
    app.record_contact_details(RECRUITER, kari, "Kari Nordmann", "kari@example.no")
    app.invite(municipal(RANA), kari, RANA, InvitationKind.TOUR, [app.clock() + timedelta(days=3)])
    await run_until_settled(worker)

    # Sealed fields open only with the person's key: without a key lookup, nothing is read.
    blind = LogReader(settings.database_url, settings.database_schema)
    try:
        assert blind.contact_details(str(kari)) is None
    finally:
        blind.close()
    reader = LogReader(settings.database_url, settings.database_schema, keys=worker.keys.key_by_id)
    try:
        streamed, _ = reader.read(0, 10_000)
        assert "Candidate.ContactDetailsRecorded" not in {e.type for e in streamed}
        asked = reader.contact_details(str(kari))
        assert asked is not None
        assert (asked.name, asked.email) == ("Kari Nordmann", "kari@example.no")
    finally:
        reader.close()

    with worker.engine.connect() as conn:
        people = conn.execute(select(store.people)).all()
    assert all((p.name, p.email) == (None, None) for p in people)
    to_kari = [d for d in deliveries(worker) if d.recipient == "kari@example.no"]
    assert [d.status for d in to_kari] == ["delivered"]
    assert "Kari Nordmann" in to_kari[0].body_text
    # Nobody else's name is in a message that was not to them.
    others = [d for d in deliveries(worker) if d.recipient != "kari@example.no"]
    assert not any("Kari Nordmann" in (d.body_text or "") for d in others)
    assert [m.to for m in smtp.mails if m.to == "kari@example.no"] == ["kari@example.no"]
