"""The evaluators' queries: load the facts as they stood, then compute (off the event loop)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from helgeland_contracts.evaluation_v1 import (
    CohortRow,
    Coupling,
    Cycles,
    Funnel,
    Retention,
    Scope,
)
from helgeland_contracts.posts_v1 import Vacancy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.domain.common import programme_day
from helgeland_pipeline.evaluation import disclosure, figures, vacancy
from helgeland_pipeline.evaluation.anonymity import CohortRelease, k_anonymous
from helgeland_pipeline.evaluation.cohort import (
    Doctor,
    Fact,
    RoundInfo,
    build_doctors,
    population_group,
    pseudonym,
)
from helgeland_pipeline.evaluation.coupling import coupled_outcomes
from helgeland_pipeline.readside.evaluation.tables import facts, gp_posts, rounds
from helgeland_pipeline.reference import ReferenceData

GROUPINGS = (
    "all",
    "round",
    "year",
    "municipality",
    "centrality_class",
    "population_group",
    "local_connection",
    "preference",
)


class EvaluationQueries:
    def __init__(
        self,
        engine: AsyncEngine,
        reference: ReferenceData,
        national: dict[str, Any],
        min_cell: int = 5,
    ) -> None:
        self.engine = engine
        self.reference = reference
        self.national = national
        self.min_cell = min_cell

    async def _state(
        self, as_of: datetime, known_at: datetime
    ) -> tuple[list[Doctor], dict[str, RoundInfo]]:
        """Every fact that had happened by `as_of` and been recorded by `known_at`."""
        query = select(facts).where(facts.c.occurred_at <= as_of, facts.c.recorded_at <= known_at)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            names = {
                r.round_id: RoundInfo(r.name, r.application_deadline, r.lis1_starts_on)
                for r in (await conn.execute(select(rounds))).all()
            }
        loaded = [
            Fact(r.candidate_id, r.fact, r.municipality, r.occurred_at, dict(r.attrs)) for r in rows
        ]
        return await asyncio.to_thread(build_doctors, loaded), names

    def _groups(
        self,
        doctors: list[Doctor],
        group_by: str,
        names: dict[str, RoundInfo],
        tally: disclosure.Tally,
    ) -> dict[str, list[Doctor]]:
        """The breakdown with no group of fewer than k doctors (see `disclosure`)."""
        return disclosure.merge_small_groups(
            figures._grouped(doctors, group_by, self.reference, names), tally
        )

    async def funnel(self, as_of: datetime, known_at: datetime, group_by: str) -> Funnel:
        doctors, names = await self._state(as_of, known_at)

        def compute() -> Funnel:
            tally = disclosure.Tally(self.min_cell)
            groups = [
                group.model_copy(update={"group": name})
                for name, members in self._groups(doctors, group_by, names, tally).items()
                for group in figures.funnel(members, "all", self.reference, names)
            ]
            # Every group withheld (or none at all): the whole, whose small counts are withheld.
            groups = groups or figures.funnel(doctors, "all", self.reference, names)
            return Funnel(
                as_of=as_of,
                known_at=known_at,
                group_by=group_by,
                groups=disclosure.funnel_groups(groups, tally),
                disclosure=tally.report(),
            )

        return await asyncio.to_thread(compute)

    async def retention(
        self, as_of: datetime, known_at: datetime, scope: Scope, group_by: str
    ) -> Retention:
        doctors, names = await self._state(as_of, known_at)

        def compute() -> Retention:
            tally = disclosure.Tally(self.min_cell)
            started = [d for d in doctors if "started_lis3" in d.steps]
            groups = [
                disclosure.retention_group(group.model_copy(update={"group": name}), tally)
                for name, members in self._groups(started, group_by, names, tally).items()
                for group in figures.retention(members, scope, "all", as_of, self.reference, {})
            ]
            national = figures.national_comparison(doctors, as_of, self.reference, self.national)
            return Retention(
                as_of=as_of,
                known_at=known_at,
                scope=scope,
                group_by=group_by,
                groups=groups,
                national=disclosure.national_rows(national, tally),
                cox=figures.cox_model(doctors, scope, as_of, self.reference, self.min_cell),
                disclosure=tally.report(),
            )

        return await asyncio.to_thread(compute)

    async def coupling(self, as_of: datetime, known_at: datetime) -> Coupling:
        """Per round: coupled slots taken, how many ended in a LIS3 start, and where."""
        query = select(facts).where(
            facts.c.occurred_at <= as_of,
            facts.c.recorded_at <= known_at,
            facts.c.fact.in_(["applied", "lis1_offered", "lis1_accepted", "lis3_started"]),
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            infos = {
                r.round_id: RoundInfo(r.name, r.application_deadline, r.lis1_starts_on)
                for r in (await conn.execute(select(rounds))).all()
            }
        loaded = [
            Fact(r.candidate_id, r.fact, r.municipality, r.occurred_at, dict(r.attrs)) for r in rows
        ]
        names = {number: m.name for number, m in self.reference.municipalities.items()}
        tally = disclosure.Tally(self.min_cell)
        outcomes = coupled_outcomes(loaded, infos, names, tally)
        return Coupling(as_of=as_of, known_at=known_at, rounds=outcomes, disclosure=tally.report())

    async def cycles(self, as_of: datetime, known_at: datetime) -> Cycles:
        doctors, names = await self._state(as_of, known_at)
        tally = disclosure.Tally(self.min_cell)
        rounds = disclosure.cycle_rows(figures.cycles(doctors, names, as_of), tally)
        return Cycles(as_of=as_of, known_at=known_at, rounds=rounds, disclosure=tally.report())

    async def vacancy(self, as_of: datetime, known_at: datetime) -> Vacancy:
        """GP posts per municipality over time and the region's yearly trend, as things stood."""
        day = programme_day(as_of)
        query = select(gp_posts).where(gp_posts.c.as_of <= day, gp_posts.c.recorded_at <= known_at)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        reports = vacancy.current_reports(
            [vacancy.Report(**row._asdict()) for row in rows], day, known_at
        )
        return Vacancy(
            as_of=as_of,
            known_at=known_at,
            municipalities=vacancy.series(reports, self.reference),
            years=vacancy.years(reports, day),
        )

    async def cohort(self, as_of: datetime, known_at: datetime, key: bytes) -> CohortRelease:
        """One row per doctor who started LIS3, pseudonymised with the HMAC `key`, k-anonymous."""
        doctors, names = await self._state(as_of, known_at)
        rows = []
        for d in doctors:
            if "started_lis3" not in d.steps:
                continue
            municipality = self.reference.municipalities.get(d.municipality or "")
            in_municipality = d.stay_years("municipality", as_of)
            in_region = d.stay_years("region", as_of)
            rows.append(
                CohortRow(
                    pseudonym=pseudonym(key, d.candidate_id),
                    round=names[d.round_id].name if d.round_id in names else None,
                    municipality=municipality.name if municipality else None,
                    centrality_class=municipality.centrality_class if municipality else None,
                    population_group=population_group(municipality.population)
                    if municipality
                    else None,
                    local_connection=d.local_connection,
                    preference=d.preference,
                    lis3_started=programme_day(d.steps["started_lis3"]),
                    municipality_years=round(in_municipality[0], 3) if in_municipality else None,
                    left_municipality=bool(in_municipality and in_municipality[1]),
                    region_years=round(in_region[0], 3) if in_region else None,
                    left_region=bool(in_region and in_region[1]),
                    lis3_started_year=programme_day(d.steps["started_lis3"]).year,
                )
            )
        return k_anonymous(rows, self.min_cell)
