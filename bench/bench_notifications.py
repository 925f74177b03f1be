"""Derivation and delivery throughput of the notifications worker, next to raw baselines.

Run from the repository root (not part of the test run):

    .venv/bin/python -m bench.bench_notifications [--candidates N] [--backend sqlite|postgres|both]

On each backend, on a fresh store (a temporary SQLite file, or a PostgreSQL schema created for
the run and dropped afterwards), the pipeline's own commands write a log that produces a few
thousand effects: 20 webhook subscriptions (each of the 18 municipalities, the forum and the
hospital's recruiter, all event types), a forum list of N shared candidates, and for each
candidate two invitations and two LIS3 offers from two municipalities and the acceptance of one
offer. Then it measures, in alternating rounds:

a) deriving: `Worker.derive_page` until the log is read (what `derive_all` does), from a fresh
   notifications store each round, in log events/s and effects (delivery rows)/s; next to a raw
   loop that reads the same pages through the same recorder, json-decodes each state, INSERTs
   the same delivery rows one statement each and moves a tracking position, one transaction
   per page;
b) delivering: `Worker.run(until_idle=True)` (the loop `helgeland-notify run` runs: one
   `derive_page` and one `deliver_due(50)` per turn) until every derived message is delivered
   to a real aiosmtpd SMTP server and a real HTTP receiver that checks each Standard Webhooks
   signature (`tests.integration.notify_support`), both on 127.0.0.1 in a process of their own,
   in messages/s; the service's `Senders` are subclassed only to time each `send`, and the
   worker's SQL statements and commits are counted;
c) raw baselines against the same two receivers, with the same messages built beforehand:
   one `aiosmtplib.send` per e-mail and one `httpx.AsyncClient.post` per webhook, sequentially
   in the worker's order (the headline ratio); the same with K in flight; and the e-mails over
   one kept SMTP connection.

`--receiver-delay-ms` makes both receivers take that long over each message, as a remote or
busy server would: it shows what sequential delivery costs when the other side is not on
loopback.

See bench/README.md for what the ratios mean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import secrets
import shlex
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

import aiosmtplib
import httpx
import psycopg
from helgeland_contracts.log import LogReader
from helgeland_contracts.sealing import unseal
from helgeland_notifications import store
from helgeland_notifications.messages import Recipients
from helgeland_notifications.senders import Senders
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.signing import headers as signed_headers
from helgeland_notifications.worker import Worker, make_engine, utc_now
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.domain.forum import InvitationKind
from helgeland_pipeline.domain.webhooks import WEBHOOK_EVENT_TYPES
from helgeland_pipeline.settings import Settings
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    MetaData,
    String,
    Table,
    event,
    func,
    select,
    update,
)

from bench.bench_pipeline import (
    DEFAULT_POSTGRES_URL,
    fresh_schema,
    python_as_typed,
    source_state,
    without_password,
)
from tests.factories import FORUM, RECRUITER, Clock, forum_list, lis3_terms, municipal
from tests.integration.notify_support import smtp_server, webhook_receiver

RAW_DELIVERIES = "bench_raw_deliveries"
RAW_TRACKING = "bench_raw_tracking"
KINDS = list(InvitationKind)


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Timed:
    count: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class Derived:
    """One derivation from position 0: log events read, delivery rows written."""

    events: int
    effects: int
    seconds: float
    pages: list[float] = field(default_factory=list)
    statements: int = 0
    commits: int = 0

    @property
    def events_rate(self) -> float:
        return self.events / self.seconds

    @property
    def effects_rate(self) -> float:
        return self.effects / self.seconds


@dataclass
class Delivered:
    """One delivery of every message: how long in all, and how long inside the sends."""

    seconds: float
    count: Counter[str]  # channel -> messages
    sending: dict[str, float]  # channel -> seconds spent sending (the send call itself)
    statements: int = 0
    commits: int = 0

    @property
    def messages(self) -> int:
        return sum(self.count.values())

    @property
    def rate(self) -> float:
        return self.messages / self.seconds

    def channel_rate(self, channel: str) -> float:
        return self.count[channel] / self.sending[channel]


BENCH_KEY = secrets.token_hex(32)  # seals the subscriptions' webhook secrets, as in production
T = TypeVar("T", Derived, Delivered, Timed)


def median_by_time(parts: Sequence[T]) -> T:
    return sorted(parts, key=lambda p: p.seconds)[(len(parts) - 1) // 2]


def spread(rates: Sequence[float]) -> str:
    ordered = sorted(rates)
    return f"{ordered[0]:,.0f}–{ordered[-1]:,.0f}" if len(ordered) > 1 else f"{ordered[0]:,.0f}"


@contextmanager
def counting(engine: Engine) -> Iterator[Counter[str]]:
    """SQL statements executed and transactions committed through `engine` meanwhile."""
    seen: Counter[str] = Counter()

    def statement(*_: Any) -> None:
        seen["statements"] += 1

    def commit(*_: Any) -> None:
        seen["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


# --- the log ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Log:
    events: int  # positions in the log
    public: int  # of which public (what the notifications service decodes)
    seconds: float
    subscriptions: int
    candidates: int


def build_log(settings: Settings, receiver: Receivers, candidates: int) -> Log:
    """Write the log with the pipeline's own commands (setup: timed only for the report)."""
    services = build_services(settings, clock=Clock())
    app = services.app
    try:
        started = time.perf_counter()
        municipalities = sorted(Recipients.load(None).municipalities)
        subscribers = [(municipal(n), f"/municipality/{n}") for n in municipalities]
        subscribers += [(FORUM, "/forum"), (RECRUITER, "/hospital")]
        for actor, path in subscribers:
            _, secret = app.subscribe_webhook(actor, receiver.url(path), list(WEBHOOK_EVENT_TYPES))
            receiver.expect(path, secret)
        fl = forum_list(app, shared=candidates, send=True)
        at = app.clock() + timedelta(days=7)
        expires = (app.clock() + timedelta(days=30)).date()
        for i, cid in enumerate(fl.shared):
            pair = (
                municipalities[i % len(municipalities)],
                municipalities[(i + 7) % len(municipalities)],
            )
            offers = []
            for number in pair:
                app.invite(municipal(number), cid, number, KINDS[i % len(KINDS)], [at])
            for number in pair:
                _, offer_id = app.offer_lis3(
                    municipal(number), cid, number, fl.lis3_start, lis3_terms(), expires
                )
                offers.append(offer_id)
            app.accept_lis3_offer(FORUM, cid, offers[0])
        seconds = time.perf_counter() - started
    finally:
        services.close()
    reader = LogReader(settings.database_url, settings.database_schema)
    try:
        events = public = 0
        while True:
            envelopes, last = reader.read(events, 1000)
            if last == events:
                break
            public += len(envelopes)
            events = last
    finally:
        reader.close()
    return Log(events, public, seconds, len(subscribers), candidates)


def worker_settings(
    settings: Settings, smtp_port: int, page_size: int | None, in_flight: int
) -> NotifySettings:
    """The service on the pipeline's store, as the end-to-end tests configure it."""
    extra: dict[str, Any] = {"delivery_concurrency": in_flight}
    if page_size is not None:
        extra["page_size"] = page_size
    return NotifySettings(
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        data_dir=settings.data_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        start_quiet=False,
        auto_migrate=True,
        retry_schedule_seconds=[0.05, 0.05, 0.05],
        webhook_sealing_key=settings.webhook_sealing_key_bytes().hex(),
        poll_seconds=0.05,
        webhook_timeout_seconds=5.0,
        **extra,
    )


# --- a) deriving -----------------------------------------------------------------------------


async def fresh_worker(nsettings: NotifySettings) -> Worker:
    """A worker on an empty notifications store (its tables dropped), at position 0."""
    engine = make_engine(nsettings.database_url, nsettings.database_schema)
    store.metadata.drop_all(engine)
    engine.dispose()
    worker = Worker(nsettings)
    await worker.senders.close()
    worker.senders = TimedSenders(nsettings, worker.engine)
    return worker


def derive(worker: Worker) -> Derived:
    """`Worker.derive_page` until the log is read (`derive_all`, with each page timed)."""
    pages: list[float] = []
    events = 0
    with counting(worker.engine) as seen:
        started = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            read = worker.derive_page()
            if not read:
                break
            pages.append(time.perf_counter() - t0)
            events += read
        seconds = time.perf_counter() - started
    with worker.engine.connect() as conn:
        effects = conn.execute(select(func.count()).select_from(store.deliveries)).scalar_one()
    return Derived(events, int(effects), seconds, pages, seen["statements"], seen["commits"])


class RawDerive:
    """Same pages, same rows, same transactions; no decoding into envelopes, no deriving."""

    def __init__(self, nsettings: NotifySettings) -> None:
        self.page_size = nsettings.page_size
        self.engine = make_engine(nsettings.database_url, nsettings.database_schema)
        self.reader = LogReader(nsettings.database_url, nsettings.database_schema)
        self.metadata = MetaData()
        self.deliveries = store.deliveries.to_metadata(self.metadata, name=RAW_DELIVERIES)
        self.tracking = Table(
            RAW_TRACKING,
            self.metadata,
            Column("name", String(50), primary_key=True),
            Column("position", BigInteger, nullable=False),
        )

    def reset(self) -> None:
        self.metadata.drop_all(self.engine)
        self.metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(self.tracking.insert().values(name="raw", position=0))

    def run(self, rows: dict[int, list[dict[str, Any]]]) -> Derived:
        insert_row = self.deliveries.insert()
        position_now = select(self.tracking.c.position).where(self.tracking.c.name == "raw")
        events = written = 0
        started = time.perf_counter()
        while True:
            with self.engine.begin() as conn:
                position = int(conn.execute(position_now).scalar_one())
                page = self.reader.recorder.select_notifications(
                    start=position, limit=self.page_size, inclusive_of_start=False
                )
                if not page:
                    break
                for notification in page:
                    json.loads(notification.state)
                    for row in rows.get(notification.id, ()):
                        conn.execute(insert_row, row)
                        written += 1
                moved = conn.execute(
                    update(self.tracking)
                    .where(self.tracking.c.name == "raw", self.tracking.c.position == position)
                    .values(position=page[-1].id)
                )
                if moved.rowcount != 1:
                    msg = "raw tracking position moved"
                    raise RuntimeError(msg)
            events += len(page)
        return Derived(events, written, time.perf_counter() - started)

    def close(self) -> None:
        self.metadata.drop_all(self.engine)
        self.reader.close()
        self.engine.dispose()


def delivery_rows(worker: Worker) -> dict[int, list[dict[str, Any]]]:
    by_position: dict[int, list[dict[str, Any]]] = defaultdict(list)
    with worker.engine.connect() as conn:
        for row in conn.execute(select(store.deliveries)):
            by_position[row.position].append(dict(row._mapping))
    return by_position


# --- b) delivering through the worker ---------------------------------------------------------


class TimedSenders(Senders):
    """The service's senders, unchanged, with the time spent in each `send` kept by channel."""

    def __init__(self, settings: NotifySettings, engine: Engine) -> None:
        super().__init__(settings, engine)
        self.sending: dict[str, float] = defaultdict(float)
        self.count: Counter[str] = Counter()

    async def send(self, row: Any, now: datetime) -> None:
        t0 = time.perf_counter()
        try:
            await super().send(row, now)
        finally:
            self.sending[row.channel] += time.perf_counter() - t0
            self.count[row.channel] += 1


def serve_receivers(conn: Connection, delay: float) -> None:
    """In a process of its own: the tests' SMTP server and webhook receiver, until told to stop.

    Out of the benchmark's process, so that parsing e-mails and checking signatures do not
    share the sender's interpreter lock (as two machines would not).
    """
    with smtp_server() as smtp, webhook_receiver() as http:
        smtp.delay = http.delay = delay
        conn.send((smtp.port, http.port))
        while True:
            command, argument = conn.recv()
            if command == "expect":
                path, secret = argument
                http.expect(path, secret)
                conn.send(None)
            elif command == "counts":
                with smtp.lock, http.lock:
                    conn.send(
                        (len(smtp.mails), len(http.hooks), http.unverified[:3], smtp.refused[:3])
                    )
            else:
                conn.send(None)
                return


class Receivers:
    """The receiving side, seen from the benchmark: ports, secrets, and what arrived."""

    def __init__(self, delay: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve_receivers, args=(child, delay), daemon=True)
        self.process.start()
        self.smtp_port, self.http_port = self._answer()

    def _answer(self) -> Any:
        if not self.conn.poll(60):
            msg = "the receivers' process did not answer within 60 s"
            raise RuntimeError(msg)
        return self.conn.recv()

    def _ask(self, command: str, argument: object = None) -> Any:
        self.conn.send((command, argument))
        return self._answer()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.http_port}{path}"

    def expect(self, path: str, secret: str) -> None:
        self._ask("expect", (path, secret))

    def received(self) -> tuple[int, int]:
        mails, hooks, _, _ = self._ask("counts")
        return int(mails), int(hooks)

    def check(self, before: tuple[int, int], expected: Counter[str], who: str) -> None:
        mails, hooks, unverified, refused = self._ask("counts")
        got = (mails - before[0], hooks - before[1])
        want = (expected["email"], expected["webhook"])
        problems = []
        if got != want:
            problems.append(f"received (e-mails, webhooks) {got}, expected {want}")
        if unverified:
            problems.append(f"unverified webhooks: {unverified}")
        if refused:
            problems.append(f"refused e-mails: {refused}")
        if problems:
            raise RuntimeError(f"{who}: " + "; ".join(problems))

    def close(self) -> None:
        if self.process.is_alive():
            self._ask("stop")
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.terminate()


@contextmanager
def receivers_process(delay: float) -> Iterator[Receivers]:
    receivers = Receivers(delay)
    try:
        yield receivers
    finally:
        receivers.close()


def requeue(worker: Worker) -> None:
    """Put every delivered message back in the queue, due now, as if never sent."""
    with worker.engine.begin() as conn:
        conn.execute(
            update(store.deliveries).values(
                status="pending",
                attempts=0,
                delivered_at=None,
                last_error=None,
                next_attempt_at=store.deliveries.c.created_at,
            )
        )


async def deliver_ours(worker: Worker, receivers: Receivers, expected: Counter[str]) -> Delivered:
    senders = worker.senders
    if not isinstance(senders, TimedSenders):
        msg = "the worker's senders are not timed"
        raise TypeError(msg)
    senders.sending.clear()
    senders.count.clear()
    before = receivers.received()
    with counting(worker.engine) as seen:
        started = time.perf_counter()
        await worker.run(asyncio.Event(), until_idle=True)
        seconds = time.perf_counter() - started
    receivers.check(before, expected, "worker")
    with worker.engine.connect() as conn:
        outcome = Counter(
            (r.status, r.attempts)
            for r in conn.execute(select(store.deliveries.c.status, store.deliveries.c.attempts))
        )
    if set(outcome) != {("delivered", 1)}:
        msg = f"not every message was delivered at the first attempt: {dict(outcome)}"
        raise RuntimeError(msg)
    return Delivered(
        seconds, Counter(senders.count), dict(senders.sending), seen["statements"], seen["commits"]
    )


# --- c) the raw baselines --------------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    url: str
    body: bytes
    headers: dict[str, str]


Message = EmailMessage | Post


def raw_messages(worker: Worker) -> tuple[list[Message], dict[str, float]]:
    """The derived messages in the worker's order, built as the senders build them, and how
    long that took per message of each channel (not part of the raw baselines' time)."""
    settings, now = worker.settings, utc_now()
    with worker.engine.connect() as conn:
        key = settings.sealing_key()
        secrets = {
            sub.subscription_id: unseal(sub.secret, key)
            for sub in conn.execute(select(store.subscriptions))
        }
        rows = conn.execute(
            select(store.deliveries).order_by(store.deliveries.c.position, store.deliveries.c.key)
        ).all()
    messages: list[Message] = []
    building: dict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    for row in rows:
        t0 = time.perf_counter()
        if row.channel == "email":
            mail = EmailMessage()
            mail["From"] = settings.mail_from
            mail["To"] = row.recipient
            mail["Subject"] = row.subject
            mail["Message-ID"] = f"<{row.key}@helgelandslegen.notifications>"
            mail["X-Idempotency-Key"] = row.key
            mail.set_content(row.body_text)
            mail.add_alternative(row.body_html, subtype="html")
            messages.append(mail)
        else:
            body = json.dumps(
                {**row.payload, "timestamp": row.created_at.isoformat()}, separators=(",", ":")
            ).encode()
            signed = signed_headers(
                secrets[row.subscription_id], row.key, int(now.timestamp()), body
            )
            messages.append(Post(row.recipient, body, signed))
        building[row.channel] += time.perf_counter() - t0
        count[row.channel] += 1
    return messages, {channel: building[channel] / count[channel] for channel in count}


class Raw:
    """aiosmtplib and httpx straight at the same SMTP server and HTTP receiver."""

    def __init__(self, settings: NotifySettings) -> None:
        self.host, self.port = settings.smtp_host, settings.smtp_port
        self.http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)

    async def send(self, message: Message) -> str:
        if isinstance(message, EmailMessage):
            await aiosmtplib.send(message, hostname=self.host, port=self.port, timeout=30)
            return "email"
        response = await self.http.post(message.url, content=message.body, headers=message.headers)
        if not response.is_success:
            msg = f"the receiver answered {response.status_code}"
            raise RuntimeError(msg)
        return "webhook"

    async def sequential(self, messages: Sequence[Message]) -> Delivered:
        sending: dict[str, float] = defaultdict(float)
        count: Counter[str] = Counter()
        started = time.perf_counter()
        for message in messages:
            t0 = time.perf_counter()
            channel = await self.send(message)
            sending[channel] += time.perf_counter() - t0
            count[channel] += 1
        return Delivered(time.perf_counter() - started, count, dict(sending))

    async def in_flight(self, messages: Sequence[Message], limit: int) -> Delivered:
        gate = asyncio.Semaphore(limit)

        async def one(message: Message) -> str:
            async with gate:
                return await self.send(message)

        started = time.perf_counter()
        channels = await asyncio.gather(*(one(m) for m in messages))
        seconds = time.perf_counter() - started
        return Delivered(seconds, Counter(channels), dict.fromkeys(set(channels), seconds))

    async def one_connection(self, messages: Sequence[Message]) -> Timed:
        mails = [m for m in messages if isinstance(m, EmailMessage)]
        started = time.perf_counter()
        async with aiosmtplib.SMTP(hostname=self.host, port=self.port, timeout=30) as smtp:
            for mail in mails:
                await smtp.send_message(mail)
        return Timed(len(mails), time.perf_counter() - started)

    async def close(self) -> None:
        await self.http.aclose()


# --- one backend, start to end -------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    candidates: int
    rounds: int
    page_size: int | None
    in_flight: int
    receiver_delay_ms: float


@dataclass
class Result:
    backend: str
    where: str
    page_size: int
    log: Log
    effects: Counter[str]
    derived: list[Derived]
    raw_derived: list[Derived]
    ours: list[Delivered]
    raw: list[Delivered]
    raw_in_flight: list[Delivered]
    raw_one_connection: list[Timed]
    building: list[dict[str, float]]  # seconds per message, building it as the senders do


async def measure(backend: str, where: str, settings: Settings, options: Options) -> Result:
    with receivers_process(options.receiver_delay_ms / 1000) as receivers:
        print(f"[{backend}] writing the log: {options.candidates} shared candidates", flush=True)
        log = build_log(settings, receivers, options.candidates)
        nsettings = worker_settings(
            settings, receivers.smtp_port, options.page_size, options.in_flight
        )
        print(
            f"[{backend}] deriving {log.events} log events from position 0,"
            f" {_times(options.rounds)} (and the raw loop as often)",
            flush=True,
        )
        derived: list[Derived] = []
        raw_derived: list[Derived] = []
        raw_derive = RawDerive(nsettings)
        worker = await fresh_worker(nsettings)
        try:
            derived.append(derive(worker))
            rows = delivery_rows(worker)  # what the raw loop writes, page by page

            def raw_step() -> None:
                raw_derive.reset()
                raw_derived.append(raw_derive.run(rows))

            raw_step()
            for k in range(1, options.rounds):
                await worker.close()
                worker = await fresh_worker(nsettings)
                if k % 2:  # alternate who goes first
                    raw_step()
                    derived.append(derive(worker))
                else:
                    derived.append(derive(worker))
                    raw_step()
            effects = Counter(r["channel"] for group in rows.values() for r in group)
            for part in (*derived, *raw_derived):
                if (part.events, part.effects) != (log.events, effects.total()):
                    msg = f"a derivation read {part.events} events and wrote {part.effects} rows"
                    raise RuntimeError(msg)
            result = Result(
                backend, where, nsettings.page_size, log, effects, derived, raw_derived,
                [], [], [], [], [],
            )  # fmt: skip
            await deliver(result, worker, receivers, options)
            return result
        finally:
            raw_derive.close()
            await worker.close()


async def deliver(result: Result, worker: Worker, receivers: Receivers, options: Options) -> None:
    effects = result.effects
    print(
        f"[{result.backend}] delivering {effects['email']} e-mails and {effects['webhook']}"
        f" webhooks, {_times(options.rounds)} each way",
        flush=True,
    )
    raw = Raw(worker.settings)

    async def worker_step() -> None:
        requeue(worker)
        result.ours.append(await deliver_ours(worker, receivers, effects))

    async def raw_step() -> None:
        messages, building = raw_messages(worker)
        result.building.append(building)
        before = receivers.received()
        result.raw.append(await raw.sequential(messages))
        receivers.check(before, effects, "raw, sequential")
        if options.in_flight > 1:
            before = receivers.received()
            result.raw_in_flight.append(await raw.in_flight(messages, options.in_flight))
            receivers.check(before, effects, f"raw, {options.in_flight} in flight")
        before = receivers.received()
        result.raw_one_connection.append(await raw.one_connection(messages))
        receivers.check(before, Counter(email=effects["email"]), "raw, one connection")

    try:
        for k in range(options.rounds):
            steps = [worker_step, raw_step] if k % 2 == 0 else [raw_step, worker_step]
            for step in steps:
                await step()
    finally:
        await raw.close()


def run_sqlite(options: Options) -> Result:
    with tempfile.TemporaryDirectory(prefix="helgeland-bench-notify-") as tmp:
        path = Path(tmp) / "bench.sqlite"
        settings = Settings(
            database_url=f"sqlite:///{path}",
            data_dir=Path(tmp),
            webhook_sealing_key=BENCH_KEY,
            auto_migrate=True,
        )
        where = f"temporary file {path} (SQLite {sqlite3.sqlite_version}, WAL)"
        return asyncio.run(measure("sqlite", where, settings, options))


def run_postgres(options: Options, url: str) -> Result:
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        version = str(row[0]).split()[0] if row else "?"
    with fresh_schema(url) as schema, tempfile.TemporaryDirectory(prefix="helgeland-bench-") as tmp:
        settings = Settings(
            database_url=url,
            database_schema=schema,
            data_dir=Path(tmp),
            webhook_sealing_key=BENCH_KEY,
            auto_migrate=True,
        )
        where = f"{without_password(url)}, fresh schema {schema} (PostgreSQL {version})"
        return asyncio.run(measure("postgres", where, settings, options))


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _ms(seconds: float, count: int = 1) -> str:
    return f"{1000 * seconds / count:.2f} ms" if count else "-"


def backend_lines(r: Result, options: Options) -> list[str]:
    d, raw_d = median_by_time(r.derived), median_by_time(r.raw_derived)
    ours, raw = median_by_time(r.ours), median_by_time(r.raw)
    pages = sorted(d.pages)
    build = {c: sorted(b[c] for b in r.building)[(len(r.building) - 1) // 2] for c in r.effects}
    lines = [
        "",
        f"[{r.backend}] {r.where}",
        f"  log: {r.log.events} events ({r.log.public} public), written by the pipeline's"
        f" commands in {r.log.seconds:.1f} s (setup, not measured): {r.log.subscriptions}"
        f" webhook subscriptions, a forum list of {r.log.candidates}, then per candidate"
        " 2 invitations, 2 LIS3 offers and 1 acceptance",
        f"  effects derived: {r.effects.total()} ({r.effects['email']} e-mails,"
        f" {r.effects['webhook']} webhooks); page size {r.page_size}",
        f"  a) deriving from position 0 to the end, {_times(len(r.derived))} each"
        " (median time; range of rates):",
        f"     derive_page loop   {d.seconds:7.3f} s  log events/s"
        f" {spread([x.events_rate for x in r.derived])}, effects/s"
        f" {spread([x.effects_rate for x in r.derived])}",
        f"     raw loop           {raw_d.seconds:7.3f} s  log events/s"
        f" {spread([x.events_rate for x in r.raw_derived])}, rows/s"
        f" {spread([x.effects_rate for x in r.raw_derived])}",
        f"     ours: {len(pages)} pages (p50 {_ms(pages[len(pages) // 2])}, max"
        f" {_ms(pages[-1])}); through the worker's engine {d.statements} SQL statements"
        f" ({d.statements / d.effects:.2f} per effect) and {d.commits} commits",
        f"  b) Worker.run(until_idle=True) until all {ours.messages} messages are delivered,"
        f" {_times(len(r.ours))} (median time; range of rates):",
        f"     ours               {ours.seconds:7.3f} s  messages/s"
        f" {spread([x.rate for x in r.ours])}",
        f"     {options.in_flight} in flight; mean time inside Senders.send (overlapping):"
        f" e-mail {_ms(ours.sending['email'], ours.count['email'])},"
        f" webhook {_ms(ours.sending['webhook'], ours.count['webhook'])}",
        f"     through the worker's engine {ours.statements / ours.messages:.2f} SQL statements"
        f" and {ours.commits / ours.messages:.2f} commits per message; building a message as"
        f" the senders do costs e-mail {_ms(build['email'])}, webhook {_ms(build['webhook'])}"
        " (JSON and signature)",
        f"  c) raw: the same messages, built beforehand, to the same receivers,"
        f" {_times(len(r.raw))}:",
        f"     sequential         {raw.seconds:7.3f} s  messages/s"
        f" {spread([x.rate for x in r.raw])}; e-mail"
        f" {_ms(raw.sending['email'], raw.count['email'])} each (aiosmtplib.send: a connection"
        f" each), webhook {_ms(raw.sending['webhook'], raw.count['webhook'])} each (httpx,"
        " kept alive)",
    ]
    if r.raw_in_flight:
        concurrent = median_by_time(r.raw_in_flight)
        label = f"{options.in_flight} in flight"
        lines.append(
            f"     {label:<18} {concurrent.seconds:7.3f} s  messages/s"
            f" {spread([x.rate for x in r.raw_in_flight])}"
        )
    one = median_by_time(r.raw_one_connection)
    lines.append(
        f"     e-mails only, one SMTP connection for all: {_ms(one.seconds, one.count)} each,"
        f" e-mails/s {spread([x.rate for x in r.raw_one_connection])}"
    )
    return lines


def summary_rows(r: Result, options: Options) -> list[tuple[str, float, float]]:
    d, raw_d = median_by_time(r.derived), median_by_time(r.raw_derived)
    ours, raw = median_by_time(r.ours), median_by_time(r.raw)
    rows = [
        ("a) derive: log events/s", d.events_rate, raw_d.events_rate),
        ("a) derive: effects (rows written)/s", d.effects_rate, raw_d.effects_rate),
        ("b) deliver: messages/s vs c) raw sequential", ours.rate, raw.rate),
    ]
    if r.raw_in_flight:
        concurrent = median_by_time(r.raw_in_flight)
        label = f"b) deliver: messages/s vs c) raw {options.in_flight} in flight"
        rows.append((label, ours.rate, concurrent.rate))
    return rows


def report(
    results: Sequence[Result], options: Options, command_line: str, load_at_start: float
) -> str:
    delay = (
        f", each taking {options.receiver_delay_ms:g} ms per message"
        if options.receiver_delay_ms
        else ""
    )
    lines = [
        "",
        "Helgeland notifications benchmark",
        f"command line: {command_line}",
        f"source: {source_state()}; 1-min load average {load_at_start:.2f} at start,"
        f" {os.getloadavg()[0]:.2f} at end",
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()},"
        f" {os.cpu_count()} CPUs; rounds: {options.rounds}",
        "receivers: aiosmtpd (parses each message) and http.server (verifies each signature)"
        f" on 127.0.0.1, in a process of their own{delay}",
    ]
    for r in results:
        lines += backend_lines(r, options)
    header = f"{'backend':<9} {'measure':<52} {'ours':>9} {'raw':>9} {'ours/raw':>9}"
    lines += ["", header, "-" * len(header)]
    for r in results:
        for label, ours, raw in summary_rows(r, options):
            lines.append(
                f"{r.backend:<9} {label:<52} {ours:>9,.0f} {raw:>9,.0f} {ours / raw:>9.3f}"
            )
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_notifications",
        description="Deriving (events/s, effects/s) and delivering (messages/s) notifications, "
        "each next to a raw baseline.",
    )
    parser.add_argument(
        "--candidates",
        type=int,
        default=150,
        metavar="N",
        help="shared candidates on the forum list; each brings 17 effects (default %(default)s)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="derivations and deliveries each way, alternating ours and raw (default %(default)s)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=None,
        help="the worker's page size, and the raw loop's (default: the settings', 200)",
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=NotifySettings.model_fields["delivery_concurrency"].default,
        metavar="K",
        help="messages in flight, in the worker and in the concurrent raw baseline"
        " (default: the service's default, %(default)s)",
    )
    parser.add_argument(
        "--receiver-delay-ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="the receivers take this long over each message, as a remote or busy server would "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HELGELAND_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server and database to use; a schema is created and dropped there "
        f"(default: $HELGELAND_TEST_POSTGRES_URL or {DEFAULT_POSTGRES_URL})",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.candidates < 1 or args.receiver_delay_ms < 0:
        parser.error("need --rounds >= 1, --candidates >= 1 and --receiver-delay-ms >= 0")
    options = Options(
        args.candidates, args.rounds, args.page_size, args.in_flight, args.receiver_delay_ms
    )
    load_at_start = os.getloadavg()[0]
    results: list[Result] = []
    if args.backend in ("sqlite", "both"):
        results.append(run_sqlite(options))
    if args.backend in ("postgres", "both"):
        results.append(run_postgres(options, args.postgres_url))
    given = list(sys.argv[1:] if argv is None else argv)
    command_line = shlex.join([python_as_typed(), "-m", "bench.bench_notifications", *given])
    print(report(results, options, command_line, load_at_start))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
