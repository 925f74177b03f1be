"""The hospital's commands: rounds, and a candidate's steps 1–4 (contact to LIS1 answer)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.candidates import (
    Candidate,
    CareerPreference,
    ConsentPurpose,
    LocalConnection,
)
from helgeland_pipeline.domain.common import Actor, require, require_valid
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus


class HospitalCommands(PipelineBase):
    # --- rounds -----------------------------------------------------------------------------

    def open_round(
        self,
        actor: Actor,
        name: str,
        positions: dict[str, int],
        coupled_positions: int,
        application_deadline: date,
        occurred_at: datetime | None = None,
        lis1_starts_on: date | None = None,
    ) -> Saved:
        """Open a LIS1 round with positions per hospital unit."""
        unknown = sorted(set(positions) - set(self.reference.hospital_units))
        require_valid(not unknown, f"unknown hospital unit(s): {', '.join(unknown)}")
        stamp = self._stamp(actor, occurred_at)
        lis1_round = Lis1Round.open(
            name, positions, coupled_positions, application_deadline, stamp, lis1_starts_on
        )
        return self._save(lis1_round)

    def advance_round(
        self, actor: Actor, round_id: UUID, status: RoundStatus, occurred_at: datetime | None = None
    ) -> Saved:
        """Move a round to interviewing or offering."""
        lis1_round = self._round(round_id)
        lis1_round.advance_to(status, self._stamp(actor, occurred_at))
        return self._save(lis1_round)

    def finalise_round_list(
        self, actor: Actor, round_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """Make the round's list final once every offer is answered or expired."""
        lis1_round = self._round(round_id)
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

    def submit_lis1_application(
        self,
        actor: Actor,
        candidate_id: UUID,
        round_id: UUID,
        preference: CareerPreference,
        local_connection: list[LocalConnection],
        consent_to_share: bool,
        occurred_at: datetime | None = None,
        consent_text_version: int | None = None,
    ) -> Saved:
        """Step 2: the LIS1 application with career preference and local connection; consent to
        sharing names its text's version (default: the version in force that day)."""
        candidate = self._candidate(candidate_id)
        lis1_round = self._round(round_id)
        stamp = self._stamp(actor, occurred_at)
        text = self.consent_text(ConsentPurpose.FORUM_SHARING, consent_text_version, stamp)
        candidate.submit_lis1_application(
            lis1_round, preference, local_connection, consent_to_share, stamp, text.version
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
        candidate = self._candidate(candidate_id)
        lis1_round = self._round(UUID(candidate.round_id)) if candidate.round_id else None
        candidate.withdraw_application(lis1_round, reason, self._stamp(actor, occurred_at))
        return self._save(candidate, lis1_round)

    def _candidate(self, candidate_id: UUID) -> Candidate:
        return self._get(candidate_id, Candidate, "candidate")

    def _round(self, round_id: UUID) -> Lis1Round:
        return self._get(round_id, Lis1Round, "round")

    def _candidate_and_round(self, candidate_id: UUID) -> tuple[Candidate, Lis1Round]:
        candidate = self._candidate(candidate_id)
        require(candidate.round_id is not None, "the candidate has not applied to a round")
        return candidate, self._round(UUID(str(candidate.round_id)))
