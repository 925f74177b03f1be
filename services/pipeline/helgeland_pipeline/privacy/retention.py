"""Storage limitation: candidates never hired are erased a set time after their round closed.

A round closes when its list is made final (`ListFinalised`). A candidate of that round who
never accepted a LIS1 offer is erased `retention_unhired_days` (`HELGELAND_RETENTION_UNHIRED_
DAYS`, default 365) after that, like an erasure on request but with the basis `retention`.
People registered but who never applied to a round (student contacts) belong to no round that
closes: they are erased `retention_unapplied_days` (`HELGELAND_RETENTION_UNAPPLIED_DAYS`, default
365) after the last event about them (a contact, a correction of their details), basis
`retention` too.

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
REASON_UNAPPLIED = "Lagringstid utløpt (søkte aldri)"


class RetentionJob:
    def __init__(
        self,
        services: Services,
        days: int,
        interval_seconds: float,
        *,
        unapplied_days: int = 365,
    ) -> None:
        self.services = services
        self.days = days
        self.unapplied_days = unapplied_days
        self.interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self, now: datetime) -> list[UUID]:
        """Who is to be erased now and is not erased yet: the never hired whose round's list
        was final more than `days` ago, and the never applied (`unapplied_days`)."""
        return [cid for cid, _ in self._due(now)]

    def _due(self, now: datetime) -> list[tuple[UUID, str]]:
        """Who is due, each with the reason recorded: the never hired, then the never applied."""
        return [(cid, REASON) for cid in self._unhired(now)] + [
            (cid, REASON_UNAPPLIED) for cid in self._unapplied(now)
        ]

    def _unapplied(self, now: datetime) -> list[UUID]:
        """People registered who never applied, with no event about them for `unapplied_days`."""
        cutoff = now - timedelta(days=self.unapplied_days)
        c = candidates.c
        erased = select(person_keys.c.person_id).where(person_keys.c.erased_at.is_not(None))
        query = (
            select(c.candidate_id)
            .where(
                c.round_id.is_(None),
                c.last_event_at <= cutoff,
                c.candidate_id.not_in(erased),
            )
            .order_by(c.seq)
        )
        with self.services.engine.connect() as conn:
            return [UUID(cid) for cid in conn.execute(query).scalars()]

    def _unhired(self, now: datetime) -> list[UUID]:
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
        for candidate_id, reason in self._due(now):
            try:
                erase(self.services, ACTOR, candidate_id, reason, ErasureBasis.RETENTION)
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
            unapplied_days=self.unapplied_days,
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
