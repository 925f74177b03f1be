"""Version 1 of the privacy payloads: consent texts and changes, the access log, the export."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from helgeland_contracts.api_v1 import Backdatable

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
