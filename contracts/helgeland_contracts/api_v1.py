"""Version 1 of the pipeline's HTTP API payloads (requests and responses)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from helgeland_contracts.bounds import (
    NOT_AFTER,
    NOT_BEFORE,
    Day,
    Moment,
    MultiLine,
    MunicipalityNumber,
    PositionCount,
    Positions,
    SingleLine,
    UnitCode,
    check_not_past,
    check_plain_keys,
)

EMAIL = r"^\s*[^\s@]+@[^\s@]*\.[^\s]*\s*$"
"""What the domain takes for an e-mail address: something, `@`, a domain with a dot."""

CareerPreference = Literal["hospital", "general_practice", "undecided"]
LocalConnectionKind = Literal["grew_up", "family", "studied", "placement"]
ContactKind = Literal["placement", "summer_job", "student_project", "campus_visit", "other"]
RoundStatus = Literal["open", "interviewing", "offering", "list_final"]
Stage = Literal[
    "registered", "applied", "interviewed", "offered", "accepted", "declined", "withdrawn"
]


class Request(BaseModel):
    """Base of every request body: unknown fields are refused, not ignored.

    Every field is bounded (`helgeland_contracts.bounds`) to what both stores and every read
    model hold, so a refused value never reaches the log.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _plain_field_names(cls, data: Any) -> Any:
        # An unknown field's name is echoed in the refusal; one that cannot be is refused first.
        return check_plain_keys(data)


class Backdatable(Request):
    """A command that may be entered late: `occurred_at` is when it happened in the world."""

    occurred_at: Moment | None = Field(
        default=None,
        description="When it happened in the world, if not now (may be back-dated, never future)",
        examples=["2026-01-14T10:00:00+01:00"],
        json_schema_extra={NOT_AFTER: "now"},
    )


class RoundCreate(Backdatable):
    """Open a LIS1 round: positions per hospital unit, how many coupled to a LIS3 post."""

    name: SingleLine = Field(min_length=1, max_length=200, examples=["LIS1 høst 2027"])
    positions: Positions = Field(
        description="Positions per hospital unit code", examples=[{"rana": 6, "mosjoen": 4}]
    )
    coupled_positions: PositionCount = Field(
        description="How many positions are coupled to a LIS3 post: at most half of them "
        "(more is a 409)",
        examples=[5],
    )
    application_deadline: Annotated[Day, AfterValidator(check_not_past)] = Field(
        description="The last day to apply: not in the past (today, UTC, or later)",
        examples=["2027-03-01"],
        json_schema_extra={NOT_BEFORE: "today"},
    )
    lis1_starts_on: Day | None = Field(
        default=None, description="When LIS1 starts (it lasts 18 months)", examples=["2027-09-01"]
    )


class RoundAdvance(Backdatable):
    """Move the round forward: open → interviewing → offering."""

    status: Literal["interviewing", "offering"]


class CandidateRegister(Backdatable):
    """Register a candidate. Name and contact details are the only personal data kept."""

    name: SingleLine = Field(min_length=1, max_length=200, examples=["Kari Nordmann"])
    email: SingleLine = Field(
        min_length=3, max_length=320, pattern=EMAIL, examples=["kari.nordmann@example.no"]
    )
    phone: SingleLine | None = Field(default=None, max_length=50, examples=["+47 900 00 000"])


class ContactDetails(Request):
    """Correct a candidate's name or contact details."""

    name: SingleLine = Field(min_length=1, max_length=200)
    email: SingleLine = Field(min_length=3, max_length=320, pattern=EMAIL)
    phone: SingleLine | None = Field(default=None, max_length=50)


def _placement_names_municipality(schema: dict[str, Any]) -> None:
    """The schema says what the validator checks: a placement names its municipality."""
    schema["anyOf"] = [
        {"properties": {"kind": {"enum": ["campus_visit", "other"]}}},
        {
            "properties": {"kind": {"const": "placement"}, "municipality": {"type": "string"}},
            "required": ["municipality"],
        },
    ]


class StudentContact(Backdatable):
    """Step 1: an early contact with a student: a 5th-year placement at a GP office, a summer
    job, a student project, a campus visit, or other."""

    model_config = ConfigDict(json_schema_extra=_placement_names_municipality)

    kind: ContactKind
    municipality: MunicipalityNumber | None = Field(
        default=None,
        description="The municipality the contact was in: required for a placement or summer "
        "job; a municipality token records its own; the forum names it",
        examples=["1833"],
    )

    @model_validator(mode="after")
    def _placement_has_municipality(self) -> StudentContact:
        if self.kind == "placement" and self.municipality is None:
            msg = "municipality: a placement names its municipality (a four-digit number)"
            raise ValueError(msg)
        return self


class StudentRegister(StudentContact):
    """Step 1: register a student met early, with that first contact; the contact details may
    come now (name and e-mail together) or later (PUT /candidates/{id}/contact-details)."""

    name: SingleLine | None = Field(default=None, min_length=1, max_length=200)
    email: SingleLine | None = Field(default=None, min_length=3, max_length=320, pattern=EMAIL)
    phone: SingleLine | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _name_and_email_together(self) -> StudentRegister:
        if (self.name is None) != (self.email is None):
            msg = "name and email come together (or neither, to be recorded later)"
            raise ValueError(msg)
        if self.phone is not None and self.name is None:
            msg = "a phone number comes with a name and an email"
            raise ValueError(msg)
        return self


class EarlyContact(BaseModel):
    """An early contact with a student: what, where, when, and which organisation made it."""

    kind: ContactKind
    municipality: str | None
    occurred_at: AwareDatetime
    recorded_by: str = Field(description="The organisation that recorded it")


class ApplicationSubmit(Backdatable):
    """Step 2: the LIS1 application, with career preference and local connection."""

    round_id: UUID
    preference: CareerPreference
    local_connection: list[LocalConnectionKind] = Field(default_factory=list, max_length=4)
    consent_to_share: bool = Field(
        description="Consent to be presented to the municipalities' forum"
    )
    consent_text_version: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="The version of the sharing consent text the candidate was shown "
        "(GET /consent-texts); default: the version in force that day",
    )


class InterviewRecord(Backdatable):
    """Step 3: the hospital interview; it must explore interest in primary care."""

    interviewer: SingleLine = Field(min_length=1, max_length=200, examples=["Overlege Ola Hansen"])
    primary_care_interest: int = Field(ge=1, le=5, description="1 = none, 5 = strong")
    notes: MultiLine = Field(default="", max_length=2000)


class OfferMake(Backdatable):
    """Step 4: offer a LIS1 position at a unit, coupled to a later LIS3 post or not."""

    unit: UnitCode = Field(examples=["rana"])
    coupled: bool
    answer_by: Day = Field(examples=["2027-04-15"])


class Answer(Backdatable):
    """The candidate's answer to the LIS1 offer (accept or decline)."""


class Withdrawal(Backdatable):
    """The candidate withdraws from the process, with a reason if they gave one."""

    reason: MultiLine = Field(default="", max_length=500)


class CommandResult(BaseModel):
    """What a command changed: the id, and the log position the read models have reached."""

    id: UUID
    position: int


class CoupledSlot(BaseModel):
    """One of a round's coupled LIS1 positions: who holds it, and whether it ended in a LIS3
    start, and where."""

    slot: int
    candidate_id: UUID | None = Field(description="The LIS1 doctor holding it, once accepted")
    lis1_state: Literal["free", "offered", "accepted"]
    lis3_offers: int = Field(description="LIS3 offers made naming this slot")
    lis3_accepted_by: str | None = Field(description="The municipality whose offer was accepted")
    lis3_started_in: str | None = Field(description="Where the LIS3 post started, once it did")
    lis3_started_at: AwareDatetime | None


class RoundOut(BaseModel):
    round_id: UUID
    name: str
    status: RoundStatus
    positions: dict[str, int]
    coupled_positions: int
    application_deadline: date
    lis1_starts_on: date | None
    opened_at: AwareDatetime
    list_final_at: AwareDatetime | None
    coupled_slots: list[CoupledSlot] = Field(
        default_factory=list,
        description="Per coupled slot: its LIS1 holder and whether it ended in a LIS3 start",
    )


class ConsentHeld(BaseModel):
    """A consent the candidate holds now: to which version of the purpose's text, since when."""

    version: int
    given_at: AwareDatetime


class CandidateOut(BaseModel):
    """A candidate as the hospital's recruiters see them."""

    candidate_id: UUID
    name: str | None
    email: str | None
    phone: str | None
    registered_at: AwareDatetime
    round_id: UUID | None
    stage: Stage
    preference: CareerPreference | None
    local_connection: list[LocalConnectionKind]
    consent_to_share: bool = Field(description="Consents now to be presented to the forum")
    consents: dict[str, ConsentHeld] = Field(
        default_factory=dict,
        description="Consents held now, by purpose: the text version and when it was given",
    )
    contacts: int
    early_contacts: list[EarlyContact] = Field(
        default_factory=list, description="Early contacts, by whoever made them"
    )
    interviews: int
    interview_score: int | None
    offer_unit: str | None
    offer_coupled: bool | None
    offer_answer_by: date | None
    offer_state: Literal["open", "accepted", "declined"] | None


class CandidatePage(BaseModel):
    items: list[CandidateOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page")


class TimelineEntry(BaseModel):
    position: int
    event_type: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    actor_person: str
    actor_organisation: str
    actor_role: str
    details: dict[str, object]


class RankedCandidate(BaseModel):
    rank: int
    candidate: CandidateOut


class Funnel(BaseModel):
    """How many of a round's applicants reached each step."""

    round_id: UUID
    applied: int
    prefers_general_practice: int
    undecided: int
    local_connection: int
    contacted_before_applying: int
    interviewed: int
    offered: int
    offered_coupled: int
    accepted: int
    accepted_coupled: int
    declined: int
    withdrawn: int


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[dict[str, object]] | None = None
