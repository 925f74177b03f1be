"""Async queries of the municipal read model, filtered by who is asking.

A municipality sees the doctors it recruited or has employed, with the milestones recorded
while they were its own (and their LIS1's); one they moved away from or who left shows as such.
The forum sees every doctor and milestone; the hospital only the LIS1 milestones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from helgeland_contracts.career_v1 import DoctorOut, MilestoneOut
from sqlalchemy import ColumnElement, Select, and_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.readside.municipal.tables import doctors, links, milestones

LIS1_KINDS = ("lis1_started", "lis1_part_started", "lis1_part_completed")


@dataclass(frozen=True)
class DoctorViewer:
    """Who is asking: a municipality (by number), the forum (None), or the hospital."""

    municipality: str | None = None
    lis1_only: bool = False

    def milestone_filter(self) -> ColumnElement[bool]:
        if self.lis1_only:
            return milestones.c.kind.in_(LIS1_KINDS)
        if self.municipality is None:
            return true()
        return or_(
            milestones.c.municipality.is_(None),
            milestones.c.municipality == self.municipality,
            milestones.c.also_municipality == self.municipality,
        )


class MunicipalQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _all(self, query: Select[Any]) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    def _doctors(self, viewer: DoctorViewer) -> Select[Any]:
        """Each doctor once, with the viewer's link to them: a municipality's own, else the
        link with where they work now (or the recruiting one, before LIS3)."""
        columns = select(
            doctors, links.c.status, links.c.moved_to, links.c.municipality.label("linked")
        )
        if viewer.municipality is not None:
            mine = links.c.municipality == viewer.municipality
        else:
            mine = or_(
                links.c.municipality == doctors.c.municipality, doctors.c.municipality.is_(None)
            )
        joined = and_(links.c.candidate_id == doctors.c.candidate_id, mine)
        if viewer.lis1_only:  # the hospital: every doctor whose LIS1 started
            return columns.outerjoin(links, joined).where(doctors.c.career_id.is_not(None))
        if viewer.municipality is None:  # the forum: every doctor, recruited or in LIS1
            return columns.outerjoin(links, joined)
        return columns.join(links, joined)

    async def doctors(self, viewer: DoctorViewer) -> list[DoctorOut]:
        """The viewer's doctors (the forum's: all), each with a summary of their milestones."""
        query = self._doctors(viewer).order_by(doctors.c.name, doctors.c.candidate_id)
        rows = await self._all(query)
        if not rows:
            return []
        ids = [r.candidate_id for r in rows]
        found = await self._all(
            select(milestones)
            .where(milestones.c.candidate_id.in_(ids), viewer.milestone_filter())
            .order_by(milestones.c.number)
        )
        by_doctor: dict[str, list[MilestoneOut]] = {}
        for m in found:
            by_doctor.setdefault(m.candidate_id, []).append(_milestone(m))
        return [_doctor(r, viewer, by_doctor.get(r.candidate_id, [])) for r in rows]

    async def doctor(self, viewer: DoctorViewer, candidate_id: UUID) -> DoctorOut | None:
        """One doctor with their milestones, or None when the viewer has no such doctor."""
        query = self._doctors(viewer).where(doctors.c.candidate_id == str(candidate_id))
        rows = await self._all(query)
        if not rows:
            return None
        found = await self._all(
            select(milestones)
            .where(milestones.c.candidate_id == str(candidate_id), viewer.milestone_filter())
            .order_by(milestones.c.number)
        )
        seen = [_milestone(m) for m in found]
        return _doctor(rows[0], viewer, seen).model_copy(update={"milestones": seen})


def _milestone(row: Any) -> MilestoneOut:
    return MilestoneOut.model_validate(row._asdict())


def _doctor(row: Any, viewer: DoctorViewer, seen: list[MilestoneOut]) -> DoctorOut:
    """The doctor as the viewer sees them, summarised from the milestones they may see."""
    latest: dict[str, MilestoneOut] = {m.kind: m for m in seen}

    def on(kind: str) -> Any:
        return latest[kind].happened_on if kind in latest else None

    def value(kind: str) -> str | None:
        return latest[kind].value if kind in latest else None

    certified = [m for m in seen if m.kind in ("specialist_approved", "recertified")]
    status = row.status or "in_lis1"
    if row.left and status == "employed":
        status = "left"
    if status == "employed" and row.on_leave:
        status = "on_leave"
    mine = viewer.municipality is None or row.linked == row.municipality
    return DoctorOut(
        candidate_id=UUID(row.candidate_id),
        name=row.name,
        status=status,
        municipality=row.municipality if mine and not viewer.lis1_only else None,
        moved_to=row.moved_to,
        lis1_unit=row.lis1_unit,
        lis3_started_on=on("lis3_started"),
        supervisor=value("supervisor_assigned"),
        supervision_group=value("supervision_group_joined"),
        education_plan_made_on=on("education_plan_made"),
        education_plan_reviewed_on=on("education_plan_reviewed"),
        institution_service_on=on("institution_service_completed"),
        specialist_on=on("specialist_approved"),
        recertified_on=on("recertified"),
        recertification_due=certified[-1].recertification_due if certified else None,
        left_on=on("left") if status == "left" else None,
    )
