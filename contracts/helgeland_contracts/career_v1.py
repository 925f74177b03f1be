"""Version 1 of the retention milestone payloads (POST /candidates/{id}/milestones)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from helgeland_contracts.api_v1 import Backdatable
from helgeland_contracts.bounds import MultiLine, MunicipalityNumber, SingleLine


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
    | Returned,
    Field(discriminator="kind"),
]
