"""The worker's scheduled pruning of the access log: entries older than the retention go."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from helgeland_platform.logs import log as emit
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from helgeland_pipeline.privacy.access_log import prune

log = logging.getLogger("helgeland.access_log")


class AccessLogPruner:
    """Prunes once at start, then every `interval` seconds, until stopped. Several processes
    may prune at once: deleting what is past the cut-off twice deletes nothing more."""

    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime],
        retention: timedelta,
        interval: float,
    ) -> None:
        self.engine, self.clock, self.retention, self.interval = engine, clock, retention, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="access-log-pruner", daemon=True)

    def prune_once(self) -> int:
        removed = prune(self.engine, self.clock(), self.retention)
        emit(log, logging.INFO, "access log pruned", removed=removed, days=self.retention.days)
        return removed

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.prune_once()
            except SQLAlchemyError as error:  # the next round tries again; say so meanwhile
                emit(log, logging.WARNING, "access log pruning failed", error=type(error).__name__)
            self._stop.wait(self.interval)
