"""The re-certification notice, cycle after cycle: 90 days before each due date, to the doctor
and to the municipality that employs them, naming its employee. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest
from helgeland_notifications import store
from helgeland_notifications.worker import Worker
from helgeland_pipeline.app_career import Correction
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.career import Career
from helgeland_pipeline.domain.common import programme_day
from helgeland_pipeline.settings import Settings

from tests.factories import FORUM, RANA, RECRUITER, Clock, forum_list, municipal
from tests.integration.notify_support import SmtpSink, deliveries, smtp_server
from tests.integration.test_notifications_e2e import named, offer
from tests.integration.test_notifications_faults import DEAD_SCHEDULE, RECIPIENTS, make_worker


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


def doctor_in_rana(services: Services, clock: Clock) -> tuple[UUID, str]:
    """Kari: recruited by Rana, LIS1 started, LIS3 in Rana 540 days later."""
    app = services.app
    fl = forum_list(app, shared=1)
    [kari] = fl.shared
    email = named(services, kari, "Kari Nordmann")
    app.accept_lis3_offer(FORUM, kari, offer(services, fl, kari, RANA))
    app.start_lis1(RECRUITER, kari)
    clock.advance(days=640)
    app.start_lis3(municipal(RANA), kari)
    return kari, email


def notices(worker: Worker) -> list[tuple[str, str, str, date]]:
    """Re-certification notices: status, audience, recipient, and the day they go out."""
    return sorted(
        (r.status, r.audience, r.recipient, r.next_attempt_at.date())
        for r in deliveries(worker)
        if "Resertifisering" in (r.subject or "")
    )


def notice_day(certified_on: date) -> date:
    return certified_on.replace(year=certified_on.year + 5) - timedelta(days=90)


async def test_the_second_cycle_is_noticed_90_days_before_it_is_due(
    services: Services, settings: Settings, clock: Clock, smtp: SmtpSink
) -> None:
    kari, kari_email = doctor_in_rana(services, clock)
    rana = RECIPIENTS.municipalities[RANA]
    app = services.app
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        clock.advance(days=4 * 365)
        approved = programme_day(clock.now)
        app.record_milestone(municipal(RANA), kari, Career.approve_specialist)
        worker.derive_all()
        first = notice_day(approved)
        assert notices(worker) == [
            ("pending", "candidate", kari_email, first),
            ("pending", "municipality", rana, first),
        ]
        # The first cycle's notices go out; re-certified a month before it is due.
        with worker.engine.begin() as conn:
            conn.execute(
                store.deliveries.update()
                .where(store.deliveries.c.status == "pending")
                .values(next_attempt_at=worker.clock())
            )
        await worker.run(asyncio.Event(), until_idle=True)
        clock.advance(days=5 * 365 - 30)
        recertified = programme_day(clock.now)
        app.record_milestone(municipal(RANA), kari, Career.recertify)
        worker.derive_all()
        second = notice_day(recertified)
        found = notices(worker)
        assert [n[:3] for n in found if n[0] == "delivered"] == [
            ("delivered", "candidate", kari_email),
            ("delivered", "municipality", rana),
        ]
        assert [n for n in found if n[0] == "pending"] == [
            ("pending", "candidate", kari_email, second),
            ("pending", "municipality", rana, second),
        ]
        [to_rana] = [
            r
            for r in deliveries(worker)
            if r.status == "pending" and r.audience == "municipality" and r.channel == "email"
        ]
        due = recertified.replace(year=recertified.year + 5).isoformat()
        assert "Kari Nordmann, lege i Rana kommune, må fornye" in (to_rana.body_text or "")
        assert due in (to_rana.subject or "")
        assert kari_email not in (to_rana.body_text or "")
        assert str(to_rana.candidate_id) == str(kari)

        # Re-dated: the second cycle's notices move with it; the earlier date's are cancelled.
        earlier = recertified - timedelta(days=20)
        app.correct_milestone(municipal(RANA), kari, 4, Correction(earlier, None, "Feil dato"))
        worker.derive_all()
        pending = [n for n in notices(worker) if n[0] == "pending"]
        assert pending == [
            ("pending", "candidate", kari_email, notice_day(earlier)),
            ("pending", "municipality", rana, notice_day(earlier)),
        ]
        assert [n[0] for n in notices(worker)].count("cancelled") == 2
    finally:
        await worker.close()


async def test_recertified_before_the_notice_cancels_the_earlier_cycles_notice(
    services: Services, settings: Settings, clock: Clock, smtp: SmtpSink
) -> None:
    kari, _ = doctor_in_rana(services, clock)
    app = services.app
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        clock.advance(days=365)
        app.record_milestone(municipal(RANA), kari, Career.approve_specialist)
        clock.advance(days=3 * 365)  # a year and more before the first notice
        recertified = programme_day(clock.now)
        app.record_milestone(municipal(RANA), kari, Career.recertify)
        worker.derive_all()
        found = notices(worker)
    finally:
        await worker.close()
    assert [n[0] for n in found].count("cancelled") == 2
    assert {n[3] for n in found if n[0] == "pending"} == {notice_day(recertified)}


async def test_the_employers_notice_stays_when_consent_to_sharing_is_withdrawn(
    services: Services, settings: Settings, clock: Clock, smtp: SmtpSink
) -> None:
    kari, _ = doctor_in_rana(services, clock)
    app = services.app
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        clock.advance(days=365)
        app.record_milestone(municipal(RANA), kari, Career.approve_specialist)
        app.withdraw_consent(FORUM, kari)
        worker.derive_all()
        found = notices(worker)
        app.erase_candidate(RECRUITER, kari, "Ba om sletting")
        worker.derive_all()
        after_erasure = [r for r in deliveries(worker) if "Kari" in (r.body_text or "")]
    finally:
        await worker.close()
    assert {(n[0], n[1]) for n in found} == {("pending", "candidate"), ("pending", "municipality")}
    assert after_erasure == []
