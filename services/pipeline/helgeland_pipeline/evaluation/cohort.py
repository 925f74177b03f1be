"""From facts to doctors: each candidate's steps and stay, as things stood at `as_of`."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from helgeland_contracts.evaluation_v1 import FunnelStepName

from helgeland_pipeline.reference import ReferenceData

DAYS_PER_YEAR = 365.25
FUNNEL_STEPS: tuple[FunnelStepName, ...] = (
    "contacted",
    "applied",
    "prefers_general_practice",
    "shared_with_forum",
    "invited",
    "offered_lis3",
    "accepted_lis3",
    "started_lis3",
    "specialist",
)
_STEP_OF_FACT = {
    "contacted": "contacted",
    "applied": "applied",
    "shared": "shared_with_forum",
    "invited": "invited",
    "offered_lis3": "offered_lis3",
    "accepted_lis3": "accepted_lis3",
    "lis3_started": "started_lis3",
    "specialist": "specialist",
}


@dataclass(frozen=True)
class RoundInfo:
    """A LIS1 round as the evaluation sees it: its name and the dates that place it."""

    name: str
    application_deadline: date
    lis1_starts_on: date | None

    @property
    def cycle_year(self) -> int:
        """The yearly cycle the round belongs to: the year its LIS1 positions start (an
        autumn 2027 round is 2027's, though people apply for it in 2026); for a round opened
        without a start date, the year of its application deadline."""
        return (self.lis1_starts_on or self.application_deadline).year


@dataclass(frozen=True)
class Fact:
    candidate_id: str
    fact: str
    municipality: str | None
    occurred_at: datetime
    attrs: dict[str, Any]


@dataclass
class Doctor:
    """A candidate's path; `steps` holds the first time each funnel step was reached."""

    candidate_id: str
    steps: dict[str, datetime] = field(default_factory=dict)
    round_id: str | None = None
    preference: str | None = None
    local_connection: bool | None = None
    municipality: str | None = None  # where LIS3 started
    municipality_end: datetime | None = None
    region_end: datetime | None = None

    def reach(self, step: str, at: datetime) -> None:
        self.steps.setdefault(step, at)

    def stay_years(self, scope: str, as_of: datetime) -> tuple[float, bool] | None:
        """Years in post from LIS3 start to leaving (observed) or to `as_of` (censored)."""
        start = self.steps.get("started_lis3")
        if start is None:
            return None
        end = self.municipality_end if scope == "municipality" else self.region_end
        observed = end is not None
        days = ((end or as_of) - start).total_seconds() / 86400
        return max(days, 0.0) / DAYS_PER_YEAR, observed


def build_doctors(facts: list[Fact]) -> list[Doctor]:
    doctors: dict[str, Doctor] = {}
    for f in sorted(facts, key=lambda f: f.occurred_at):
        d = doctors.setdefault(f.candidate_id, Doctor(f.candidate_id))
        step = _STEP_OF_FACT.get(f.fact)
        if step is not None:
            d.reach(step, f.occurred_at)
        if f.fact == "applied":
            d.round_id = f.attrs.get("round_id")
            d.preference = f.attrs.get("preference")
            d.local_connection = f.attrs.get("local_connection")
            if d.preference == "general_practice":
                d.reach("prefers_general_practice", f.occurred_at)
        elif f.fact == "lis3_started" and d.municipality is None:
            d.municipality = f.municipality
        elif f.fact == "moved" and "started_lis3" in d.steps and d.municipality_end is None:
            d.municipality_end = f.occurred_at
        elif f.fact == "left" and "started_lis3" in d.steps:
            if d.municipality_end is None:
                d.municipality_end = f.occurred_at
            stays_in_region = f.attrs.get("destination") == "helgeland_municipality"
            if d.region_end is None and not stays_in_region:
                d.region_end = f.occurred_at
    return list(doctors.values())


def population_group(population: int) -> str:
    """NSDM's size groups for GP contract durations."""
    if population < 2000:
        return "under 2 000"
    if population < 50000:
        return "2 000 to 49 999"
    return "50 000 or more"


def group_of(
    doctor: Doctor, group_by: str, reference: ReferenceData, rounds: dict[str, RoundInfo]
) -> str:
    municipality = reference.municipalities.get(doctor.municipality or "")
    if group_by == "all":
        return "all"
    round_ = rounds.get(doctor.round_id or "")
    if group_by == "round":
        return round_.name if round_ else "no round"
    if group_by == "year":  # the round's yearly cycle, as in `cycles`
        return str(round_.cycle_year) if round_ else "not applied"
    if group_by == "municipality":
        return municipality.name if municipality else "no LIS3 municipality"
    if group_by == "centrality_class":
        return f"class {municipality.centrality_class}" if municipality else "unknown"
    if group_by == "population_group":
        return population_group(municipality.population) if municipality else "unknown"
    if group_by == "local_connection":
        if doctor.local_connection is None:
            return "unknown"
        return "local connection" if doctor.local_connection else "no local connection"
    if group_by == "preference":
        return doctor.preference or "unknown"
    msg = f"unknown grouping {group_by!r}"
    raise ValueError(msg)


def pseudonym(key: bytes, candidate_id: str) -> str:
    """A stable pseudonym per candidate; without the key it cannot be traced back."""
    digest = hmac.new(key, candidate_id.encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:12]}"
