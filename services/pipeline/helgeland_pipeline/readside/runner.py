"""Follows the notification log and applies each event exactly once to a projection's tables.

A page of events and the new tracking position are written in one transaction: after a crash
the runner resumes from the last committed position, so nothing is lost or applied twice. The
tracking update is conditional on the old position, so two runners racing cannot both apply a
page. One runner is active per (schema, projection, version); others stand by and take over.

An event the projection cannot apply stops this projection only, visibly: the failure is
recorded in `projection_failures` and logged, and the runner retries with backoff until the
cause is fixed or an operator skips the event (`helgeland projections skip`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from eventsourcing.utils import get_topic
from helgeland_platform.leadership import Leadership, advisory_key
from helgeland_platform.logs import log
from sqlalchemy import Connection, Engine, MetaData, text

from helgeland_pipeline.readside import status, versions
from helgeland_pipeline.readside.sql import DeferredWriteFailed, drop_pending, flush_inserts
from helgeland_pipeline.readside.tracking import (
    TrackingConflict,
    advance_position,
    ensure_tracked,
    read_position,
)

_log = logging.getLogger("helgeland.readside")


class Projection(Protocol):
    """A read model: its tables, the event classes it applies, and how one event changes them."""

    name: str
    version: int  # bump when the tables change: the new version is built beside the old
    metadata: MetaData  # tables named with the version, so two versions can live side by side

    @property
    def event_classes(self) -> Collection[type[Any]]:
        """The event classes it applies; no other event is read or decoded for it."""

    @property
    def retired_tables(self) -> Collection[str]:
        """Unversioned tables of releases before versioned tables, dropped once it is live."""

    def apply(self, conn: Connection, event: Any, position: int) -> None: ...


class LogReader(Protocol):
    recorder: ApplicationRecorder
    mapper: Mapper[Any]


class ProjectionFailed(Exception):
    """An event could not be applied; the page was rolled back."""

    def __init__(self, projection: str, position: int | None, topic: str | None, cause: Exception):
        self.projection, self.position, self.topic, self.cause = projection, position, topic, cause
        where = f"event {position} ({topic})" if position is not None else "reading the log"
        super().__init__(f"{projection} failed at {where}: {describe(cause)}")


@dataclass
class SharedPage:
    """One page of the log read for every runner at its start: each event is decoded once."""

    start: int
    end: int  # the position every runner at `start` moves to with this page
    notifications: Sequence[Notification]
    mapper: Mapper[Any]
    _decoded: dict[int, Any] = field(default_factory=dict)

    def event(self, notification: Notification) -> Any:
        found = self._decoded.get(notification.id)
        if found is None:
            found = self._decoded[notification.id] = self.mapper.to_domain_event(notification)
        return found


def read_shared_page(
    log: LogReader, start: int, page_size: int, topics: Collection[str]
) -> SharedPage | None:
    """The next page of the log after `start` in any of `topics`; None at the log's end."""
    head = log.recorder.max_notification_id() or 0
    if head <= start:
        return None
    page = log.recorder.select_notifications(
        start=start, limit=page_size, stop=head, topics=sorted(topics), inclusive_of_start=False
    )
    end = page[-1].id if len(page) == page_size else head
    return SharedPage(start, end, page, log.mapper)


def catch_up_together(
    runners: Sequence[ProjectionRunner],
    on_position: Callable[[int], None] | None = None,
    page_size: int | None = None,
) -> int:
    """Catch several read models up at once: each page of the log is read and decoded once for
    every runner at its start (each still applies it in its own transaction and tracks its own
    position). `on_position(p)`: all of them have reached p. Returns the log position reached.
    """
    if not runners:
        return 0
    log = runners[0].log
    low = 0
    while not any(r.stopping for r in runners):
        starts = {r.key: r.start_position() for r in runners}
        low = min(starts.values())
        at_low = [r for r in runners if starts[r.key] == low]
        # A page of the log holds about a page of each one's own events.
        span = page_size or sum(r.page_size for r in at_low)
        shared = read_shared_page(log, low, span, {t for r in at_low for t in r.topics})
        if shared is None:
            break
        for runner in at_low:
            runner.step(shared)
        if on_position is not None:
            on_position(min(r.start_position() for r in runners))
    for runner in runners:
        runner.finish_catching_up()
    return low


class _BatchFailed(Exception):
    """Writing a page's queued rows failed; which event's row is not known yet."""


def describe(error: BaseException) -> str:
    """An error's type and first line; statement parameters are hidden by the engines."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first}"[:1000]


class ProjectionRunner:
    """Keeps one projection up to date with the log, a page per transaction."""

    def __init__(
        self,
        log: LogReader,
        engine: Engine,
        projection: Projection,
        page_size: int = 500,
        schema: str | None = None,
        retry_max_seconds: float = 30.0,
    ) -> None:
        self.log = log
        self.engine = engine
        self.projection = projection
        self.page_size = page_size
        self.schema = schema
        self.retry_max_seconds = retry_max_seconds
        self.key = f"{projection.name}@v{projection.version}"
        self.topics = sorted({get_topic(cls) for cls in projection.event_classes})
        self.failure: status.Failure | None = None
        self.leading = False
        self.live = False
        self._applied = 0
        self._changed = threading.Condition()
        self._prompt = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- tables and versions ----------------------------------------------------------------

    def create_tables(self) -> None:
        """Create this version's tables beside any other version's, and register it.

        Processes starting at once (an API and a worker) take turns: PostgreSQL's check for an
        existing table is no lock, so two creating one table at once would fail one of them.
        """
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                key = advisory_key(self.schema, f"create-tables:{self.key}")
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
            self.projection.metadata.create_all(conn)  # the rest comes with migrations
        # Registered before it is tracked: a tracked key nobody registered is a release's from
        # before versioned tables (see `versions.retire_unversioned`).
        tables = sorted(self.projection.metadata.tables)
        versions.register(
            self.engine, self.key, self.projection.name, self.projection.version, tables, _now()
        )
        ensure_tracked(self.engine, self.key)
        self.refresh_from_store()

    def refresh_from_store(self) -> None:
        """Read position, failure and state from the store (another process may lead).

        A version whose position is at the log's end is live: there is nothing to build.
        """
        head = self.log.recorder.max_notification_id() or 0
        with self.engine.begin() as conn:
            self._applied = max(self._applied, read_position(conn, self.key))
            self.failure = status.read_failure(conn, self.key)
            if not self.live:
                self.live = versions.state(conn, self.key) == versions.LIVE
        if not self.live and self._applied >= head:
            versions.mark_live(self.engine, self.key, _now())
            self.live = True

    def drop_tables(self) -> None:
        """Drop this version's tables and position (a rebuild from zero starts here)."""
        versions.drop_version(self.engine, self.key, sorted(self.projection.metadata.tables))
        self.projection.metadata.drop_all(self.engine)
        self.live = False
        self._applied = 0

    def position(self) -> int:
        with self.engine.begin() as conn:
            return read_position(conn, self.key)

    # --- applying ---------------------------------------------------------------------------

    def process_page(self, *, one_by_one: bool = False, shared: SharedPage | None = None) -> int:
        """Apply the next page of events; return how many notifications it moved past.

        Rows that nothing in the page reads back are written together at its end; if that
        fails, the page is applied again `one_by_one`, to name the event whose row failed.
        A `shared` page read from this runner's position serves instead of reading its own.
        """
        # Read the page before taking the write lock (SQLite's is the whole database: commands
        # wait for it while holding the event store's connections), then check the position.
        start = self._applied if self.leading else self.position()
        decode: Callable[[Notification], Any]
        if shared is not None and shared.start == start:
            wanted = set(self.topics)
            page: Sequence[Notification] = [n for n in shared.notifications if n.topic in wanted]
            new = shared.end
            decode = shared.event
        else:
            head = self.log.recorder.max_notification_id() or 0
            if head <= start:
                return 0
            page = self.log.recorder.select_notifications(
                start=start,
                limit=self.page_size,
                stop=head,
                topics=self.topics,
                inclusive_of_start=False,
            )
            # Every notification up to `head` was committed before it was read (the stores
            # serialise appends), so a short page means none of ours lies between it and head.
            new = page[-1].id if len(page) == self.page_size else head
            decode = self.log.mapper.to_domain_event
        with self.engine.begin() as conn:
            old = read_position(conn, self.key, lock=True, missing=-1)
            if old < 0:
                gone = LookupError(f"{self.key} is no longer tracked: its version was dropped")
                raise ProjectionFailed(self.key, None, None, gone)
            if old != start:
                self._applied = max(self._applied, old)
                msg = f"{self.key} moved from {start} to {old} elsewhere"
                raise TrackingConflict(msg)
            skipped = status.skipped_positions(conn, self.key, old)
            try:
                for notification in page:
                    if notification.id not in skipped:
                        self._apply(conn, notification, decode, flush=one_by_one)
                try:
                    flush_inserts(conn)
                except Exception as error:
                    raise _BatchFailed from error
            finally:
                drop_pending(conn)
            advance_position(conn, self.key, old, new)
        self._moved_to(new)
        return new - old

    def _apply(
        self,
        conn: Connection,
        notification: Notification,
        decode: Callable[[Notification], Any],
        *,
        flush: bool,
    ) -> None:
        try:
            event = decode(notification)
            self.projection.apply(conn, event, notification.id)
            if flush:
                flush_inserts(conn)
        except DeferredWriteFailed as error:
            if flush:  # one by one, the queue held this event's writes only
                cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
                raise ProjectionFailed(
                    self.key, notification.id, notification.topic, cause
                ) from error
            raise _BatchFailed from error  # an earlier event's queued write: find which
        except Exception as error:
            raise ProjectionFailed(self.key, notification.id, notification.topic, error) from error

    def start_position(self) -> int:
        """Where the next page starts (the store's word unless this runner leads)."""
        return self._applied if self.leading else self.position()

    def step(self, shared: SharedPage | None = None) -> int:
        """Apply one page (again one by one if its queued rows fail); 0 when there is none or
        another runner moved first. A failure is recorded and raised as `ProjectionFailed`."""
        try:
            try:
                return self.process_page(shared=shared)
            except _BatchFailed:
                return self.process_page(one_by_one=True, shared=shared)
        except TrackingConflict:
            return 0
        except ProjectionFailed as failed:
            self._record(failed.position, failed.topic, failed.cause)
            raise

    def finish_catching_up(self) -> None:
        self._recovered()
        self._go_live()

    def _moved_to(self, position: int) -> None:
        with self._changed:
            self._applied = position
            self._changed.notify_all()

    def catch_up(self, on_page: Callable[[int], None] | None = None) -> int:
        """Apply pages until the log has no more events; return how far the position moved.

        A failing event is recorded in the status table and raised as `ProjectionFailed`.
        """
        total = 0
        while not self._stop.is_set():
            before = self._applied
            count = self.step()
            if count == 0 and self._applied == before and self.start_position() >= self._head():
                break
            total += count
            if on_page is not None and count:
                on_page(count)
        self.finish_catching_up()
        return total

    def _head(self) -> int:
        return self.log.recorder.max_notification_id() or 0

    def _record(self, position: int | None, topic: str | None, cause: Exception) -> None:
        now = _now()
        failure = status.Failure(
            projection=self.key,
            position=position,
            event_type=topic.partition(":")[2] if topic else None,
            error_type=type(cause).__name__,
            error=describe(cause),
            attempts=1,
            first_failed_at=now,
            last_failed_at=now,
        )
        try:
            self.failure = status.record_failure(self.engine, failure)
        except Exception:  # the store itself is down: keep the failure in memory and log it
            self.failure = failure
        with self._changed:
            self._changed.notify_all()
        log(
            _log,
            logging.ERROR,
            "projection failed",
            projection=self.projection.name,
            version=self.projection.version,
            position=position,
            event_type=failure.event_type,
            # The type only: an error's message may quote a value (a name); the stored
            # failure, read by operators through the API and CLI, keeps its first line.
            error_type=failure.error.partition(":")[0],
            attempts=self.failure.attempts,
        )

    def _recovered(self) -> None:
        if self.failure is None:
            return
        status.clear_failure(self.engine, self.key)
        log(_log, logging.INFO, "projection recovered", projection=self.key, position=self._applied)
        self.failure = None

    def _go_live(self) -> None:
        """Caught up: serve reads from this version and retire older ones nobody runs."""
        if not self.live:
            versions.mark_live(self.engine, self.key, _now())
            self.live = True
            log(_log, logging.INFO, "projection live", projection=self.key, position=self._applied)
        self.retire_older_versions()

    def retire_older_versions(self) -> list[str]:
        """Drop older versions' tables once no runner of theirs is left; return their keys."""
        retired = versions.retire_older(
            self.engine, self.schema, self.projection.name, self.projection.version
        )
        versions.retire_unversioned(
            self.engine,
            self.projection.name,
            self.projection.version,
            self.projection.retired_tables,
        )
        return retired

    # --- running in the background ----------------------------------------------------------

    def prompt(self) -> None:
        """Wake the runner now (called after a save in the same process)."""
        self._prompt.set()

    def start(self, poll_seconds: float = 0.5) -> None:
        self._thread = threading.Thread(
            target=self.run_forever, args=(poll_seconds,), name=self.key, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._prompt.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run_forever(self, poll_seconds: float = 0.5) -> None:
        """Lead (or stand by until the leader is gone), then follow the log until stopped."""
        with Leadership(self.engine, self.schema, self.key) as leadership:
            while not self._stop.is_set() and not leadership.acquire():
                self._stop.wait(max(poll_seconds, 0.5))
            self.leading = leadership.held
            try:
                self._follow(poll_seconds)
            finally:
                self.leading = False

    def _follow(self, poll_seconds: float) -> None:
        attempts = 0
        while not self._stop.is_set():
            try:
                self.catch_up()
                attempts = 0
            except ProjectionFailed:
                attempts += 1
            except Exception as error:  # the store is unreachable, say: visible, retried
                attempts += 1
                self._record(None, None, error)
            if attempts:
                # Back off: the same event fails again until its cause is fixed or skipped.
                self._stop.wait(min(self.retry_max_seconds, poll_seconds * 2 ** min(attempts, 16)))
                continue
            self._prompt.wait(poll_seconds)
            self._prompt.clear()

    # --- read-your-writes -------------------------------------------------------------------

    def wait_until(self, position: int, deadline: float) -> bool:
        """Block until the projection has applied `position` or the monotonic deadline passes.

        Returns at once (False) when the projection is failing at or before that position.
        """
        self.prompt()
        while True:
            if self._applied >= position:
                return True
            if self.failure is not None and (self.failure.position or 0) <= position:
                return False
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if self.leading:
                with self._changed:
                    self._changed.wait(min(remaining, 0.25))
            else:  # another process leads: its progress shows only in the store
                self.refresh_from_store()
                time.sleep(min(remaining, 0.02))


def _now() -> datetime:
    return datetime.now(UTC)
