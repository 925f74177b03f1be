"""Erasure (GDPR art. 17): record `Erased` and destroy the person's key."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from helgeland_contracts.personal import ERASED

from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.candidates import Candidate, ErasureBasis
from helgeland_pipeline.domain.career import career_id
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.domain.forum import candidacy_id
from helgeland_pipeline.domain.personal import check_erasure_reason
from helgeland_pipeline.privacy.fields import sealed_by_class


class PrivacyCommands(PipelineBase):
    def erase_candidate(
        self,
        actor: Actor,
        candidate_id: UUID,
        reason: str,
        basis: ErasureBasis = ErasureBasis.REQUEST,
        occurred_at: datetime | None = None,
    ) -> Saved | None:
        """Record that the candidate is erased, then destroy their key: every personal field
        of their events reads as erased from then on. An already erased candidate has their
        key destroyed again (a crash between the two steps is repaired by asking again) and
        None is returned."""
        candidate = self._get(candidate_id, Candidate, "candidate")
        if candidate.erased:
            self.keys.erase(str(candidate_id), self.clock())
            return None
        check_erasure_reason(reason, self.personal_data_of(candidate_id, contact_only=True))
        candidate.erase(reason, basis, self._stamp(actor, occurred_at))
        saved = self._save(candidate)
        self.keys.erase(str(candidate_id), self.clock())
        return saved

    def personal_data_of(self, candidate_id: UUID, *, contact_only: bool = False) -> list[str]:
        """Every personal text the log holds about the candidate, opened (empty once erased):
        names, contact details, notes, reasons, supervisors (or only name and contact)."""
        sealed = sealed_by_class()
        if contact_only:
            contact = getattr(Candidate, "ContactDetailsRecorded")  # noqa: B009 - by `@event`
            sealed = {contact: sealed[contact]}
        found: list[str] = []
        aggregates = (candidate_id, candidacy_id(candidate_id), career_id(candidate_id))
        for aggregate_id in aggregates:
            for event in self.events.get(aggregate_id):
                for path in sealed.get(type(event), {}):
                    head, _, rest = path.partition(".")
                    value = getattr(event, head, None)
                    if rest and isinstance(value, dict):
                        value = value.get(rest)
                    if isinstance(value, str) and value and value != ERASED and value not in found:
                        found.append(value)
        return found
