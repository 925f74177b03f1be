"""Version 1 of the evaluation payloads for NSDM: pseudonymised, replayable to any date."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

FunnelStepName = Literal[
    "contacted",
    "applied",
    "prefers_general_practice",
    "shared_with_forum",
    "invited",
    "offered_lis3",
    "accepted_lis3",
    "started_lis3",
    "specialist",
]
Scope = Literal["municipality", "region"]


class AsOf(BaseModel):
    as_of: AwareDatetime = Field(description="World time: what had happened by then")
    known_at: AwareDatetime = Field(description="Recorded time: what had been recorded by then")


class FunnelStep(BaseModel):
    step: FunnelStepName
    count: int
    conversion: float | None = Field(description="Share of the previous step, 0–1")
    median_days_from_previous: float | None


class FunnelGroup(BaseModel):
    group: str
    steps: list[FunnelStep]


class Funnel(AsOf):
    group_by: str
    groups: list[FunnelGroup]


class CurvePoint(BaseModel):
    years: float
    survival: float
    lower: float
    upper: float
    at_risk: int


class RetentionGroup(BaseModel):
    group: str
    doctors: int
    left: int = Field(description="Observed endings; the rest are censored at as_of")
    median_years: float | None = Field(description="None while more than half still stay")
    median_ci: tuple[float | None, float | None]
    share_in_post: dict[str, float | None] = Field(description="At 1, 2 and 5 years")
    curve: list[CurvePoint]


class NationalComparison(BaseModel):
    population_group: str
    our_median_years: float | None
    our_doctors: int
    national_median_years: float | None
    source: str


class CoxTerm(BaseModel):
    covariate: str
    hazard_ratio: float
    ci_lower: float
    ci_upper: float
    p: float


class CoxModel(BaseModel):
    available: bool
    message: str
    terms: list[CoxTerm]


class Retention(AsOf):
    scope: Scope
    group_by: str
    groups: list[RetentionGroup]
    national: list[NationalComparison]
    cox: CoxModel


class CycleRow(BaseModel):
    """One yearly round as the sister programmes report it."""

    round: str
    year: int
    applicants: int
    recruited: int
    still_in_post: int


class Cycles(AsOf):
    rounds: list[CycleRow]


class CohortRow(BaseModel):
    """One recruited doctor, pseudonymised: the durations the survival analysis uses."""

    pseudonym: str
    round: str | None
    municipality: str | None
    centrality_class: int | None
    population_group: str | None
    local_connection: bool | None
    preference: str | None
    lis3_started: date | None
    municipality_years: float | None
    left_municipality: bool
    region_years: float | None
    left_region: bool
