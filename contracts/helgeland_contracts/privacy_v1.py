"""Version 1 of the privacy API's payloads: erasure (GDPR art. 17)."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, Field

from helgeland_contracts.api_v1 import Request
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
