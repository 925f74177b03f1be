"""Storage limitation: candidates never hired are erased a set time after their round closed.

A round closes when its list is made final (`ListFinalised`). A candidate of that round who
never accepted a LIS1 offer is erased `retention_unhired_days` (`HELGELAND_RETENTION_UNHIRED_
DAYS`, default 365) after that, like an erasure on request but with the basis `retention`.
Candidates who never applied to a round are not covered: they belong to no round that closes.

The job runs in the process that runs the projection workers (`helgeland serve`, `helgeland
project`), once per `retention_interval_seconds` (the first time one interval after start);
one process runs it at a time (`Leadership`), the others stand by. Each erasure is logged with
the candidate's id and the basis, never with personal data.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from uuid import UUID

from helgeland_platform.keystore import person_keys
from helgeland_platform.leadership import Leadership
from helgeland_platform.logs import log
from sqlalchemy import or_, select

from helgeland_pipeline.bootstrap import Services
from helgeland_pipeline.domain.candidates import ErasureBasis
from helgeland_pipeline.domain.common import Actor, DomainError, Role
from helgeland_pipeline.privacy.erasure import erase
from helgeland_pipeline.readside.hospital.tables import candidates, rounds

_log = logging.getLogger("helgeland.privacy")
NAME = "privacy-retention"
ACTOR = Actor("system:retention", "Helgelandslegen", Role.ADMIN)
REASON = "Lagringstid utløpt (ikke ansatt)"


class RetentionJob:
    def __init__(self, services: Services, days: int, interval_seconds: float) -> None:
        self.services = services
        self.days = days
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self, now: datetime) -> list[UUID]:
        """Candidates never hired whose round's list was final more than `days` ago, and who
        are not erased yet."""
        cutoff = now - timedelta(days=self.days)
        c, r = candidates.c, rounds.c
        erased = select(person_keys.c.person_id).where(person_keys.c.erased_at.is_not(None))
        query = (
            select(c.candidate_id)
            .join(rounds, r.round_id == c.round_id)
            .where(
                r.list_final_at.is_not(None),
                r.list_final_at <= cutoff,
                or_(c.offer_state.is_(None), c.offer_state != "accepted"),
                c.candidate_id.not_in(erased),
            )
            .order_by(c.seq)
        )
        with self.services.engine.connect() as conn:
            return [UUID(cid) for cid in conn.execute(query).scalars()]

    def run_once(self) -> list[UUID]:
        """Erase every candidate due now; return whom."""
        now = self.services.app.clock()
        done: list[UUID] = []
        for candidate_id in self.due(now):
            try:
                erase(self.services, ACTOR, candidate_id, REASON, ErasureBasis.RETENTION)
            except DomainError as error:  # one refused erasure must not stop the others
                log(
                    _log,
                    logging.ERROR,
                    "retention erasure refused",
                    candidate_id=str(candidate_id),
                    error=type(error).__name__,
                )
                continue
            done.append(candidate_id)
        log(
            _log,
            logging.INFO,
            "retention run",
            erased=len(done),
            days=self.days,
            candidate_ids=[str(c) for c in done],
        )
        return done

    def tick(self, leadership: Leadership) -> list[UUID] | None:
        """Run once if this process leads the job; None when another process does."""
        if not leadership.acquire():
            return None
        return self.run_once()

    # --- scheduling ---------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=NAME, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        schema = self.services.settings.database_schema
        with Leadership(self.services.engine, schema, NAME) as leadership:
            while not self._stop.wait(self.interval):
                try:
                    self.tick(leadership)
                except Exception as error:  # the store is down, say: logged, tried next time
                    log(_log, logging.ERROR, "retention run failed", error=type(error).__name__)
