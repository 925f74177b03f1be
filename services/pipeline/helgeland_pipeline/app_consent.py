"""Consent: given and withdrawn per purpose, each naming the version of the text shown."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from helgeland_pipeline.app_base import NotFound, PipelineBase, Saved
from helgeland_pipeline.domain.candidates import Candidate, ConsentPurpose
from helgeland_pipeline.domain.common import Actor, require
from helgeland_pipeline.domain.forum import ForumCandidacy, candidacy_id


class ConsentCommands(PipelineBase):
    def give_consent(
        self,
        actor: Actor,
        candidate_id: UUID,
        purpose: ConsentPurpose,
        version: int,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """The candidate consents to a purpose, having seen that version of its text."""
        candidate = self._get(candidate_id, Candidate, "candidate")
        stamp = self._stamp(actor, occurred_at)
        self.consent_text(purpose, version, stamp)
        if purpose == ConsentPurpose.FORUM_SHARING:
            candidacy = self._candidacy_or_none(candidate_id)
            require(
                candidacy is None or not candidacy.consent_withdrawn,
                "sharing was withdrawn after the list went to the forum; it is not renewed",
            )
        candidate.give_consent(purpose, version, stamp)
        return self._save(candidate)

    def withdraw_consent(
        self,
        actor: Actor,
        candidate_id: UUID,
        occurred_at: datetime | None = None,
        purpose: ConsentPurpose = ConsentPurpose.FORUM_SHARING,
        version: int | None = None,
    ) -> Saved:
        """The candidate withdraws consent. For sharing, at once: municipal views drop them,
        invitations and offers close (in the same save)."""
        candidate = self._get(candidate_id, Candidate, "candidate")
        stamp = self._stamp(actor, occurred_at)
        if version is not None:
            self.consent_text(purpose, version, stamp)
        candidate.withdraw_consent(stamp, purpose, version)
        candidacy = None
        if purpose == ConsentPurpose.FORUM_SHARING:
            candidacy = self._candidacy_or_none(candidate_id)
            if candidacy is not None and not candidacy.consent_withdrawn:
                candidacy.close_for_withdrawn_consent(stamp)
        return self._save(candidate, candidacy)

    def _candidacy_or_none(self, candidate_id: UUID) -> ForumCandidacy | None:
        try:
            return self._get(candidacy_id(candidate_id), ForumCandidacy, "shared candidate")
        except NotFound:
            return None
