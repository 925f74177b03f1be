"""The pipeline's commands: load, ask the aggregates, save (atomically when several change)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder

from helgeland_pipeline.domain.candidates import (
    Candidate,
    CareerPreference,
    ContactKind,
    LocalConnection,
)
from helgeland_pipeline.domain.common import Actor, DomainError, Stamp, require, require_valid
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus
from helgeland_pipeline.reference import ReferenceData, load_reference
from helgeland_pipeline.transcodings import register_domain_transcodings

A = TypeVar("A", bound=Aggregate)


class NotFound(DomainError):
    """No such candidate or round (maps to 404)."""


@dataclass(frozen=True)
class Saved:
    """What a command changed: the aggregate's id and the log position of its last event."""

    id: UUID
    position: int


Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PipelineApplication(Application[UUID]):
    """Commands for the hospital's LIS1 round. Every command records its actor and times."""

    name = "Pipeline"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        clock: Clock = utc_now,
        reference: ReferenceData | None = None,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        self.reference = reference or load_reference()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # --- rounds -----------------------------------------------------------------------------

    def open_round(
        self,
        actor: Actor,
        name: str,
        positions: dict[str, int],
        coupled_positions: int,
        application_deadline: date,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Open a LIS1 round with positions per hospital unit."""
        unknown = sorted(set(positions) - set(self.reference.hospital_units))
        require_valid(not unknown, f"unknown hospital unit(s): {', '.join(unknown)}")
        stamp = self._stamp(actor, occurred_at)
        lis1_round = Lis1Round.open(name, positions, coupled_positions, application_deadline, stamp)
        return self._save(lis1_round)

    def advance_round(
        self, actor: Actor, round_id: UUID, status: RoundStatus, occurred_at: datetime | None = None
    ) -> Saved:
        """Move a round to interviewing or offering."""
        lis1_round = self._get(round_id, Lis1Round)
        lis1_round.advance_to(status, self._stamp(actor, occurred_at))
        return self._save(lis1_round)

    def finalise_round_list(
        self, actor: Actor, round_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """Make the round's list final once every offer is answered or expired."""
        lis1_round = self._get(round_id, Lis1Round)
        lis1_round.finalise_list(self._stamp(actor, occurred_at))
        return self._save(lis1_round)

    # --- candidates -------------------------------------------------------------------------

    def register_candidate(
        self,
        actor: Actor,
        name: str,
        email: str,
        phone: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Register a candidate with their contact details (the only personal data we keep)."""
        stamp = self._stamp(actor, occurred_at)
        candidate = Candidate(stamp)
        candidate.record_contact_details(name, email, phone, stamp)
        return self._save(candidate)

    def record_contact_details(
        self, actor: Actor, candidate_id: UUID, name: str, email: str, phone: str | None = None
    ) -> Saved:
        """Correct a candidate's name or contact details."""
        candidate = self._get(candidate_id, Candidate)
        candidate.record_contact_details(name, email, phone, self._stamp(actor, None))
        return self._save(candidate)

    def record_student_contact(
        self,
        actor: Actor,
        candidate_id: UUID,
        kind: ContactKind,
        municipality: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Step 1: a campus visit, a 5th-year placement in a municipality, or other contact."""
        self._check_municipality(municipality)
        candidate = self._get(candidate_id, Candidate)
        candidate.record_student_contact(kind, municipality, self._stamp(actor, occurred_at))
        return self._save(candidate)

    def submit_lis1_application(
        self,
        actor: Actor,
        candidate_id: UUID,
        round_id: UUID,
        preference: CareerPreference,
        local_connection: list[LocalConnection],
        consent_to_share: bool,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Step 2: the LIS1 application with career preference and local connection."""
        candidate = self._get(candidate_id, Candidate)
        lis1_round = self._get(round_id, Lis1Round)
        stamp = self._stamp(actor, occurred_at)
        candidate.submit_lis1_application(
            lis1_round, preference, local_connection, consent_to_share, stamp
        )
        return self._save(candidate)

    def record_lis1_interview(
        self,
        actor: Actor,
        candidate_id: UUID,
        interviewer: str,
        primary_care_interest: int,
        notes: str = "",
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Step 3: the hospital interview, which explores interest in primary care."""
        candidate, lis1_round = self._candidate_and_round(candidate_id)
        stamp = self._stamp(actor, occurred_at)
        candidate.record_lis1_interview(
            lis1_round, interviewer, primary_care_interest, notes, stamp
        )
        return self._save(candidate)

    def offer_lis1(
        self,
        actor: Actor,
        candidate_id: UUID,
        unit: str,
        coupled: bool,
        answer_by: date,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Step 4: offer a LIS1 position; the round's quota is checked in the same save."""
        candidate, lis1_round = self._candidate_and_round(candidate_id)
        candidate.offer_lis1(lis1_round, unit, coupled, answer_by, self._stamp(actor, occurred_at))
        return self._save(candidate, lis1_round)

    def accept_lis1_offer(
        self, actor: Actor, candidate_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """The candidate accepts their LIS1 offer."""
        candidate, lis1_round = self._candidate_and_round(candidate_id)
        candidate.accept_lis1_offer(lis1_round, self._stamp(actor, occurred_at))
        return self._save(candidate, lis1_round)

    def decline_lis1_offer(
        self, actor: Actor, candidate_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """The candidate declines their LIS1 offer; the position is free again."""
        candidate, lis1_round = self._candidate_and_round(candidate_id)
        candidate.decline_lis1_offer(lis1_round, self._stamp(actor, occurred_at))
        return self._save(candidate, lis1_round)

    def withdraw_application(
        self,
        actor: Actor,
        candidate_id: UUID,
        reason: str = "",
        occurred_at: datetime | None = None,
    ) -> Saved:
        """The candidate leaves the process; a held position is released."""
        candidate = self._get(candidate_id, Candidate)
        lis1_round = self._get(UUID(candidate.round_id), Lis1Round) if candidate.round_id else None
        candidate.withdraw_application(lis1_round, reason, self._stamp(actor, occurred_at))
        return self._save(candidate, lis1_round)

    # --- plumbing ---------------------------------------------------------------------------

    def _stamp(self, actor: Actor, occurred_at: datetime | None) -> Stamp:
        now = self.clock()
        return Stamp(actor=actor, occurred_at=occurred_at or now, recorded_at=now)

    def _get(self, aggregate_id: UUID, kind: type[A]) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            aggregate = None
        if not isinstance(aggregate, kind):
            label = "candidate" if kind is Candidate else "round"
            msg = f"no {label} with id {aggregate_id}"
            raise NotFound(msg)
        return aggregate

    def _candidate_and_round(self, candidate_id: UUID) -> tuple[Candidate, Lis1Round]:
        candidate = self._get(candidate_id, Candidate)
        require(candidate.round_id is not None, "the candidate has not applied to a round")
        return candidate, self._get(UUID(str(candidate.round_id)), Lis1Round)

    def _check_municipality(self, number: str | None) -> None:
        known = self.reference.municipalities
        require_valid(number is None or number in known, f"unknown municipality {number!r}")

    def _save(self, primary: Aggregate, *others: Aggregate | None) -> Saved:
        recordings = self.save(primary, *others)
        position = max((r.notification.id for r in recordings), default=0)
        return Saved(id=primary.id, position=position)
