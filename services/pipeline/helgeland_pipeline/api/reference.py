"""Reference data a user needs to fill in a request: municipality numbers and unit codes."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from helgeland_pipeline.api.deps import AnyActor, ServicesDep

router = APIRouter(prefix="/reference", tags=["reference"])


class MunicipalityOut(BaseModel):
    number: str
    name: str
    population: int
    centrality_class: int


class HospitalUnitOut(BaseModel):
    code: str
    name: str
    kind: str


@router.get("/municipalities")
def municipalities(_: AnyActor, services: ServicesDep) -> list[MunicipalityOut]:
    """Helgeland's municipalities: the numbers that requests and tokens use."""
    known = services.core.app.reference.municipalities.values()
    return [MunicipalityOut(**vars(m)) for m in sorted(known, key=lambda m: m.number)]


@router.get("/units")
def units(_: AnyActor, services: ServicesDep) -> list[HospitalUnitOut]:
    """The hospital's units: the codes a round's positions and a LIS1 offer use."""
    known = services.core.app.reference.hospital_units.values()
    return [HospitalUnitOut(**vars(u)) for u in sorted(known, key=lambda u: u.code)]
