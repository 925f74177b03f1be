"""Version 1 of the evaluation payloads for NSDM: pseudonymised, replayable to any date."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

FunnelStepName = Literal[
    "contacted",
    "applied",
    "prefers_general_practice",
    "interviewed",
    "offered_lis1",
    "accepted_lis1",
    "started_lis1",
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


FUNNEL_COUNTING = (
    "Each step counts the people who reached it, whether or not an earlier step is recorded "
    "for them (a candidate may apply without a recorded first contact), so a step can count "
    "more people than the one before it. `from_previous` of them had also reached the previous "
    "step, `without_previous` had not; `conversion` is the share of the previous step's people "
    "who went on to this one (`from_previous` / the previous step's `count`), never more than 1."
)


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
    """One step of the funnel; see `Funnel.counting`."""

    step: FunnelStepName
    count: int | None = Field(
        description="People who reached this step, whether or not they reached the earlier "
        "ones. " + WITHHELD
    )
    from_previous: int | None = Field(
        description="Of `count`, those who had also reached the previous step (null for the "
        "first step, or withheld)"
    )
    without_previous: int | None = Field(
        description="Of `count`, those who reached this step without the previous one (null "
        "for the first step, or withheld)"
    )
    conversion: float | None = Field(
        description="Of the people who reached the previous step, the share (0–1) who went on "
        "to reach this one: `from_previous` / the previous step's `count`. Null for the first "
        "step and when nobody reached the previous step"
    )
    median_days_from_previous: float | None = Field(
        description="Median days from the previous step to this one, over `from_previous`"
    )


class FunnelGroup(BaseModel):
    group: str
    steps: list[FunnelStep]


class Funnel(AsOf):
    group_by: str
    counting: str = Field(default=FUNNEL_COUNTING, description="How the steps are counted")
    groups: list[FunnelGroup]
    disclosure: Disclosure | None = None


class CurvePoint(BaseModel):
    years: float
    survival: float
    lower: float
    upper: float
    at_risk: int


class RetentionGroup(BaseModel):
    """Survival of stays: a doctor who left and came back is at risk again in a new stay."""

    group: str
    doctors: int = Field(description="Persons (each with one stay or more)")
    stays: int = Field(
        default=0, description="Stays (episodes) in the analysis: the curve's at risk at 0"
    )
    left: int | None = Field(
        description="Observed endings of stays; the rest are censored at as_of. " + WITHHELD
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
    year: int = Field(
        description="The yearly cycle the round belongs to: the year its LIS1 positions start "
        "(`lis1_starts_on`), not the year people applied (an autumn round is applied for the "
        "year before); for a round opened without a start date, its application deadline's year"
    )
    lis1_starts_on: date | None = Field(
        default=None, description="When the round's LIS1 positions start, if the round says"
    )
    applicants: int | None = Field(description=WITHHELD)
    recruited: int | None = Field(description=WITHHELD)
    still_in_post: int | None = Field(
        description="In a GP post in Helgeland at as_of (again, after a return). " + WITHHELD
    )
    dropped_out: int | None = Field(
        default=None,
        description="Left the path before LIS3 started (during LIS1, or after accepting a "
        "LIS3 offer). " + WITHHELD,
    )
    returned: int | None = Field(
        default=None, description="Left a post and later came back. " + WITHHELD
    )
    served: int | None = Field(
        default=None,
        description="Of the round, doctors who started LIS3 in a Helgeland municipality: those "
        "whose weeks of service are counted. " + WITHHELD,
    )
    weeks_of_service: float | None = Field(
        default=None,
        description="Weeks of LIS3 service in Helgeland delivered by the round's doctors, from "
        "each LIS3 start to leaving the region or `as_of` (as Scotland's Rural GP Support Team "
        "reports weeks of service). Null when withheld with `served`",
    )


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


class Lis3StartPlace(BaseModel):
    """Where coupled LIS1 doctors started LIS3: a municipality, or `other (groups too small
    to show)` for places of fewer than k doctors (merged until the group reaches k)."""

    municipality: str
    name: str
    doctors: int | None = Field(description=WITHHELD)


class CoupledSlotOutcome(BaseModel):
    """One round's coupled LIS1 slots: how many were taken by an accepted LIS1, how many of
    those ended in a LIS3 start, and where."""

    round: str
    year: int = Field(description="The round's yearly cycle (see `CycleRow.year`)")
    coupled_lis1_accepted: int | None = Field(description=WITHHELD)
    ended_in_lis3_start: int | None = Field(description=WITHHELD)
    lis3_started_in: list[Lis3StartPlace]


class Coupling(AsOf):
    """Per round, whether its coupled slots ended in a LIS3 start, and where."""

    rounds: list[CoupledSlotOutcome]
    disclosure: Disclosure | None = None
