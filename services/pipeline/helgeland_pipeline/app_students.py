"""Step 1 for everyone who meets students: the hospital, the municipalities and the forum.

A student may be registered with an early contact before anyone has their contact details;
which municipalities take placement students, and how many a year, is recorded here too.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from helgeland_pipeline import policy
from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.candidates import Candidate, ContactKind
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.domain.placements import PlacementCapacity, placement_capacity_id


class StudentCommands(PipelineBase):
    def register_student(
        self,
        actor: Actor,
        kind: ContactKind,
        municipality: str | None = None,
        contact: tuple[str, str, str | None] | None = None,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Register a student met early (placement, summer job, project, visit, other); the
        contact details (name, e-mail, phone) may come now or later."""
        municipality = policy.contact_municipality(actor, municipality)
        self.check_municipality(municipality)
        stamp = self._stamp(actor, occurred_at)
        candidate = Candidate(stamp)
        candidate.record_student_contact(kind, municipality, stamp)
        if contact is not None:
            candidate.record_contact_details(*contact, stamp)
        return self._save(candidate)

    def record_student_contact(
        self,
        actor: Actor,
        candidate_id: UUID,
        kind: ContactKind,
        municipality: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """Step 1: an early contact with a student, naming the municipality it was in."""
        municipality = policy.contact_municipality(actor, municipality)
        self.check_municipality(municipality)
        candidate = self._get(candidate_id, Candidate, "candidate")
        candidate.record_student_contact(kind, municipality, self._stamp(actor, occurred_at))
        return self._save(candidate)

    def record_contact_details(
        self, actor: Actor, candidate_id: UUID, name: str, email: str, phone: str | None = None
    ) -> Saved:
        """Record or correct a candidate's name and contact details."""
        candidate = self._get(candidate_id, Candidate, "candidate")
        policy.check_keeps_student(actor, candidate.contact_municipalities)
        candidate.record_contact_details(name, email, phone, self._stamp(actor, None))
        return self._save(candidate)

    def record_placement_capacity(
        self,
        actor: Actor,
        municipality: str,
        year: int,
        students: int,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """How many 5th-year placement students the municipality takes in a year."""
        self.check_municipality(municipality)
        policy.check_acts_for(actor, municipality)
        stamp = self._stamp(actor, occurred_at)
        capacity: object
        try:
            capacity = self.repository.get(placement_capacity_id(municipality))
        except AggregateNotFoundError:
            capacity = PlacementCapacity(municipality, stamp)
        assert isinstance(capacity, PlacementCapacity)
        capacity.record(year, students, stamp)
        return self._save(capacity)
