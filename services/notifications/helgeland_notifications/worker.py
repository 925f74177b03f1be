"""The worker: derive messages from the log exactly once, then deliver them at least once.

Deriving: a page of events, its deliveries and the new position are one transaction.
Delivering: due deliveries are sent, several at once; a failure is retried with exponential
backoff and jitter over more than a day, then dead-lettered (visible and redeliverable through
the API).
One worker is active per store (`Leadership`); others stand by.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from helgeland_contracts.log import LogReader
from helgeland_platform import engines, migrations
from helgeland_platform.keystore import KeyStore
from helgeland_platform.leadership import Leadership
from helgeland_platform.logs import log
from sqlalchemy import Engine, select, update

from helgeland_notifications import store
from helgeland_notifications.messages import Deriver, Effect, Recipients
from helgeland_notifications.migrations import LOCATION as MIGRATIONS
from helgeland_notifications.senders import DeliveryFailed, Senders, SubscriptionEnded
from helgeland_notifications.settings import NotifySettings

NAME = "notifications"
_log = logging.getLogger("helgeland.notifications")
VERSION_TABLE = "alembic_version_notifications"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _logged(row: Any, outcome: str, attempts: int, level: int = logging.INFO) -> None:
    """A delivery's outcome as a JSON log line: its key and channel, never the recipient."""
    fields = {"key": row.key, "channel": row.channel, "attempts": attempts}
    log(_log, level, f"delivery {outcome}", outcome=outcome, **fields)


def make_engine(url: str, schema: str | None) -> Engine:
    return engines.sync_engine(url, schema)


class Worker:
    def __init__(
        self,
        settings: NotifySettings,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrets
        self.engine = make_engine(settings.database_url, settings.database_schema)
        # Read access to the pipeline's key store: personal fields it needs (an address to
        # write to) are opened; an erased person's read as erased.
        self.keys = KeyStore(self.engine)
        self.reader = LogReader(
            settings.database_url, settings.database_schema, keys=self.keys.key_by_id
        )
        self.deriver = Deriver(
            Recipients.load(settings.recipients_file),
            settings.notify_public_url,
            keys=self.keys,
            mail_dir=settings.demo_mail_dir if settings.demo else None,
            contacts=self._contact,
            link_key=settings.link_key(),
            domain=settings.mail_domain(),
        )
        self.senders = Senders(settings, self.engine)
        self.leading = False
        self._migrate()
        self._start_tracking()

    def _contact(self, candidate_id: str) -> tuple[str, str] | None:
        """A candidate's name and e-mail, read from the log when a message to them needs it."""
        found = self.reader.contact_details(candidate_id)
        return (found.name, found.email) if found is not None else None

    def _migrate(self) -> None:
        """Migrate in demo mode or when asked; otherwise refuse a database left behind."""
        schema = self.settings.database_schema
        engines.ensure_schema(self.settings.database_url, schema)
        if self.settings.demo or self.settings.auto_migrate:
            migrations.upgrade(self.engine, MIGRATIONS, VERSION_TABLE, schema)
        else:
            how = "run `helgeland-notify migrate`"
            migrations.require_current(self.engine, MIGRATIONS, VERSION_TABLE, how)

    def _start_tracking(self) -> None:
        with self.engine.begin() as conn:
            found = conn.execute(select(store.tracking).where(store.tracking.c.name == NAME))
            if found.first() is not None:
                return
            quiet = self.settings.quiet_until
            if quiet is None:
                quiet = self.reader.recorder.max_notification_id() or 0
            conn.execute(
                store.tracking.insert().values(
                    name=NAME, position=0, quiet_until=quiet if self.settings.start_quiet else 0
                )
            )

    async def close(self) -> None:
        await self.senders.close()
        self.reader.close()
        self.engine.dispose()

    # --- deriving -----------------------------------------------------------------------------

    def derive_page(self) -> int:
        """Turn the next page of events into deliveries; return how many events were read."""
        self.deriver.erased.clear()
        with self.engine.begin() as conn:
            position, quiet_until = conn.execute(
                select(store.tracking.c.position, store.tracking.c.quiet_until).where(
                    store.tracking.c.name == NAME
                )
            ).one()
            envelopes, last = self.reader.read(position, self.settings.page_size)
            if last == position:
                return 0
            now = self.clock()
            for envelope in envelopes:
                effects = self.deriver.derive(conn, envelope)
                if envelope.position <= quiet_until:
                    continue
                # One message per key: two recipients sharing an address get it once.
                unique: dict[str, Effect] = {}
                for effect in effects:
                    unique.setdefault(effect.key(envelope.position), effect)
                for key, effect in unique.items():
                    conn.execute(
                        store.deliveries.insert().values(
                            key=key,
                            position=envelope.position,
                            channel=effect.channel,
                            recipient=effect.recipient,
                            candidate_id=effect.candidate_id,
                            audience=effect.audience,
                            subject=effect.subject,
                            body_text=effect.body_text,
                            body_html=effect.body_html,
                            payload=effect.payload,
                            subscription_id=effect.subscription_id,
                            status="pending",
                            attempts=0,
                            next_attempt_at=effect.not_before or now,
                            created_at=now,
                        )
                    )
            moved = conn.execute(
                update(store.tracking)
                .where(store.tracking.c.name == NAME, store.tracking.c.position == position)
                .values(position=last)
            )
            if moved.rowcount != 1:
                msg = "another worker moved the position first"
                raise RuntimeError(msg)
        if self.deriver.erased:
            # SQLite: the erased person's rows leave the write-ahead log too.
            self.deriver.erased.clear()
            engines.checkpoint(self.engine)
        return int(last - position)

    def derive_all(self) -> None:
        while self.derive_page():
            pass

    # --- delivering ---------------------------------------------------------------------------

    async def deliver_due(self, limit: int = 200) -> int:
        """Send what is due; return how many were attempted."""
        now = self.clock()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(store.deliveries)
                .where(
                    store.deliveries.c.status == "pending",
                    store.deliveries.c.next_attempt_at <= now,
                )
                .order_by(store.deliveries.c.position, store.deliveries.c.key)
                .limit(limit)
            ).all()
        # Several in flight: a slow receiver does not hold up the others.
        in_flight = asyncio.Semaphore(self.settings.delivery_concurrency)

        async def attempt(row: Any) -> None:
            async with in_flight:
                await self._attempt(row)

        await asyncio.gather(*(attempt(row) for row in due))
        return len(due)

    async def _attempt(self, row: Any) -> None:
        # Each attempt has its own time: the signature's timestamp and the backoff count from
        # it, not from the start of the batch.
        try:
            await self.senders.send(row, self.clock())
        except SubscriptionEnded as ended:
            self._set(row.key, status="cancelled", last_error=str(ended))
            _logged(row, "cancelled", row.attempts)
        except DeliveryFailed as error:
            self._failed(row, str(error), self.clock())
        except Exception as error:  # one bad message must not stop the others
            # Its type only: the message of an unforeseen error may carry anything.
            self._failed(row, type(error).__name__, self.clock())
        else:
            self._set(
                row.key,
                status="delivered",
                delivered_at=self.clock(),
                attempts=row.attempts + 1,
                last_error=None,
            )
            _logged(row, "delivered", row.attempts + 1)

    def _failed(self, row: Any, error: str, now: datetime) -> None:
        attempts = row.attempts + 1
        schedule = self.settings.retry_schedule_seconds
        if attempts > len(schedule):
            self._set(row.key, status="dead", attempts=attempts, last_error=error)
            _logged(row, "dead", attempts, logging.ERROR)
            return
        _logged(row, "retrying", attempts, logging.WARNING)
        jitter = 1 + self.rng.uniform(-self.settings.retry_jitter, self.settings.retry_jitter)
        wait = timedelta(seconds=schedule[attempts - 1] * jitter)
        self._set(row.key, attempts=attempts, last_error=error, next_attempt_at=now + wait)

    def _set(self, key: str, **values: Any) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(store.deliveries).where(store.deliveries.c.key == key).values(**values)
            )

    def redeliver(self, key: str) -> bool:
        """Put a dead-lettered delivery back in the queue."""
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(store.deliveries)
                .where(store.deliveries.c.key == key, store.deliveries.c.status == "dead")
                .values(status="pending", attempts=0, next_attempt_at=self.clock())
            )
        return moved.rowcount == 1

    # --- running ------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event, until_idle: bool = False) -> None:
        """Derive and deliver until stopped; with another worker active on the store, stand by
        until it stops (so no message is sent twice by two workers)."""
        with Leadership(self.engine, self.settings.database_schema, NAME) as leadership:
            while not stop.is_set() and not leadership.acquire():
                if until_idle:
                    return  # another worker is active and will do the work
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.poll_seconds)
            self.leading = leadership.held
            try:
                await self._work(stop, until_idle)
            finally:
                self.leading = False

    async def _work(self, stop: asyncio.Event, until_idle: bool) -> None:
        while not stop.is_set():
            derived = await asyncio.to_thread(self.derive_page)
            sent = await self.deliver_due()
            if until_idle and not derived and not sent:
                return
            if not derived and not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.poll_seconds)
