"""Version 1 of the privacy payloads: erasure (GDPR art. 17), consent texts and changes, the
access log, the export (GDPR art. 15)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from helgeland_contracts.api_v1 import Backdatable, Request
from helgeland_contracts.bounds import SingleLine


class ErasureRequest(Request):
    """Erase a candidate's personal data; the reason is kept in the clear in the log."""

    reason: SingleLine = Field(
        min_length=1,
        max_length=300,
        description="Why (one line); refused when it holds an e-mail address, a phone number "
        "or the person's own name or contact details",
        examples=["Request from the candidate, received 2027-01-14 (case 2027/113)"],
    )


class ErasureOut(BaseModel):
    """What an erasure did. The notifications service purges its copies when it reads the
    `Erased` event from the log."""

    candidate_id: UUID
    position: int | None = Field(
        description="The log position of the `Erased` event; null when erased before"
    )
    already_erased: bool
    purged: dict[str, int] = Field(description="Operational table -> rows purged or blanked")
    read_models_pending: list[str] = Field(
        description="Read models that have not applied the erasure yet (they will)"
    )


ConsentPurpose = Literal["forum_sharing", "evaluation_contact"]


class ConsentText(BaseModel):
    """One version of a consent text (bokmål), as shown to the candidate."""

    id: str = Field(examples=["forum_sharing-v2"])
    purpose: ConsentPurpose
    version: int
    valid_from: date
    title: str
    text: str


class ConsentChange(Backdatable):
    """The candidate gives or withdraws consent to a purpose, naming the text's version."""

    purpose: ConsentPurpose
    version: int = Field(ge=1, le=1000, description="A version listed by GET /consent-texts")
    given: bool = Field(description="true: consent given; false: withdrawn")


class AccessLogEntry(BaseModel):
    """One read of personal data: who, when, through which route, about whom."""

    id: int
    at: AwareDatetime
    person: str
    organisation: str
    role: str
    municipality: str | None
    method: str
    route: str
    candidate_ids: list[UUID]


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")


class ExportEvent(BaseModel):
    """One stored event about the person, decoded, with who recorded it and when."""

    position: int | None
    aggregate: str
    aggregate_id: UUID
    aggregate_version: int
    type: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    actor: dict[str, Any]
    data: dict[str, Any]


class Deliveries(BaseModel):
    """Messages the notifications service derived about the person (from its own API)."""

    available: bool
    reason: str | None = None
    items: list[dict[str, Any]] = Field(default_factory=list)


class PersonalDataExport(BaseModel):
    """Everything held about one candidate (GDPR art. 15)."""

    candidate_id: UUID
    generated_at: AwareDatetime
    generated_by: dict[str, Any]
    events: list[ExportEvent]
    consents: dict[str, Any]
    read_models: dict[str, list[dict[str, Any]]]
    deliveries: Deliveries
    access_log: list[AccessLogEntry]
