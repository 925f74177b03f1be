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


WITHHELD = "Null when withheld: a count of 1 to k-1 persons, or a figure computed from one"


class Disclosure(BaseModel):
    """What this answer withheld so that no figure describes fewer than `min_cell` persons."""

    min_cell: int = Field(description="k: the fewest persons a shown group or count describes")
    suppressed: bool = Field(description="Whether anything below was withheld or merged")
    withheld_cells: int = Field(description="Counts shown as null (1 to k-1 persons)")
    merged_groups: int = Field(description="Groups of fewer than k merged into 'other'")
    withheld_groups: int = Field(description="Groups left out: too small even when merged")
    notes: list[str] = Field(default_factory=list)


class FunnelStep(BaseModel):
    step: FunnelStepName
    count: int | None = Field(description=WITHHELD)
    conversion: float | None = Field(description="Share of the previous step, 0–1")
    median_days_from_previous: float | None


class FunnelGroup(BaseModel):
    group: str
    steps: list[FunnelStep]


class Funnel(AsOf):
    group_by: str
    groups: list[FunnelGroup]
    disclosure: Disclosure | None = None


class CurvePoint(BaseModel):
    years: float
    survival: float
    lower: float
    upper: float
    at_risk: int


class RetentionGroup(BaseModel):
    group: str
    doctors: int
    left: int | None = Field(
        description="Observed endings; the rest are censored at as_of. " + WITHHELD
    )
    median_years: float | None = Field(
        description="None while more than half still stay, or beyond the shown curve"
    )
    median_ci: tuple[float | None, float | None]
    share_in_post: dict[str, float | None] = Field(description="At 1, 2 and 5 years")
    curve: list[CurvePoint] = Field(description="Drawn while at least k doctors are at risk")


class NationalComparison(BaseModel):
    population_group: str
    our_median_years: float | None
    our_doctors: int | None = Field(description=WITHHELD)
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
    disclosure: Disclosure | None = None


class CycleRow(BaseModel):
    """One yearly round as the sister programmes report it."""

    round: str
    year: int
    applicants: int | None = Field(description=WITHHELD)
    recruited: int | None = Field(description=WITHHELD)
    still_in_post: int | None = Field(description=WITHHELD)


class Cycles(AsOf):
    rounds: list[CycleRow]
    disclosure: Disclosure | None = None


class CohortRow(BaseModel):
    """One recruited doctor, pseudonymised: the durations the survival analysis uses.

    k-anonymous: every combination of the quasi-identifiers shown (LIS3 start year, round,
    municipality, centrality class, population group, local connection, preference) is shared
    by at least k rows; fields generalised away for this row are named in `generalised`.
    Durations are rounded to 0.1 year; the exact start day is not given.
    """

    pseudonym: str
    round: str | None
    municipality: str | None
    centrality_class: int | None
    population_group: str | None
    local_connection: bool | None
    preference: str | None
    lis3_started: date | None = Field(
        default=None, description="Always null: the year is in lis3_started_year"
    )
    municipality_years: float | None
    left_municipality: bool
    region_years: float | None
    left_region: bool
    lis3_started_year: int | None = None
    generalised: list[str] = Field(
        default_factory=list, description="Fields withheld (null) to keep this row among k"
    )
