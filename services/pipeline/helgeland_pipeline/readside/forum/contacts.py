"""The forum read model's one look into the log: a shared candidate's contact details now."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from helgeland_contracts.personal import ERASED

_TOPIC_END = ":Candidate.ContactDetailsRecorded"


def log_contact_details(app: Application[UUID]) -> ContactLookup:
    return ContactLookup(app)


class ContactLookup:
    """Reads the candidate's latest `ContactDetailsRecorded` through the application's own
    decoding (so whatever that decoding shows, the read model shows). An erased person's
    details (their key destroyed) are not copied: None."""

    def __init__(self, app: Application[UUID]) -> None:
        self.app = app

    def __call__(self, candidate_id: str) -> tuple[str, str, str | None] | None:
        for stored in self.app.recorder.select_events(UUID(candidate_id), desc=True):
            if stored.topic.endswith(_TOPIC_END):
                event = self.app.mapper.to_domain_event(stored)
                name: str = getattr(event, "name")  # noqa: B009
                email: str = getattr(event, "email")  # noqa: B009
                phone: str | None = getattr(event, "phone")  # noqa: B009
                if email == ERASED:
                    return None
                return name, email, phone
        return None
