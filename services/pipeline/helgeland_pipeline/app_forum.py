"""The forum's and municipalities' commands: steps 5–7 (forum list, invitations, LIS3 offers)."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.domain.forum import (
    ForumCandidacy,
    InvitationAnswer,
    InvitationKind,
    Lis3Terms,
    candidacy_id,
)
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.policy import acting_for, check_acts_for


class ForumCommands(PipelineBase):
    def send_list_to_forum(
        self, actor: Actor, round_id: UUID, occurred_at: datetime | None = None
    ) -> Saved:
        """Step 5: share the final list's GP-interested, consenting LIS1 doctors with the forum."""
        lis1_round = self._get(round_id, Lis1Round, "round")
        stamp = self._stamp(actor, occurred_at)
        candidates = [
            self._get(UUID(c), Candidate, "candidate") for c in lis1_round.accepted_candidates()
        ]
        wider = self.forum_includes_undecided
        shared = [str(c.id) for c in candidates if c.eligible_for_forum(wider)]
        lis1_round.send_list_to_forum(shared, stamp)
        candidacies = [
            ForumCandidacy(cid, str(round_id), lis1_round.lis1_ends_on(), stamp) for cid in shared
        ]
        return self._save(lis1_round, *candidacies)

    def invite(
        self,
        actor: Actor,
        candidate_id: UUID,
        municipality: str,
        kind: InvitationKind,
        proposed_times: list[datetime],
        occurred_at: datetime | None = None,
        location: str | None = None,
    ) -> tuple[Saved, str]:
        """Step 6: a municipality invites a shared candidate (interview, tour, terms talk)."""
        self._check_acting(actor, municipality)
        candidacy = self._candidacy(candidate_id)
        stamp = self._stamp(actor, occurred_at)
        invitation_id = candidacy.invite(municipality, kind, proposed_times, stamp, location)
        return self._save(candidacy), invitation_id

    def answer_invitation(
        self,
        actor: Actor,
        candidate_id: UUID,
        invitation_id: str,
        answer: InvitationAnswer,
        new_time: datetime | None = None,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Record the candidate's answer to an invitation."""
        candidacy = self._candidacy(candidate_id)
        stamp = self._stamp(actor, occurred_at)
        candidacy.answer_invitation(invitation_id, answer, new_time, acting_for(actor), stamp)
        return self._save(candidacy)

    def record_meeting_held(
        self,
        actor: Actor,
        candidate_id: UUID,
        invitation_id: str,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """The interview, tour or talk took place."""
        candidacy = self._candidacy(candidate_id)
        candidacy.record_meeting_held(
            invitation_id, acting_for(actor), self._stamp(actor, occurred_at)
        )
        return self._save(candidacy)

    def offer_lis3(
        self,
        actor: Actor,
        candidate_id: UUID,
        municipality: str,
        start_date: date,
        terms: Lis3Terms,
        expires_on: date,
        occurred_at: datetime | None = None,
        coupled_slot: int | None = None,
    ) -> tuple[Saved, str]:
        """Step 7: a municipality offers a LIS3/ALIS post coupled to the candidate's LIS1,
        naming the coupled slot of the round it fills (default: the candidate's own)."""
        self._check_acting(actor, municipality)
        candidacy = self._candidacy(candidate_id)
        lis1_round = self._get(UUID(candidacy.round_id), Lis1Round, "round")
        holds = lis1_round.coupled_slot_of(str(candidate_id))
        stamp = self._stamp(actor, occurred_at)
        offer_id = candidacy.offer_lis3(
            municipality, start_date, terms, expires_on, stamp, coupled_slot, holds
        )
        return self._save(candidacy), offer_id

    def withdraw_lis3_offer(
        self, actor: Actor, candidate_id: UUID, offer_id: str, occurred_at: datetime | None = None
    ) -> Saved:
        """The municipality withdraws its open offer."""
        candidacy = self._candidacy(candidate_id)
        candidacy.withdraw_lis3_offer(offer_id, acting_for(actor), self._stamp(actor, occurred_at))
        return self._save(candidacy)

    def decline_lis3_offer(
        self, actor: Actor, candidate_id: UUID, offer_id: str, occurred_at: datetime | None = None
    ) -> Saved:
        """The candidate declines an offer."""
        candidacy = self._candidacy(candidate_id)
        candidacy.decline_lis3_offer(offer_id, acting_for(actor), self._stamp(actor, occurred_at))
        return self._save(candidacy)

    def accept_lis3_offer(
        self, actor: Actor, candidate_id: UUID, offer_id: str, occurred_at: datetime | None = None
    ) -> Saved:
        """The candidate accepts one offer; every other open offer closes."""
        candidacy = self._candidacy(candidate_id)
        candidacy.accept_lis3_offer(offer_id, acting_for(actor), self._stamp(actor, occurred_at))
        return self._save(candidacy)

    def _candidacy(self, candidate_id: UUID) -> ForumCandidacy:
        # A candidate not on a forum list is "not found" to municipalities: nothing leaks.
        return self._get(
            candidacy_id(candidate_id), ForumCandidacy, "shared candidate", asked=candidate_id
        )

    def _check_acting(self, actor: Actor, municipality: str) -> None:
        self.check_municipality(municipality)
        check_acts_for(actor, municipality)
