"""Step 1 over HTTP: students met early, and the municipalities' placement capacity.

The hospital, a municipality (for itself) and the forum register students and record their
contacts; the forum and the municipalities read the placement capacity and the students who
consent to be presented to them.
"""

from __future__ import annotations

from fastapi import APIRouter, status
from helgeland_contracts.api_v1 import CommandResult, StudentRegister
from helgeland_contracts.forum_v1 import PlacementCapacity, PlacementCapacityIn, Student

from helgeland_pipeline.api.deps import (
    MunicipalActor,
    MunicipalityInPath,
    ServicesDep,
    StudentKeeper,
    answer_once_visible,
    reads,
)
from helgeland_pipeline.api.personal_data import PersonalData
from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.domain.candidates import ContactKind

router = APIRouter(tags=["students"], dependencies=[reads("forum")])


@router.post("/students", status_code=status.HTTP_201_CREATED)
def register_student(
    body: StudentRegister, actor: StudentKeeper, services: ServicesDep
) -> CommandResult:
    """Step 1: register a student with an early contact; contact details now or later. The
    id is the candidate's for good: the same student applies for LIS1 under it."""
    contact = (body.name, body.email, body.phone) if body.name and body.email else None
    saved = services.core.app.register_student(
        actor, ContactKind(body.kind), body.municipality, contact, body.occurred_at
    )
    return answer_once_visible(services, saved, "hospital", "forum")


@router.put("/municipalities/{number}/placement-capacity")
def record_placement_capacity(
    number: MunicipalityInPath,
    body: PlacementCapacityIn,
    actor: MunicipalActor,
    services: ServicesDep,
) -> CommandResult:
    """How many 5th-year placement students the municipality takes in a year (the
    municipality itself, or the forum for it)."""
    if number not in services.core.app.reference.municipalities:
        raise NotFound(f"no municipality {number}")
    saved = services.core.app.record_placement_capacity(
        actor, number, body.year, body.students, body.occurred_at
    )
    return answer_once_visible(services, saved, "forum")


@router.get("/forum/placement-capacity")
async def placement_capacity(_: MunicipalActor, services: ServicesDep) -> list[PlacementCapacity]:
    """Which municipalities take placement students, and how many, year by year."""
    return await services.forum.placement_capacity()


@router.get("/forum/students")
async def students(_: MunicipalActor, services: ServicesDep, read: PersonalData) -> list[Student]:
    """Students met early who consent to be presented to the forum, with their contacts;
    nobody who has not consented."""
    found = await services.forum.students()
    await read(s.candidate_id for s in found)
    return found
