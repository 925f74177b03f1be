"""Follows the notification log and applies each event exactly once to a projection's tables.

A page of events and the new tracking position are written in one transaction: after a crash
the runner resumes from the last committed position, so nothing is lost or applied twice. The
tracking update is conditional on the old position, so two runners racing cannot both apply a
page. On PostgreSQL one runner per projection is active (an advisory lock); others stand by.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification
from sqlalchemy import Connection, Engine, MetaData, delete, select, text

from helgeland_pipeline.projections.tracking import (
    TrackingConflict,
    advance_position,
    ensure_tracked,
    read_position,
    tracking,
)
from helgeland_pipeline.projections.tracking import metadata as tracking_metadata


class Projection(Protocol):
    """A read model: its tables and how one event changes them."""

    name: str
    version: int  # bump when the tables change: the old tables are dropped and rebuilt
    metadata: MetaData

    def apply(self, conn: Connection, event: Any, position: int) -> None: ...


class LogReader(Protocol):
    recorder: ApplicationRecorder
    mapper: Mapper[Any]


class ProjectionRunner:
    """Keeps one projection up to date with the log, a page per transaction."""

    def __init__(
        self,
        log: LogReader,
        engine: Engine,
        projection: Projection,
        page_size: int = 500,
    ) -> None:
        self.log = log
        self.engine = engine
        self.projection = projection
        self.page_size = page_size
        self.key = f"{projection.name}@v{projection.version}"
        self._prompt = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def create_tables(self) -> None:
        """Create the tables; tables of an older version of the projection are rebuilt."""
        tracking_metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            stale = conn.execute(
                select(tracking.c.projection).where(
                    tracking.c.projection.like(f"{self.projection.name}@%"),
                    tracking.c.projection != self.key,
                )
            ).all()
        if stale:
            self.drop_tables()
        self.projection.metadata.create_all(self.engine)
        ensure_tracked(self.engine, self.key)

    def drop_tables(self) -> None:
        self.projection.metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.execute(
                delete(tracking).where(tracking.c.projection.like(f"{self.projection.name}@%"))
            )

    def position(self) -> int:
        with self.engine.begin() as conn:
            return read_position(conn, self.key)

    def process_page(self) -> int:
        """Apply the next page of events; return how many were applied (0 when caught up)."""
        with self.engine.begin() as conn:
            old = read_position(conn, self.key)
            page: Sequence[Notification] = self.log.recorder.select_notifications(
                start=old, limit=self.page_size, inclusive_of_start=False
            )
            if not page:
                return 0
            for notification in page:
                event = self.log.mapper.to_domain_event(notification)
                self.projection.apply(conn, event, notification.id)
            advance_position(conn, self.key, old, page[-1].id)
        return len(page)

    def catch_up(self, on_page: Callable[[int], None] | None = None) -> int:
        """Apply pages until the log has no more events; return the number applied."""
        total = 0
        while not self._stop.is_set():
            try:
                count = self.process_page()
            except TrackingConflict:
                continue
            if count == 0:
                break
            total += count
            if on_page is not None:
                on_page(count)
        return total

    # --- running in the background ----------------------------------------------------------

    def prompt(self) -> None:
        """Wake the runner now (called after a save in the same process)."""
        self._prompt.set()

    def start(self, poll_seconds: float = 0.5) -> None:
        self._thread = threading.Thread(
            target=self.run_forever, args=(poll_seconds,), name=self.projection.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._prompt.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_forever(self, poll_seconds: float = 0.5) -> None:
        with _LeadershipLock(self.engine, self.key, self._stop) as leader:
            while leader.held and not self._stop.is_set():
                try:
                    self.catch_up()
                except Exception as error:
                    self.error = error
                    self._stop.wait(poll_seconds)
                self._prompt.wait(poll_seconds)
                self._prompt.clear()

    def wait_until(self, position: int, timeout: float) -> bool:
        """Block until the projection has applied `position`; False on time-out."""
        deadline = time.monotonic() + timeout
        self.prompt()
        while True:
            if self.position() >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


class _LeadershipLock:
    """One active runner per projection on PostgreSQL (an advisory lock); SQLite has one."""

    def __init__(self, engine: Engine, name: str, stop: threading.Event) -> None:
        self.engine = engine
        self.key = zlib.crc32(name.encode())
        self.stop = stop
        self.held = False
        self._conn: Connection | None = None

    def __enter__(self) -> _LeadershipLock:
        if self.engine.dialect.name != "postgresql":
            self.held = True
            return self
        self._conn = self.engine.connect()
        while not self.stop.is_set():
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            self._conn.commit()
            if got.scalar_one():
                self.held = True
                break
            self.stop.wait(1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
