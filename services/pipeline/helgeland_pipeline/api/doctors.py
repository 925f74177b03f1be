"""Each municipality follows its own doctors: their milestones, as recorded and as corrected.

A municipality reads the doctors it recruited or employs (or employed: moved on, left); the
forum reads every municipality's; the hospital reads a doctor's LIS1 milestones only. Names
are personal data: every answer that shows one is recorded in the access log.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from helgeland_contracts.career_v1 import DoctorOut

from helgeland_pipeline import policy
from helgeland_pipeline.api.deps import MunicipalActor, ServicesDep, reads, require_role
from helgeland_pipeline.api.personal_data import PersonalData
from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.readside.municipal.queries import DoctorViewer

router = APIRouter(tags=["retention"], dependencies=[reads("municipal")])

HospitalOrForum = Annotated[Actor, Depends(require_role(Role.HOSPITAL_RECRUITER, Role.FORUM))]


def _viewer(actor: Actor, number: str) -> DoctorViewer:
    policy.check_acts_for(actor, number, "a municipality follows its own doctors only")
    return DoctorViewer(number)


@router.get("/municipalities/{number}/doctors")
async def municipality_doctors(
    number: str, actor: MunicipalActor, services: ServicesDep, read: PersonalData
) -> list[DoctorOut]:
    """The doctors the municipality recruited or employs, and those who moved on or left,
    each with where they stand (supervision, education plan, specialist, re-certification)."""
    found = await services.municipal.doctors(_viewer(actor, number))
    await read(d.candidate_id for d in found)
    return found


@router.get("/municipalities/{number}/doctors/{candidate_id}")
async def municipality_doctor(
    number: str,
    candidate_id: UUID,
    actor: MunicipalActor,
    services: ServicesDep,
    read: PersonalData,
) -> DoctorOut:
    """One of the municipality's doctors with every milestone it may see, corrections shown."""
    found = await services.municipal.doctor(_viewer(actor, number), candidate_id)
    if found is None:
        raise NotFound(f"municipality {number} has no doctor with id {candidate_id}")
    await read([candidate_id])
    return found


@router.get("/candidates/{candidate_id}/milestones")
async def doctor_milestones(
    candidate_id: UUID, actor: HospitalOrForum, services: ServicesDep, read: PersonalData
) -> DoctorOut:
    """A doctor's milestones: all of them for the forum, the LIS1 ones for the hospital."""
    viewer = DoctorViewer(lis1_only=actor.role == Role.HOSPITAL_RECRUITER)
    found = await services.municipal.doctor(viewer, candidate_id)
    if found is None:
        raise NotFound(f"no doctor with id {candidate_id}")
    await read([candidate_id])
    return found
