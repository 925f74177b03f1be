"""The notifications service under faults, on SQLite and on PostgreSQL.

Receivers that fail and recover, receivers that never recover (dead letters, listed and
redelivered through the service's own API), a message scheduled years ahead (re-certification),
and the worker killed with SIGKILL at random moments while it derives and delivers.
Every receiver is real: an aiosmtpd server and an HTTP endpoint that verifies each signature
with the Standard Webhooks reference implementation.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helgeland_notifications import store
from helgeland_notifications.api import create_api
from helgeland_notifications.auth import Verifier
from helgeland_notifications.messages import Recipients
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import Worker, make_engine
from helgeland_pipeline.app_career import left
from helgeland_pipeline.bootstrap import Services, build_services, demo_issuer
from helgeland_pipeline.domain.career import Career, Destination, LeavingReason
from helgeland_pipeline.domain.common import Role, programme_day
from helgeland_pipeline.settings import Settings
from sqlalchemy import Engine, func, select

from tests.factories import FORUM, NOW, RANA, RECRUITER, VEFSN, Clock, forum_list, municipal
from tests.integration.notify_support import (
    Mail,
    SmtpSink,
    WebhookReceiver,
    _Handler,
    _Server,
    deliveries,
    notify_env,
    notify_settings,
    run_until_settled,
    scheduled,
    smtp_server,
)
from tests.integration.test_notifications_e2e import invite, named, offer, subscribe

BRONNOY = "1813"
BINDAL = "1811"
RECIPIENTS = Recipients.load(None)
LIST_SUBJECT = "Helgelandslegen: LIS1-listen for LIS1 vår 2027 er sendt til forumet"
PROBLEM = "application/problem+json"


# --- a receiver that also remembers its failed attempts ----------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One request as it arrived, whatever the receiver answered."""

    path: str
    webhook_id: str
    body_sha256: str
    status: int
    at: float  # time.monotonic() on arrival


@dataclass
class RecordingReceiver(WebhookReceiver):
    """`WebhookReceiver`, also keeping the id and body of the requests it refused."""

    seen: list[Attempt] = field(default_factory=list)

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        arrived = time.monotonic()
        status = super().handle(path, headers, body)
        digest = hashlib.sha256(body).hexdigest()
        with self.lock:
            self.seen.append(Attempt(path, headers.get("webhook-id", ""), digest, status, arrived))
        return status

    def tries(self, key: str) -> list[Attempt]:
        with self.lock:
            return [a for a in self.seen if a.webhook_id == key]


@contextmanager
def recording_receiver() -> Iterator[RecordingReceiver]:
    """Like `notify_support.webhook_receiver`, with a `RecordingReceiver` behind it."""
    server = _Server(("127.0.0.1", 0), _Handler)
    receiver = RecordingReceiver(port=int(server.server_address[1]))
    server.receiver = receiver
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    """The pipeline's clock (the time commands are stamped with)."""
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


@pytest.fixture
def receiver() -> Iterator[RecordingReceiver]:
    with recording_receiver() as running:
        yield running


def make_worker(
    settings: Settings, smtp: SmtpSink, retry: list[float], clock: Clock | None = None
) -> Worker:
    notify = notify_settings(settings, smtp, retry)
    assert notify.retry_schedule_seconds == retry
    rng = random.Random(1811)
    if clock is None:
        return Worker(notify, rng=rng)
    return Worker(notify, clock=clock, rng=rng)


async def wait_until(check: Callable[[], bool], limit: float = 10.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, f"not within {limit} s"
        await asyncio.sleep(0.02)


def by_key(worker: Worker) -> dict[str, Any]:
    return {r.key: r for r in deliveries(worker)}


# --- 1. a receiver that fails, then recovers --------------------------------------------------

# Exponential and short: each wait is clearly longer than the one before, even with jitter.
SHORT_SCHEDULE = [0.2, 1.0, 2.0]
JITTER = 0.2  # what notify_settings uses
# A retry is due `wait` after the start of the batch that failed (the worker reads its clock
# once per batch), so it may come that much sooner after the failed request itself.
BATCH = 0.1


async def test_a_receiver_that_fails_then_recovers_gets_each_delivery_once_under_one_key(
    services: Services, settings: Settings, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    worker = make_worker(settings, smtp, SHORT_SCHEDULE)
    try:
        fl = forum_list(services.app, shared=2, send=False)
        kari = fl.shared[0]
        kari_email = named(services, kari, "Kari Nordmann")
        types = ["forum_list_sent", "invitation_sent", "lis3_offered"]
        subscribe(services, receiver, municipal(RANA), "/rana", types)
        subscribe(services, receiver, FORUM, "/forum", types)
        subscribe(services, receiver, municipal(VEFSN), "/vefsn", types)
        subscribe(services, receiver, municipal(BRONNOY), "/bronnoy", ["forum_list_sent"])
        # Brønnøy has one delivery and refuses it three times: every step of the schedule runs.
        receiver.fail("/bronnoy", 3)
        # Rana and the forum have three deliveries each; the failures fall on the first ones.
        receiver.fail("/rana", 2)
        receiver.fail("/forum", 1)
        smtp.failing[kari_email] = 2  # a 451 for Kari's first two messages

        services.app.send_list_to_forum(RECRUITER, fl.round_id)
        invite(services, kari, RANA)
        offer(services, fl, kari, RANA)
        await run_until_settled(worker, limit=30)
        derived = by_key(worker)
        # The offer's reminder is due days from now: it is not part of this.
        later = [r for r in derived.values() if scheduled(worker, r)]
        assert [r.subject[:11] for r in later] == ["Påminnelse:"]
        rows = {k: r for k, r in derived.items() if not scheduled(worker, r)}
    finally:
        await worker.close()

    # Every delivery ended delivered, its attempts counted; the failures are the ones asked for.
    assert rows
    assert {r.status for r in rows.values()} == {"delivered"}
    assert all(r.last_error is None for r in rows.values())
    webhook_rows = {k: r for k, r in rows.items() if r.channel == "webhook"}
    paths = {"/rana": 3, "/forum": 3, "/vefsn": 1, "/bronnoy": 1}  # deliveries per path
    failures = {"/rana": 2, "/forum": 1, "/vefsn": 0, "/bronnoy": 3}
    for path, count in paths.items():
        mine = [r for r in webhook_rows.values() if r.recipient == receiver.url(path)]
        assert len(mine) == count, path
        assert sum(r.attempts for r in mine) == count + failures[path], path
        statuses = Counter(status for p, status in receiver.attempts if p == path)
        assert statuses == {204: count, 500: failures[path]} if failures[path] else {204: count}
    [bronnoy] = [r for r in webhook_rows.values() if r.recipient == receiver.url("/bronnoy")]
    assert bronnoy.attempts == len(SHORT_SCHEDULE) + 1

    # Each webhook arrived exactly once successfully, and every attempt carried its row's key as
    # webhook-id and the same body: a retry is the same message, not a new one.
    assert receiver.unverified == []
    hooks = Counter(h.key for h in receiver.snapshot())
    assert hooks == dict.fromkeys(webhook_rows, 1)
    assert {a.webhook_id for a in receiver.seen} == set(webhook_rows)
    for key, row in webhook_rows.items():
        tries = receiver.tries(key)
        assert len(tries) == row.attempts, key
        assert [t.status for t in tries] == [500] * (row.attempts - 1) + [204], key
        assert len({t.body_sha256 for t in tries}) == 1, key
        assert {t.path for t in tries} == {row.recipient.removeprefix(receiver.url(""))}

    # The real backoff ran: attempt n+1 came no sooner than schedule[n] (less the jitter). No
    # upper bound: how late a retry comes depends on the machine's load, not on the schedule.
    times = [t.at for t in receiver.tries(bronnoy.key)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) == len(SHORT_SCHEDULE)
    for gap, step in zip(gaps, SHORT_SCHEDULE, strict=True):
        assert step * (1 - JITTER) - BATCH <= gap, (gaps, step)

    # E-mail: Kari's two messages were refused twice in all, then each arrived once.
    kari_rows = [r for r in rows.values() if r.recipient == kari_email]
    assert len(kari_rows) == 2
    assert sum(r.attempts for r in kari_rows) == 2 + 2
    assert smtp.refused == [kari_email, kari_email]
    to_kari = smtp.to(kari_email)
    assert sorted(m.key for m in to_kari) == sorted(r.key for r in kari_rows)
    email_rows = {k for k, r in rows.items() if r.channel == "email"}
    assert Counter(m.key for m in smtp.snapshot()) == dict.fromkeys(email_rows, 1)


# --- 2. a receiver that never recovers: dead letters, listed and redelivered -------------------


def horizon(schedule: list[float], jitter: float) -> tuple[float, float]:
    """From the first attempt to dead-lettering: nominal and shortest (all jitter negative)."""
    total = sum(schedule)
    return total, total * (1 - jitter)


def default_notify_settings(monkeypatch: pytest.MonkeyPatch) -> NotifySettings:
    for name in [n for n in os.environ if n.startswith("HELGELAND_")]:
        monkeypatch.delenv(name)
    return NotifySettings()


async def test_by_default_a_failing_delivery_is_retried_for_more_than_a_day_then_dead(
    services: Services,
    settings: Settings,
    smtp: SmtpSink,
    receiver: RecordingReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = default_notify_settings(monkeypatch)
    schedule, jitter = defaults.retry_schedule_seconds, defaults.retry_jitter
    nominal, shortest = horizon(schedule, jitter)
    # At least a day even when every wait draws the shortest jitter.
    assert shortest >= timedelta(days=1).total_seconds(), f"{shortest / 3600:.1f} h"
    assert 0 <= jitter < 1
    assert all(a <= b for a, b in itertools.pairwise(schedule)), "waits never shrink"

    # The worker follows that schedule: driven by its clock, from first attempt to dead.
    clock = Clock(NOW)
    notify = notify_settings(settings, smtp).model_copy(
        update={"retry_schedule_seconds": schedule, "retry_jitter": jitter}
    )
    worker = Worker(notify, clock=clock, rng=random.Random(1812))
    try:
        subscribe(services, receiver, municipal(RANA), "/rana", ["forum_list_sent"])
        receiver.fail("/rana", -1)
        forum_list(services.app, shared=1)
        worker.derive_all()
        [key] = [r.key for r in deliveries(worker) if r.channel == "webhook"]
        attempts_at: list[datetime] = []
        while True:
            assert len(attempts_at) <= len(schedule), "never dead-lettered"
            attempts_at.append(clock.now)
            await worker.deliver_due()
            row = by_key(worker)[key]
            if row.status == "dead":
                break
            assert row.status == "pending"
            # Not due a moment earlier.
            clock.now = row.next_attempt_at - timedelta(seconds=1)
            assert await worker.deliver_due() == 0
            clock.now = row.next_attempt_at
    finally:
        await worker.close()
    assert row.attempts == len(schedule) + 1 == len(attempts_at)
    assert len(receiver.tries(key)) == len(schedule) + 1
    waits = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts_at)]
    for wait, step in zip(waits, schedule, strict=True):
        assert step * (1 - jitter) - 1e-3 <= wait <= step * (1 + jitter) + 1e-3, (wait, step)
    assert len(set(waits)) == len(waits)  # jittered
    measured = (attempts_at[-1] - attempts_at[0]).total_seconds()
    assert shortest - 1 <= measured <= nominal * (1 + jitter) + 1


DEAD_SCHEDULE = [0.02, 0.04, 0.08]


@dataclass
class NotifyApi:
    client: httpx.AsyncClient
    settings: Settings

    def auth(
        self, role: Role, organisation: str, municipality: str | None = None
    ) -> dict[str, str]:
        issuer = demo_issuer(self.settings)
        token = issuer.issue(role, f"faults-{role}", organisation, municipality, 600)
        return {"Authorization": f"Bearer {token}"}

    async def listed(self, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/deliveries", params=params, headers=headers)
        assert response.status_code == 200, response.text
        body: list[dict[str, Any]] = response.json()
        return body

    async def redeliver(self, key: str, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(f"/deliveries/{key}/redeliver", headers=headers)


@pytest.fixture
async def dead_worker(settings: Settings, smtp: SmtpSink) -> AsyncIterator[Worker]:
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    yield worker
    await worker.close()


@pytest.fixture
async def notify_api(settings: Settings, dead_worker: Worker) -> AsyncIterator[NotifyApi]:
    """The notifications app over ASGI, trusting the keys the demo issuer signs with."""
    demo_issuer(settings).ensure_keys()
    verifier = Verifier(settings.auth_issuer, settings.auth_audience, settings.demo_jwks_file, None)
    transport = httpx.ASGITransport(app=create_api(dead_worker, verifier))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify") as client:
        yield NotifyApi(client, settings)


def assert_problem(response: httpx.Response, status: int, path: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["instance"] == path
    assert body["title"]
    assert body["detail"]


async def dead_letter(services: Services, worker: Worker, receiver: RecordingReceiver) -> str:
    """The forum list to Rana's webhook, which answers 500 for ever: dead after the schedule."""
    subscribe(services, receiver, municipal(RANA), "/rana", ["forum_list_sent"])
    subscribe(services, receiver, municipal(VEFSN), "/vefsn", ["forum_list_sent"])
    receiver.fail("/rana", -1)
    forum_list(services.app, shared=1)
    await run_until_settled(worker)
    [dead] = [str(r.key) for r in deliveries(worker) if r.status == "dead"]
    return dead


async def test_a_receiver_that_always_fails_is_dead_lettered_after_the_schedule(
    services: Services, dead_worker: Worker, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    worker = dead_worker
    key = await dead_letter(services, worker, receiver)

    # Dead after one attempt and one per step of the schedule, all with the same webhook-id.
    rows = by_key(worker)
    row = rows[key]
    assert (row.channel, row.recipient) == ("webhook", receiver.url("/rana"))
    assert row.attempts == len(DEAD_SCHEDULE) + 1
    assert row.last_error == "HTTP 500"
    assert row.delivered_at is None
    assert [t.status for t in receiver.tries(key)] == [500] * (len(DEAD_SCHEDULE) + 1)
    assert [a for a in receiver.seen if a.path == "/rana"] == receiver.tries(key)
    assert len({t.body_sha256 for t in receiver.tries(key)}) == 1
    assert receiver.at("/rana") == []
    others = [r for k, r in rows.items() if k != key]
    assert len(others) == 19 + 1  # the list by e-mail, and Vefsn's webhook
    assert {(r.status, r.attempts) for r in others} == {("delivered", 1)}

    # A dead letter stays dead: running again sends nothing.
    await worker.run(asyncio.Event(), until_idle=True)
    assert len(receiver.tries(key)) == len(DEAD_SCHEDULE) + 1
    assert by_key(worker) == rows

    # The worker's redelivery (what the API calls): only dead letters go back in the queue.
    assert not worker.redeliver("msg_unknown")
    assert not worker.redeliver(others[0].key)
    assert worker.redeliver(key)
    assert not worker.redeliver(key)  # pending now, not dead
    await run_until_settled(worker)
    again = by_key(worker)[key]
    assert (again.status, again.attempts) == ("dead", len(DEAD_SCHEDULE) + 1)
    receiver.fail("/rana", 0)
    assert worker.redeliver(key)
    await run_until_settled(worker)
    final = by_key(worker)[key]
    assert (final.status, final.attempts, final.last_error) == ("delivered", 1, None)
    [hook] = receiver.at("/rana")
    assert hook.key == key
    assert len(receiver.tries(key)) == 2 * (len(DEAD_SCHEDULE) + 1) + 1
    assert receiver.unverified == []


@dataclass(frozen=True)
class Callers:
    rana: dict[str, str]  # Rana's chief physician (the subscription's organisation)
    forum: dict[str, str]
    vefsn: dict[str, str]
    evaluator: dict[str, str]


def callers(api: NotifyApi) -> Callers:
    return Callers(
        api.auth(Role.MUNICIPALITY, municipal(RANA).organisation, RANA),
        api.auth(Role.FORUM, FORUM.organisation),
        api.auth(Role.MUNICIPALITY, municipal(VEFSN).organisation, VEFSN),
        api.auth(Role.EVALUATOR, "NSDM"),
    )


async def test_a_dead_letter_is_listed_and_redelivered_through_the_api(
    services: Services,
    dead_worker: Worker,
    smtp: SmtpSink,
    receiver: RecordingReceiver,
    notify_api: NotifyApi,
) -> None:
    worker, api = dead_worker, notify_api
    key = await dead_letter(services, worker, receiver)
    who = callers(api)
    rows = by_key(worker)

    # The API lists it as dead: to the forum (everything) and to Rana (its own webhooks).
    assert_problem(await api.client.get("/deliveries"), 401, "/deliveries")
    for caller in (who.forum, who.rana):
        [listed] = await api.listed(caller, status="dead")
        assert listed["key"] == key
        assert listed["status"] == "dead"
        assert listed["attempts"] == len(DEAD_SCHEDULE) + 1
        assert listed["last_error"] == "HTTP 500"
        assert listed["recipient"] == receiver.url("/rana")
    # Vefsn sees its own (delivered) webhook only, and no dead letter.
    assert await api.listed(who.vefsn, status="dead") == []
    assert [d["recipient"] for d in await api.listed(who.vefsn)] == [receiver.url("/vefsn")]
    everything = await api.listed(who.forum, limit=500)
    assert {d["key"] for d in everything} == set(rows)

    # Unknown keys, and a dead letter the caller may not see, are 404 problems; nothing changes.
    path = "/deliveries/msg_unknown/redeliver"
    assert_problem(await api.redeliver("msg_unknown", who.forum), 404, path)
    path = f"/deliveries/{key}/redeliver"
    assert_problem(await api.redeliver(key, who.vefsn), 404, path)
    assert_problem(await api.client.post(path), 401, path)
    delivered_key = next(iter(k for k, r in rows.items() if r.status == "delivered"))
    delivered_path = f"/deliveries/{delivered_key}/redeliver"
    assert_problem(await api.redeliver(delivered_key, who.forum), 404, delivered_path)
    assert by_key(worker) == rows

    # Redelivered while the receiver still fails: the whole schedule again, then dead again.
    response = await api.redeliver(key, who.forum)
    assert response.status_code == 200, response.text
    assert response.json() == {"key": key, "status": "pending"}
    assert by_key(worker)[key].status == "pending"
    assert await api.listed(who.forum, status="dead") == []
    await run_until_settled(worker)
    again = by_key(worker)[key]
    assert (again.status, again.attempts) == ("dead", len(DEAD_SCHEDULE) + 1)
    assert len(receiver.tries(key)) == 2 * (len(DEAD_SCHEDULE) + 1)

    # The receiver recovers; Rana redelivers its own dead letter; it arrives once, same key.
    receiver.fail("/rana", 0)
    response = await api.redeliver(key, who.rana)
    assert response.status_code == 200, response.text
    assert response.json() == {"key": key, "status": "pending"}
    await run_until_settled(worker)
    final = by_key(worker)[key]
    assert (final.status, final.attempts, final.last_error) == ("delivered", 1, None)
    assert final.delivered_at is not None
    [hook] = receiver.at("/rana")
    assert hook.key == key
    assert hook.type == "forum_list_sent"
    assert [t.status for t in receiver.tries(key)][-1] == 204
    assert receiver.unverified == []
    assert await api.listed(who.forum, status="dead") == []
    [listed] = [d for d in await api.listed(who.rana, status="delivered") if d["key"] == key]
    assert listed["attempts"] == 1
    # Delivered now: no longer a dead letter to redeliver.
    assert_problem(await api.redeliver(key, who.forum), 404, path)


async def test_a_role_that_may_not_redeliver_gets_403(
    services: Services,
    dead_worker: Worker,
    smtp: SmtpSink,
    receiver: RecordingReceiver,
    notify_api: NotifyApi,
) -> None:
    key = await dead_letter(services, dead_worker, receiver)
    response = await notify_api.redeliver(key, callers(notify_api).evaluator)
    try:
        assert_problem(response, 403, f"/deliveries/{key}/redeliver")
    finally:
        # Whatever it answers, the evaluator must not have put the dead letter back in the queue.
        assert by_key(dead_worker)[key].status == "dead"


# --- 3. the re-certification notice -----------------------------------------------------------


def recertification_notice_day(approved_on: date) -> tuple[date, date]:
    """Re-certification is due five years after approval; the notice goes 90 days before."""
    due = approved_on.replace(year=approved_on.year + 5)
    return due, due - timedelta(days=90)


async def test_the_recertification_notice_waits_until_90_days_before_it_is_due(
    services: Services, settings: Settings, clock: Clock, smtp: SmtpSink
) -> None:
    worker_clock = Clock(NOW)
    worker = make_worker(settings, smtp, DEAD_SCHEDULE, clock=worker_clock)
    try:
        app = services.app
        fl = forum_list(app, shared=1)
        [kari] = fl.shared
        kari_email = named(services, kari, "Kari Nordmann")
        rana_offer = offer(services, fl, kari, RANA)
        app.accept_lis3_offer(FORUM, kari, rana_offer)
        app.start_lis1(RECRUITER, kari)
        clock.advance(days=620)  # LIS3 starts after LIS1 ends (18 months from its start)
        app.start_lis3(municipal(RANA), kari)
        await run_until_settled(worker)
        sent_before = len(smtp.snapshot())
        assert sent_before == 19 + 1 + 1  # the list, Kari's LIS3 offer, the forum's "accepted"

        clock.advance(days=4 * 365)
        approved_at = clock.now
        app.record_milestone(municipal(RANA), kari, Career.approve_specialist)
        due, notice_day = recertification_notice_day(programme_day(approved_at))
        worker_clock.now = approved_at
        worker.derive_all()
        notices = [r for r in deliveries(worker) if r.status == "pending"]
        rana_address = RECIPIENTS.municipalities[RANA]
        assert sorted((r.channel, r.recipient, r.audience) for r in notices) == [
            ("email", kari_email, "candidate"),
            ("email", rana_address, "municipality"),
        ]
        [moment] = {r.next_attempt_at for r in notices}
        assert moment.date() == notice_day
        assert moment > approved_at + timedelta(days=4 * 365)
        assert {r.attempts for r in notices} == {0}

        # Up to the moment, nothing goes out, however often the worker runs.
        for now in (approved_at, approved_at + timedelta(days=365), moment - timedelta(seconds=1)):
            worker_clock.now = now
            await worker.run(asyncio.Event(), until_idle=True)
            assert len(smtp.snapshot()) == sent_before, now
            still = by_key(worker)
            assert {(still[r.key].status, still[r.key].attempts) for r in notices} == {
                ("pending", 0)
            }

        # Once the worker's clock passes it, both are sent, once.
        worker_clock.now = moment + timedelta(seconds=1)
        await worker.run(asyncio.Event(), until_idle=True)
        await worker.run(asyncio.Event(), until_idle=True)
        rows = by_key(worker)
    finally:
        await worker.close()

    for notice in notices:
        row = rows[notice.key]
        assert (row.status, row.attempts) == ("delivered", 1)
        assert row.delivered_at == worker_clock.now
    new: list[Mail] = smtp.snapshot()[sent_before:]
    assert sorted(m.key for m in new) == sorted(r.key for r in notices)
    [to_kari] = [m for m in new if m.to == kari_email]
    assert to_kari.subject == f"Resertifisering i allmennmedisin innen {due.isoformat()}"
    assert "Hei Kari Nordmann!" in to_kari.part("plain")
    assert due.isoformat() in to_kari.part("plain")
    [to_rana] = [m for m in new if m.to == rana_address]
    assert to_rana.subject == (f"Resertifisering for en av kommunens leger innen {due.isoformat()}")
    assert "Rana kommune" in to_rana.part("plain")
    # The municipality hears which of its doctors is due (its employee), never their address.
    assert "Kari Nordmann, lege i Rana kommune, må fornye" in to_rana.part("plain")
    assert "Kari Nordmann" in to_rana.part("html")
    for personal in (kari_email, str(kari)):
        assert personal not in to_rana.part("plain")
        assert personal not in to_rana.part("html")


async def test_the_notice_goes_to_the_municipality_the_doctor_works_in_now(
    services: Services, settings: Settings, clock: Clock, smtp: SmtpSink
) -> None:
    """LIS3 started in Rana; the doctor moved to Vefsn before approval: Vefsn hears of it."""
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        app = services.app
        fl = forum_list(app, shared=1)
        [kari] = fl.shared
        app.accept_lis3_offer(FORUM, kari, offer(services, fl, kari, RANA))
        app.start_lis1(RECRUITER, kari)
        clock.advance(days=620)  # LIS3 starts after LIS1 ends (18 months from its start)
        app.start_lis3(municipal(RANA), kari)
        clock.advance(days=365)
        app.record_milestone(
            municipal(RANA), kari, lambda c, stamp: c.move_within_helgeland(VEFSN, stamp)
        )
        clock.advance(days=365)
        app.record_milestone(municipal(VEFSN), kari, Career.approve_specialist)
        worker.derive_all()
        notices = [r for r in deliveries(worker) if r.audience == "municipality"]
    finally:
        await worker.close()
    recertification = [r for r in notices if "Resertifisering" in (r.subject or "")]
    assert [r.recipient for r in recertification] == [RECIPIENTS.municipalities[VEFSN]]
    assert "Vefsn" in (recertification[0].body_text or "")


async def test_the_notice_follows_a_doctor_who_moves_after_approval(
    services: Services,
    settings: Settings,
    clock: Clock,
    smtp: SmtpSink,
    receiver: RecordingReceiver,
) -> None:
    """Approved in Rana, then moved to Vefsn, left, and came back to Bindal (all before the
    notice is due): only Bindal's notice stays, for the same moment; the doctor's own stays."""
    app = services.app
    for number, path in ((RANA, "/rana"), (VEFSN, "/vefsn"), (BINDAL, "/bindal")):
        subscribe(services, receiver, municipal(number), path, ["recertification_due"])
    fl = forum_list(app, shared=1)
    [kari] = fl.shared
    kari_email = named(services, kari, "Kari Nordmann")
    app.accept_lis3_offer(FORUM, kari, offer(services, fl, kari, RANA))
    app.start_lis1(RECRUITER, kari)
    clock.advance(days=620)  # LIS3 starts after LIS1 ends (18 months from its start)
    app.start_lis3(municipal(RANA), kari)
    clock.advance(days=4 * 365)
    app.record_milestone(municipal(RANA), kari, Career.approve_specialist)
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        worker.derive_all()  # the notices for Rana are waiting
        clock.advance(days=100)
        app.record_milestone(
            municipal(RANA), kari, lambda c, stamp: c.move_within_helgeland(VEFSN, stamp)
        )
        clock.advance(days=100)
        app.record_milestone(
            municipal(VEFSN),
            kari,
            left(LeavingReason.FAMILY, "", Destination.ELSEWHERE_IN_NORWAY),
        )
        clock.advance(days=100)
        app.record_milestone(
            RECRUITER, kari, lambda c, stamp: c.return_to(BINDAL, stamp), in_municipality=BINDAL
        )
        worker.derive_all()
        rows = [
            r
            for r in deliveries(worker)
            if "Resertifisering" in (r.subject or "")
            or (r.payload or {}).get("type") == "recertification_due"
        ]
        # Sent now (as if the day had come): the service's own note stays behind.
        [hook] = [r for r in rows if r.channel == "webhook" and r.status == "pending"]
        with worker.engine.begin() as conn:
            conn.execute(
                store.deliveries.update()
                .where(store.deliveries.c.key == hook.key)
                .values(next_attempt_at=worker.clock())
            )
        await worker.deliver_due()
    finally:
        await worker.close()
    [sent] = receiver.at("/bindal")
    assert sent.payload["data"] == {"due": hook.payload["data"]["due"]}
    assert "_meta" not in sent.payload
    assert str(kari) not in json.dumps(sent.payload)
    waiting = sorted((r.channel, r.recipient) for r in rows if r.status == "pending")
    assert waiting == sorted(
        [
            ("email", kari_email),
            ("email", RECIPIENTS.municipalities[BINDAL]),
            ("webhook", receiver.url("/bindal")),
        ]
    )
    cancelled = sorted((r.channel, r.recipient) for r in rows if r.status == "cancelled")
    assert cancelled == sorted(
        [
            ("email", RECIPIENTS.municipalities[RANA]),
            ("webhook", receiver.url("/rana")),
            ("email", RECIPIENTS.municipalities[VEFSN]),
            ("webhook", receiver.url("/vefsn")),
        ]
    )
    assert len({r.next_attempt_at for r in rows if r.status == "pending"}) == 1


async def test_two_subscriptions_at_one_url_each_get_their_delivery(
    services: Services, settings: Settings, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    """Two organisations may point at one endpoint: each subscription is its own recipient,
    and the worker neither stops on it nor sends one subscriber's message twice."""
    fl = forum_list(services.app, shared=1, send=False)
    subscribe(services, receiver, municipal(RANA), "/shared", ["forum_list_sent"])
    subscribe(services, receiver, municipal(VEFSN), "/shared", ["forum_list_sent"])
    subscribe(services, receiver, municipal(VEFSN), "/shared", ["forum_list_sent"])
    services.app.send_list_to_forum(RECRUITER, fl.round_id)
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        await run_until_settled(worker)
        rows = [r for r in deliveries(worker) if r.channel == "webhook"]
    finally:
        await worker.close()
    assert len(rows) == 3
    assert len({r.key for r in rows}) == 3
    assert len({r.subscription_id for r in rows}) == 3
    assert {r.status for r in rows} == {"delivered"}
    hooks = receiver.at("/shared")
    assert sorted(h.headers["webhook-id"] for h in hooks) == sorted(r.key for r in rows)
    assert len({h.secret for h in hooks}) == 3  # each signed with its own subscription's secret


async def test_a_slow_receiver_does_not_hold_up_the_others(
    services: Services, settings: Settings, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    """Several messages are in flight at once, never more than the setting allows."""
    fl = forum_list(services.app, shared=1, send=False)
    for n in range(12):
        subscribe(services, receiver, municipal(RANA), f"/slow/{n}", ["forum_list_sent"])
    services.app.send_list_to_forum(RECRUITER, fl.round_id)
    receiver.delay = 0.2
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    limit = worker.settings.delivery_concurrency
    try:
        await run_until_settled(worker)
        rows = deliveries(worker)
    finally:
        await worker.close()
    assert {r.status for r in rows} == {"delivered"}
    assert len(receiver.snapshot()) == 12
    assert 1 < receiver.most_in_flight <= limit


async def test_a_second_worker_stands_by_until_the_first_stops(
    services: Services, settings: Settings, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    """Two workers on one store: one works, the other waits; it takes over when the first
    stops, and no message is sent by both."""
    first, second = (make_worker(settings, smtp, DEAD_SCHEDULE) for _ in range(2))
    stop_first, stop_second = asyncio.Event(), asyncio.Event()
    try:
        running_first = asyncio.create_task(first.run(stop_first))
        await wait_until(lambda: first.leading)
        running_second = asyncio.create_task(second.run(stop_second))

        fl = forum_list(services.app, shared=1, send=False)
        subscribe(services, receiver, municipal(RANA), "/rana", ["forum_list_sent"])
        services.app.send_list_to_forum(RECRUITER, fl.round_id)
        await wait_until(lambda: len(receiver.at("/rana")) == 1)
        assert not second.leading

        stop_first.set()
        await running_first
        await wait_until(lambda: second.leading)
        named(services, fl.shared[0], "Kari Nordmann")
        invite(services, fl.shared[0], RANA)  # news for the second worker to send
        await wait_until(lambda: any(r.audience == "candidate" for r in deliveries(second)))
        await wait_until(lambda: all(r.status == "delivered" for r in deliveries(second)))
        stop_second.set()
        await running_second
    finally:
        stop_first.set()
        stop_second.set()
        await first.close()
        await second.close()
    sent = [m.key for m in smtp.snapshot()] + [h.key for h in receiver.snapshot()]
    assert len(sent) == len(set(sent)) == len(deliveries(second))


async def test_a_message_that_cannot_be_sent_fails_alone(
    services: Services, settings: Settings, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    """A delivery whose sending raises something unforeseen is retried and dead-lettered like
    any failure; the worker goes on delivering everything else."""
    subscribe(services, receiver, municipal(RANA), "/rana", ["forum_list_sent"])
    subscribe(services, receiver, municipal(VEFSN), "/vefsn", ["forum_list_sent"])
    forum_list(services.app, shared=1)
    worker = make_worker(settings, smtp, DEAD_SCHEDULE)
    try:
        worker.derive_all()
        [vefsn] = [r for r in deliveries(worker) if r.recipient == receiver.url("/vefsn")]
        with worker.engine.begin() as conn:  # a recipient httpx cannot even parse
            conn.execute(
                store.deliveries.update()
                .where(store.deliveries.c.key == vefsn.key)
                .values(recipient="http://a:b:c/")
            )
        await run_until_settled(worker)
        rows = by_key(worker)
    finally:
        await worker.close()
    assert rows[vefsn.key].status == "dead"
    assert rows[vefsn.key].last_error.startswith("InvalidURL")
    others = [r for key, r in rows.items() if key != vefsn.key]
    assert others
    assert {r.status for r in others} == {"delivered"}
    assert len(receiver.at("/rana")) == 1


async def test_an_ended_subscription_gets_no_more_deliveries(
    services: Services, settings: Settings, smtp: SmtpSink, receiver: RecordingReceiver
) -> None:
    """Deliveries still waiting (a retry) when a subscription ends are cancelled, not sent."""
    subscribed, secret = services.app.subscribe_webhook(
        municipal(RANA), receiver.url("/rana"), ["forum_list_sent"]
    )
    receiver.expect("/rana", secret)
    receiver.fail("/rana", -1)
    forum_list(services.app, shared=1)
    worker = make_worker(settings, smtp, [60.0])  # the retry waits a minute
    try:
        worker.derive_all()
        await worker.deliver_due()
        [row] = [r for r in deliveries(worker) if r.channel == "webhook"]
        assert (row.status, row.attempts) == ("pending", 1)
        services.app.unsubscribe_webhook(municipal(RANA), subscribed.id)
        worker.derive_all()
        with worker.engine.begin() as conn:  # the retry is due now
            conn.execute(
                store.deliveries.update()
                .where(store.deliveries.c.key == row.key)
                .values(next_attempt_at=worker.clock())
            )
        await worker.deliver_due()
        after = by_key(worker)[row.key]
    finally:
        await worker.close()
    assert (after.status, after.attempts) == ("cancelled", 1)
    assert len(receiver.tries(row.key)) == 1


# --- 4. SIGKILL at random moments ---------------------------------------------------------------

CANDIDATES = 40
KILLS = 10
SEED = 20261124


def mail_effect(mail: Mail) -> tuple[str, str]:
    return (mail.to, mail.subject)


def hook_effect(path: str, payload: dict[str, Any]) -> tuple[str, str, str | None]:
    data: dict[str, Any] = payload["data"]
    candidate = data.get("candidate_id")
    return (path, str(payload["type"]), None if candidate is None else str(candidate))


@dataclass
class Progress:
    engine: Engine
    last_event: int

    def state(self) -> tuple[int, int, int]:
        """(the worker's position, deliveries derived, deliveries delivered)."""
        with self.engine.connect() as conn:
            position = conn.execute(select(store.tracking.c.position)).scalar() or 0
            derived = conn.execute(select(func.count()).select_from(store.deliveries)).scalar()
            delivered = conn.execute(
                select(func.count())
                .select_from(store.deliveries)
                .where(store.deliveries.c.status == "delivered")
            ).scalar()
        return int(position), int(derived or 0), int(delivered or 0)

    def passed(self, threshold: tuple[str, float]) -> bool:
        """Whether the deliveries derived (or delivered) have reached the threshold."""
        _, derived, delivered = self.state()
        return (derived if threshold[0] == "derived" else delivered) >= threshold[1]

    def settled(self) -> bool:
        """The whole log read, and nothing left to send."""
        with self.engine.connect() as conn:
            pending = conn.execute(
                select(func.count())
                .select_from(store.deliveries)
                .where(store.deliveries.c.status == "pending")
            ).scalar()
        return self.state()[0] == self.last_event and not pending


def notify_command() -> list[str]:
    script = Path(sys.executable).parent / "helgeland-notify"
    runner = (
        [str(script)] if script.exists() else [sys.executable, "-m", "helgeland_notifications.cli"]
    )
    return [*runner, "run", "--until-idle", "--port", "0"]


def test_a_worker_killed_at_random_moments_loses_nothing_and_never_changes_a_key(
    services: Services,
    settings: Settings,
    smtp: SmtpSink,
    receiver: RecordingReceiver,
    tmp_path: Path,
) -> None:
    app = services.app
    fl = forum_list(app, shared=CANDIDATES, send=False)
    emails = {cid: named(services, cid, f"Lege Nummer {i}") for i, cid in enumerate(fl.shared)}
    types = ["forum_list_sent", "invitation_sent"]
    for actor, path in ((municipal(RANA), "/rana"), (municipal(VEFSN), "/vefsn"), (FORUM, "/f")):
        subscribe(services, receiver, actor, path, types)
    app.send_list_to_forum(RECRUITER, fl.round_id)
    for cid in fl.shared:
        invite(services, cid, RANA)
    last_event = app.recorder.max_notification_id() or 0

    invitation = "Invitasjon fra Rana kommune"
    expected_mails = {(a, LIST_SUBJECT) for a in [*RECIPIENTS.municipalities.values()]}
    expected_mails |= {(RECIPIENTS.forum, LIST_SUBJECT)}
    expected_mails |= {(emails[cid], invitation) for cid in fl.shared}
    expected_hooks: set[tuple[str, str, str | None]] = {
        (p, "forum_list_sent", None) for p in ("/rana", "/vefsn", "/f")
    }
    expected_hooks |= {(p, "invitation_sent", str(c)) for p in ("/rana", "/f") for c in fl.shared}
    expected = len(expected_mails) + len(expected_hooks)
    assert len(expected_mails) == 19 + CANDIDATES
    assert expected >= 100

    # Slow receivers widen the window between a send and its being recorded as delivered.
    # Slow receivers, so that the worker (several messages in flight) is still busy when the
    # kill comes.
    smtp.delay = 0.04
    receiver.delay = 0.04
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= notify_env(settings, smtp, [0.05, 0.1, 0.2])
    env |= {"HELGELAND_PAGE_SIZE": "10"}  # many small derive transactions to be killed in
    engine = make_engine(settings.database_url, settings.database_schema)
    store.metadata.create_all(engine)  # as the worker does on start, so progress can be read
    progress = Progress(engine, last_event)
    rng = random.Random(SEED)
    # Kill points spread over both phases whatever the speed of each: a run is killed a random
    # moment after the deliveries derived, then those delivered, pass a seeded random count.
    half = KILLS // 2
    thresholds = [("derived", x) for x in sorted(rng.uniform(0, expected) for _ in range(half))]
    thresholds += [
        ("delivered", x) for x in sorted(rng.uniform(0, expected) for _ in range(KILLS - half))
    ]
    started = time.monotonic()
    killed_mid_work: list[tuple[int, int, int]] = []
    runs = 0
    try:
        while True:
            runs += 1
            assert runs <= KILLS + 5, f"no end after {runs - 1} runs: {progress.state()}"
            assert time.monotonic() - started < 60, progress.state()
            log = (tmp_path / f"notify-{runs}.log").open("wb")
            before = progress.state()
            proc = subprocess.Popen(notify_command(), env=env, stdout=log, stderr=log)
            try:
                if len(killed_mid_work) < KILLS:
                    # Wait until this run has done something and the work has passed this
                    # kill's threshold, then a random moment more.
                    threshold = thresholds[len(killed_mid_work)]
                    # Generous: a busy CI machine starts a Python process slowly.
                    deadline = time.monotonic() + 180
                    while proc.poll() is None and (
                        progress.state() == before or not progress.passed(threshold)
                    ):
                        assert time.monotonic() < deadline, "the worker made no progress"
                        time.sleep(0.005)
                    time.sleep(rng.uniform(0.0, 0.05))
                    if proc.poll() is None:
                        at = progress.state()
                        proc.send_signal(signal.SIGKILL)
                        assert proc.wait(timeout=10) == -signal.SIGKILL
                        if not progress.settled():
                            killed_mid_work.append(at)
                        continue
                rc = proc.wait(timeout=30)
                assert rc == 0, (tmp_path / f"notify-{runs}.log").read_text()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=10)
                log.close()
            if progress.settled():  # a run ended by itself, with nothing left to do
                break
        final = progress.state()
    finally:
        engine.dispose()

    rows = {r.key: r for r in _rows(settings)}
    assert {r.status for r in rows.values()} == {"delivered"}

    # Every effect arrived, under exactly one key; a key never stands for two effects.
    keys_of: dict[object, set[str]] = defaultdict(set)
    effect_of: dict[str, set[object]] = defaultdict(set)
    mails = smtp.snapshot()
    for mail in mails:
        keys_of[mail_effect(mail)].add(mail.key)
        effect_of[mail.key].add(mail_effect(mail))
        row = rows[mail.key]
        assert (row.channel, row.recipient, row.subject) == ("email", mail.to, mail.subject)
    assert set(keys_of) == expected_mails
    assert receiver.unverified == []
    hooks = receiver.snapshot()
    for hook in hooks:
        effect = hook_effect(hook.path, hook.payload)
        keys_of[effect].add(hook.key)
        effect_of[hook.key].add(effect)
        row = rows[hook.key]
        assert (row.channel, row.recipient) == ("webhook", receiver.url(hook.path))
    assert set(keys_of) == expected_mails | expected_hooks
    assert {e: k for e, k in keys_of.items() if len(k) != 1} == {}, "one effect, two keys"
    assert {k: e for k, e in effect_of.items() if len(e) != 1} == {}, "one key, two effects"
    assert set(effect_of) == set(rows)
    # A message received twice (a kill between sending and recording it) is the same message.
    copies = Counter([m.key for m in mails] + [h.key for h in hooks])
    for key in [k for k, n in copies.items() if n > 1]:
        bodies = {h.body for h in hooks if h.key == key}
        bodies |= {m.part("plain").encode() for m in mails if m.key == key}
        assert len(bodies) == 1, key

    # Read to the end, every delivery delivered.
    assert len(rows) == expected
    assert final == (last_event, expected, expected)

    # (A run may finish its work within the random moment it was given: not every kill lands.)
    assert len(killed_mid_work) >= KILLS - 2, killed_mid_work
    # The kills fell in both phases: while the log was being derived, and after it was.
    assert any(position < last_event for position, _, _ in killed_mid_work), killed_mid_work
    after = [(p, d, s) for p, d, s in killed_mid_work if p == last_event and d == expected]
    assert any(sent < expected for _, _, sent in after), killed_mid_work


def _rows(settings: Settings) -> list[Any]:
    engine = make_engine(settings.database_url, settings.database_schema)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(store.deliveries)).all())
    finally:
        engine.dispose()


async def test_the_api_shows_health_and_metrics_and_checks_tokens_as_the_pipeline_does(
    services: Services,
    dead_worker: Worker,
    receiver: RecordingReceiver,
    notify_api: NotifyApi,
) -> None:
    api = notify_api
    await dead_letter(services, dead_worker, receiver)
    assert (await api.client.get("/health/live")).status_code == 200
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 200, ready.text
    metrics = (await api.client.get("/metrics")).text
    assert "helgeland_notifications_dead_letters 1.0" in metrics
    assert 'helgeland_notifications_deliveries{state="delivered"} 20.0' in metrics
    assert "helgeland_notifications_log_lag_events 0.0" in metrics

    # The same token rules as the pipeline: a challenge on 401, a subject and, for a
    # municipality, its municipality are required.
    unauthenticated = await api.client.get("/deliveries")
    assert unauthenticated.headers["www-authenticate"] == "Bearer"
    issuer = demo_issuer(api.settings)
    for token in (
        issuer.issue(Role.FORUM, "", FORUM.organisation),
        issuer.issue(Role.MUNICIPALITY, "demo-kommuneoverlege", "Rana kommune"),
    ):
        response = await api.client.get("/deliveries", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "/deliveries")
        assert response.headers["www-authenticate"] == "Bearer"

    # Behind on the log: not ready, and says how far.
    forum_list(services.app, shared=1)
    dead_worker.settings.ready_max_lag_events = 0
    ready = await api.client.get("/health/ready")
    assert ready.status_code == 503
    assert "events behind" in ready.json()["problems"][0]["reason"]
