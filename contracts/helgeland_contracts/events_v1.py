"""The public schema of the pipeline's events: what a consumer (the notifications service, an
export) may read from the notification log, without importing the pipeline.

Every event is an `Envelope` around a typed payload. `schema_version` is the event's version;
older stored versions are upcast here to the current one before a consumer sees them.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Actor(Payload):
    person_id: str
    organisation: str
    role: Literal["hospital_recruiter", "municipality", "forum", "evaluator", "admin", "candidate"]
    municipality: str | None = None


class RoundOpened(Payload):
    """Version 2 added `lis1_starts_on`."""

    name: str
    positions: dict[str, int]
    coupled_positions: int
    application_deadline: date
    lis1_starts_on: date | None = None


class ListSentToForum(Payload):
    candidate_ids: list[UUID]


class ContactDetailsRecorded(Payload):
    """Personal data: for consumers that must reach the candidate, never for display."""

    name: str
    email: str
    phone: str | None = None


class ConsentWithdrawn(Payload):
    pass


class Erased(Payload):
    """The candidate's personal data is erased (GDPR art. 17): their key is destroyed, so every
    personal field of their events reads as erased; a consumer purges its copies. The reason
    recorded is not part of the public event."""

    basis: Literal["request", "retention"]


class ConsentGiven(Payload):
    """The candidate consented to a purpose, shown that version of its text."""

    purpose: str
    version: int


class CandidateConsentWithdrawn(Payload):
    """Version 2 names the purpose and text version; version 1 withdrew the consent to
    sharing with the forum (text version 1)."""

    purpose: str = "forum_sharing"
    version: int = 1


class Shared(Payload):
    candidate_id: UUID
    round_id: UUID
    lis1_ends_on: date | None = None


class InvitationSent(Payload):
    invitation_id: UUID
    municipality: str
    kind: Literal["interview", "tour", "terms_talk"]
    proposed_times: list[AwareDatetime]
    location: str | None = None  # older events have none


class OfferTerms(Payload):
    """The terms a candidate is offered (the offer e-mail states them)."""

    supervisor: str | None = None
    supervision_group: str | None = None
    pay_model: Literal["fixed_salary", "fee_based"]
    list_length: int
    out_of_hours_share: int
    training_share: int


class InvitationAnswered(Payload):
    invitation_id: UUID
    answer: Literal["accepted", "declined", "new_time_proposed"]
    new_time: AwareDatetime | None = None


class Lis3Offered(Payload):
    """The terms are for the candidate (their offer e-mail), the forum and the offerer only:
    a consumer never passes them to another municipality."""

    offer_id: UUID
    municipality: str
    start_date: date
    expires_on: date
    terms: OfferTerms | None = None
    coupled_slot: int | None = None  # version 2: the round's coupled slot it fills


class Lis3OfferClosed(Payload):
    offer_id: UUID


class Lis3OfferAccepted(Payload):
    offer_id: UUID
    municipality: str
    closed_offers: list[UUID]


class SpecialistApproved(Payload):
    approved_on: date
    recertification_due: date


class Recertified(Payload):
    """Re-certified as specialist: the next re-certification is due five years on."""

    recertified_on: date
    recertification_due: date


class MilestoneCorrected(Payload):
    """A milestone (named by its number in the career) corrected; the new value and the
    reason are personal and not part of the public event. When the last approval or
    re-certification is re-dated, `recertification_due` is the new due date."""

    milestone: int
    kind: str
    happened_on: date | None = None
    recertification_due: date | None = None


class Lis1Started(Payload):
    candidate_id: UUID
    unit: str


class Lis3Started(Payload):
    municipality: str


class MovedWithinHelgeland(Payload):
    from_municipality: str
    to_municipality: str


class Returned(Payload):
    municipality: str


class Left(Payload):
    municipality: str
    reason: str
    destination: str


class DroppedOut(Payload):
    """Left the path before LIS3 started: `phase` is `lis1` or `before_lis3`."""

    phase: str
    reason: str


class DroppedOutBeforeLis3(Payload):
    """The doctor will not start the LIS3 post whose offer they accepted."""

    offer_id: UUID
    municipality: str
    reason: str


class WebhookSubscribed(Payload):
    """Version 2: the secret that signs deliveries (Standard Webhooks) is sealed with the key
    the pipeline and the notifications service share (`helgeland_contracts.sealing.unseal`).
    Version 1 events held it in the clear as `secret`; they are upcast to `sealed_secret`,
    which `unseal` passes through."""

    organisation: str
    role: str
    municipality: str | None = None
    url: str
    event_types: list[str]
    sealed_secret: str


class WebhookUnsubscribed(Payload):
    pass


PAYLOADS: dict[str, type[Payload]] = {
    "Lis1Round.Opened": RoundOpened,
    "Lis1Round.ListSentToForum": ListSentToForum,
    "Candidate.ContactDetailsRecorded": ContactDetailsRecorded,
    "Candidate.ConsentGiven": ConsentGiven,
    "Candidate.ConsentWithdrawn": CandidateConsentWithdrawn,
    "Candidate.Erased": Erased,
    "ForumCandidacy.Shared": Shared,
    "ForumCandidacy.InvitationSent": InvitationSent,
    "ForumCandidacy.InvitationAnswered": InvitationAnswered,
    "ForumCandidacy.Lis3Offered": Lis3Offered,
    "ForumCandidacy.Lis3OfferWithdrawn": Lis3OfferClosed,
    "ForumCandidacy.Lis3OfferDeclined": Lis3OfferClosed,
    "ForumCandidacy.Lis3OfferAccepted": Lis3OfferAccepted,
    "ForumCandidacy.ConsentWithdrawn": ConsentWithdrawn,
    "Career.Lis1Started": Lis1Started,
    "Career.Lis3Started": Lis3Started,
    "Career.SpecialistApproved": SpecialistApproved,
    "Career.Recertified": Recertified,
    "Career.MilestoneCorrected": MilestoneCorrected,
    "Career.MovedWithinHelgeland": MovedWithinHelgeland,
    "Career.Left": Left,
    "Career.Returned": Returned,
    "Career.DroppedOut": DroppedOut,
    "ForumCandidacy.DroppedOutBeforeLis3": DroppedOutBeforeLis3,
    "WebhookSubscription.Subscribed": WebhookSubscribed,
    "WebhookSubscription.Unsubscribed": WebhookUnsubscribed,
}

# The current schema version of each event type (1 unless listed).
VERSIONS: dict[str, int] = {
    "Lis1Round.Opened": 2,
    "WebhookSubscription.Subscribed": 2,
    "Candidate.ConsentWithdrawn": 2,
    "ForumCandidacy.Lis3Offered": 2,
}


class Envelope(BaseModel):
    """One event from the log, as consumers see it."""

    model_config = ConfigDict(frozen=True)

    position: int = Field(description="Position in the notification log (gap-free order)")
    type: str = Field(examples=["ForumCandidacy.Lis3OfferAccepted"])
    schema_version: int
    aggregate_id: UUID
    aggregate_version: int
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    actor: Actor
    data: Payload
    erased: bool = Field(
        default=False,
        description="A personal field could not be opened: its person was erased (texts read "
        "as `[slettet]`, optional fields as null)",
    )
