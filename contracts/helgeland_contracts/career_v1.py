"""Version 1 of the retention milestone payloads (POST /candidates/{id}/milestones)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field

from helgeland_contracts.api_v1 import Backdatable
from helgeland_contracts.bounds import Day, Int4, MultiLine, MunicipalityNumber, SingleLine


class Lis1Started(Backdatable):
    """LIS1 starts (the hospital part). The hospital records it."""

    kind: Literal["lis1_started"]


class Lis1PartStarted(Backdatable):
    kind: Literal["lis1_part_started"]
    part: Literal["municipal"]


class Lis1PartCompleted(Backdatable):
    kind: Literal["lis1_part_completed"]
    part: Literal["hospital", "municipal"]


class Lis3Started(Backdatable):
    """LIS3 starts in the municipality whose coupled offer was accepted."""

    kind: Literal["lis3_started"]


class SupervisorAssigned(Backdatable):
    kind: Literal["supervisor_assigned"]
    supervisor: SingleLine = Field(min_length=1, max_length=200)


class SupervisionGroupJoined(Backdatable):
    kind: Literal["supervision_group_joined"]
    group: SingleLine = Field(min_length=1, max_length=200)


class InstitutionServiceCompleted(Backdatable):
    kind: Literal["institution_service_completed"]


class SpecialistApproved(Backdatable):
    """Approved as specialist in general medicine (re-certification due in 5 years)."""

    kind: Literal["specialist_approved"]


class LeaveStarted(Backdatable):
    kind: Literal["leave_started"]


class ReturnedFromLeave(Backdatable):
    kind: Literal["returned_from_leave"]


class MovedWithinHelgeland(Backdatable):
    """Moved to another Helgeland municipality: still retained in the region."""

    kind: Literal["moved_within_helgeland"]
    to_municipality: MunicipalityNumber = Field(examples=["1824"])


class Left(Backdatable):
    kind: Literal["left"]
    reason: Literal[
        "workload",
        "family",
        "supervision",
        "pay_and_terms",
        "other_specialty",
        "retirement",
        "other",
    ]
    note: MultiLine = Field(default="", max_length=1000)
    destination: Literal["helgeland_municipality", "elsewhere_in_norway", "hospital", "abroad"]


LeavingReason = Literal[
    "workload",
    "family",
    "supervision",
    "pay_and_terms",
    "other_specialty",
    "retirement",
    "other",
]


class DroppedOut(Backdatable):
    """Left the path before LIS3 started: during LIS1, or after accepting a LIS3 offer but
    before starting it. From LIS3 on, record `left` instead."""

    kind: Literal["dropped_out"]
    reason: LeavingReason
    note: MultiLine = Field(default="", max_length=1000)


class Returned(Backdatable):
    """Came back to a Helgeland municipality after leaving."""

    kind: Literal["returned"]
    municipality: MunicipalityNumber = Field(examples=["1833"])


class EducationPlanMade(Backdatable):
    """The individual education plan is made (the municipality's duty since 2019)."""

    kind: Literal["education_plan_made"]


class EducationPlanReviewed(Backdatable):
    kind: Literal["education_plan_reviewed"]


class Recertified(Backdatable):
    """Re-certified as specialist in general medicine: the next is due five years on."""

    kind: Literal["recertified"]


MilestoneIn = Annotated[
    Lis1Started
    | Lis1PartStarted
    | Lis1PartCompleted
    | Lis3Started
    | SupervisorAssigned
    | SupervisionGroupJoined
    | InstitutionServiceCompleted
    | SpecialistApproved
    | LeaveStarted
    | ReturnedFromLeave
    | MovedWithinHelgeland
    | Left
    | DroppedOut
    | Returned
    | EducationPlanMade
    | EducationPlanReviewed
    | Recertified,
    Field(discriminator="kind"),
]


class MilestoneCorrection(Backdatable):
    """Correct a recorded milestone: a new date, a new value (supervisor or supervision
    group), or both, with the reason. The milestone keeps its original; both are shown."""

    happened_on: Day | None = Field(
        default=None, description="The day the milestone really happened", examples=["2028-03-01"]
    )
    value: SingleLine | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="The right supervisor or supervision group",
    )
    reason: MultiLine = Field(min_length=1, max_length=1000, examples=["Feil dato registrert"])


MilestoneKind = Literal[
    "lis1_started",
    "lis1_part_started",
    "lis1_part_completed",
    "lis3_started",
    "supervisor_assigned",
    "supervision_group_joined",
    "education_plan_made",
    "education_plan_reviewed",
    "institution_service_completed",
    "specialist_approved",
    "recertified",
    "leave_started",
    "returned_from_leave",
    "moved_within_helgeland",
    "left",
    "returned",
]


class MilestoneOut(BaseModel):
    """One milestone as recorded, or as corrected (then `corrected` and the original)."""

    number: Int4 = Field(description="Names the milestone in a correction")
    kind: MilestoneKind
    happened_on: date
    recorded_at: AwareDatetime
    municipality: str | None = Field(description="Whose milestone it is (None: the hospital's)")
    value: str | None = Field(
        description="Supervisor, group, LIS1 part, leaving reason or the municipality moved to"
    )
    recertification_due: date | None = None
    corrected: bool = False
    original_happened_on: date | None = None
    original_value: str | None = None
    corrected_at: AwareDatetime | None = None
    correction_reason: str | None = None


DoctorStatus = Literal["in_lis1", "recruited", "employed", "on_leave", "moved", "left"]


class DoctorOut(BaseModel):
    """A doctor a municipality recruited or employs (or employed: moved, left), with where
    they stand now, as that municipality may see them."""

    candidate_id: UUID
    name: str | None = Field(description="Shown to the employer, the forum and the hospital")
    status: DoctorStatus
    municipality: str | None = Field(description="Where they work now (if the viewer may know)")
    moved_to: str | None = None
    lis1_unit: str | None = None
    lis3_started_on: date | None = None
    supervisor: str | None = None
    supervision_group: str | None = None
    education_plan_made_on: date | None = None
    education_plan_reviewed_on: date | None = None
    institution_service_on: date | None = None
    specialist_on: date | None = None
    recertified_on: date | None = None
    recertification_due: date | None = None
    left_on: date | None = None
    milestones: list[MilestoneOut] = Field(default_factory=list)
