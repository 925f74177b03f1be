"""Version 1 of the forum's and municipalities' API payloads (steps 5–7)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from helgeland_contracts.api_v1 import (
    Backdatable,
    CareerPreference,
    EarlyContact,
    LocalConnectionKind,
)
from helgeland_contracts.bounds import Day, Moment, MunicipalityNumber, SingleLine
from helgeland_contracts.posts_v1 import GpPostsOut

InvitationKind = Literal["interview", "tour", "terms_talk"]
InvitationState = Literal["proposed", "accepted", "declined", "new_time_proposed", "held", "closed"]
OfferState = Literal[
    "open", "expired", "withdrawn", "declined", "accepted", "accepted_elsewhere", "closed"
]
PayModel = Literal["fixed_salary", "fee_based"]


class Municipal(Backdatable):
    """A command a municipality gives for itself (or the forum gives on its behalf)."""

    municipality: MunicipalityNumber | None = Field(
        default=None,
        description="Acting municipality's number; taken from a municipality token, "
        "required for the forum or an admin acting on its behalf",
        examples=["1833"],
    )


class InvitationCreate(Municipal):
    """Invite a shared candidate to an interview, a tour, or a talk about pay and conditions."""

    kind: InvitationKind
    proposed_times: list[Moment] = Field(min_length=1, max_length=5)
    location: SingleLine | None = Field(
        default=None,
        max_length=200,
        description="Where to meet (an office's address; no e-mail or phone): in the "
        "candidate's calendar file",
        examples=["Mo i Rana legekontor, Ole Tobias Olsens gate 10"],
    )


class InvitationAnswerIn(Backdatable):
    """The candidate's answer: accepted, declined, or a new time proposed."""

    answer: Literal["accepted", "declined", "new_time_proposed"]
    new_time: Moment | None = None


class Lis3Terms(BaseModel):
    """Key terms of a coupled LIS3 offer. Visible to the forum and the offering municipality."""

    supervisor: str | None = Field(
        default=None, max_length=200, description="Named supervisor, or null: to be named"
    )
    supervision_group: str | None = Field(default=None, max_length=200)
    pay_model: PayModel
    list_length: int = Field(ge=0, le=3000, description="Patients on the list")
    out_of_hours_share: int = Field(ge=0, le=100, description="% of working time on call")
    training_share: int = Field(
        ge=0, le=100, description="% of working time for training; at least 20 is required"
    )


# Bounded in a subclass: `Lis3Terms` also describes offers already recorded, which must still
# be read back whatever text they hold.
class Lis3TermsIn(Lis3Terms):
    """Key terms of a coupled LIS3 offer as a municipality sends them: names on one line."""

    supervisor: SingleLine | None = Field(
        default=None, max_length=200, description="Named supervisor, or null: to be named"
    )
    supervision_group: SingleLine | None = Field(default=None, max_length=200)


class Lis3OfferCreate(Municipal):
    """A LIS3/ALIS post coupled to the candidate's LIS1."""

    start_date: Day = Field(description="After the candidate's LIS1 ends")
    terms: Lis3TermsIn
    expires_on: Day
    coupled_slot: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="The round's coupled slot the offer fills: the candidate's own "
        "(`coupled_slot` of the shared candidate; default); none when their LIS1 is uncoupled",
    )


class CreatedItem(BaseModel):
    candidate_id: UUID
    item_id: UUID = Field(description="The new invitation's or offer's id")
    position: int


class SharedCandidate(BaseModel):
    """A candidate on a forum list, as municipalities see them: no scores, no notes."""

    candidate_id: UUID
    name: str | None
    email: str | None
    phone: str | None
    preference: CareerPreference | None
    local_connection: list[LocalConnectionKind]
    lis1_unit: str | None
    coupled_slot: int | None = Field(
        default=None, description="The round's coupled slot the candidate's LIS1 holds"
    )
    round_id: UUID
    round_name: str
    shared_at: AwareDatetime
    lis1_ends_on: date | None
    status: Literal["open", "recruited", "accepted_elsewhere"]
    recruited_by: str | None = Field(
        description="Shown to the forum, and to the municipality that recruited"
    )


class InvitationOut(BaseModel):
    invitation_id: UUID
    candidate_id: UUID
    municipality: str
    kind: InvitationKind
    proposed_times: list[AwareDatetime]
    state: InvitationState
    new_time: AwareDatetime | None
    sent_at: AwareDatetime
    answered_at: AwareDatetime | None
    held_at: AwareDatetime | None


class OfferOut(BaseModel):
    offer_id: UUID
    candidate_id: UUID
    municipality: str | None = Field(
        description="Hidden from other municipalities once the offer was accepted"
    )
    start_date: date
    expires_on: date
    state: OfferState
    offered_at: AwareDatetime
    closed_at: AwareDatetime | None
    coupled_slot: int | None = Field(default=None, description="The coupled slot it fills")
    terms: Lis3Terms | None = Field(description="Only for the forum and the offering municipality")


class BoardEntry(BaseModel):
    candidate: SharedCandidate
    invitations: list[InvitationOut]
    offers: list[OfferOut]


class MunicipalityActivity(BaseModel):
    municipality: str
    name: str
    invitations: int
    open_offers: int
    recruited: int | None = Field(description="Shown to the forum and the municipality itself")
    placement_students: int | None = Field(
        default=None, description="Placement students it takes in the latest year recorded"
    )


class Board(BaseModel):
    """The forum's coordination board: every municipality's moves, so none undercuts another."""

    candidates: list[BoardEntry]
    municipalities: list[MunicipalityActivity]
    gp_posts: list[GpPostsOut] = Field(
        default_factory=list,
        description="Each municipality's latest GP post report (the forum's problem)",
    )


class CouplingStatus(BaseModel):
    """For the hospital: which LIS1 doctors have a coupled LIS3 post, and where (no terms)."""

    candidate_id: UUID
    name: str | None
    lis1_unit: str | None
    lis1_coupled: bool | None
    shared_with_forum: bool
    consent_withdrawn: bool
    lis3_municipality: str | None
    lis3_accepted_at: AwareDatetime | None


class PlacementCapacityIn(Backdatable):
    """How many 5th-year placement students a municipality takes in an academic year."""

    year: int = Field(ge=2000, le=2100, description="The year the academic year starts")
    students: int = Field(ge=0, le=100, description="0: takes none that year")


class PlacementCapacity(BaseModel):
    """A municipality's placement students in one year, as last recorded."""

    municipality: str
    name: str
    year: int
    students: int
    recorded_at: AwareDatetime
    recorded_by: str = Field(description="The organisation that recorded it")


class Student(BaseModel):
    """A student met early who consents to be presented to the forum: their contacts."""

    candidate_id: UUID
    name: str | None
    email: str | None
    phone: str | None
    contacts: list[EarlyContact]
    applied: bool = Field(description="Has applied to a LIS1 round")
