"""Version 1 of the GP posts payloads: the forum's problem, vacant GP posts per municipality.

The counts are organisation figures (how many posts a municipality has, how many stand vacant
or are held by locums, how many retirements it expects): no person is described by them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from helgeland_contracts.api_v1 import Request
from helgeland_contracts.bounds import Day

MAX_POSTS = 500
"""The most GP posts one municipality may report (the largest in Helgeland has about 30)."""

PostCount = Annotated[int, Field(ge=0, le=MAX_POSTS)]


class GpPostsReport(Request):
    """A municipality's GP posts (fastlegehjemler) as they stood on `as_of`.

    Back-dating is allowed (never a date after today); a later report for the same date
    corrects the earlier one. `vacant` + `held_by_locums` cannot exceed `total`, and the
    retirements expected cannot exceed the posts held by GPs (total - vacant - locums).
    """

    as_of: Day = Field(description="The date the counts describe", examples=["2020-10-15"])
    total: PostCount = Field(description="GP posts in the municipality", examples=[12])
    vacant: PostCount = Field(description="Posts nobody holds", examples=[3])
    held_by_locums: PostCount = Field(description="Posts held by locums (vikarer)", examples=[2])
    retirements_expected: PostCount = Field(
        description="GPs holding posts expected to retire within the next five years",
        examples=[1],
    )


class GpPostsOut(BaseModel):
    """One report of a municipality's GP posts, as recorded."""

    municipality: str
    name: str
    as_of: date
    total: int
    vacant: int
    held_by_locums: int
    retirements_expected: int
    reported_by: str = Field(
        description="The organisation that reported (the municipality, or the forum on its behalf)"
    )
    recorded_at: AwareDatetime
    current: bool = Field(
        description="False when a later report for the same date has corrected this one"
    )
    corrects_earlier: bool = Field(description="Whether this report corrected an earlier one")


class GpPostsHistory(BaseModel):
    """A municipality's GP post reports over time, oldest date first, corrections included."""

    municipality: str
    name: str
    latest: GpPostsOut | None = Field(description="The current report of the latest date")
    reports: list[GpPostsOut]


class VacancyPoint(BaseModel):
    """One municipality's counts on one date, as the latest report recorded by `known_at`."""

    as_of: date
    total: int
    vacant: int
    held_by_locums: int
    retirements_expected: int
    vacancy_rate: float | None = Field(description="vacant / total (0–1); null with no posts")


class VacancySeries(BaseModel):
    municipality: str
    name: str
    centrality_class: int | None = None
    points: list[VacancyPoint]


class VacancyYear(BaseModel):
    """The region in one year: each municipality's last report in that year, summed."""

    year: int
    municipalities_reporting: int
    total: int
    vacant: int
    held_by_locums: int
    retirements_expected: int
    vacancy_rate: float | None = Field(description="vacant / total (0–1); null with no posts")


class Vacancy(BaseModel):
    """GP posts over time, beside recruitment: what the programme is meant to change.

    Organisation figures, not persons: no small-cell rule applies to them.
    """

    as_of: AwareDatetime
    known_at: AwareDatetime
    municipalities: list[VacancySeries]
    years: list[VacancyYear]
