"""The forum's own problem: GP posts (fastlegehjemler) per municipality, reported over time.

A `GpPosts` aggregate per municipality holds its reports. Each report gives the counts as they
stood on a date (`as_of`), may be back-dated, and a later report for the same date corrects
the earlier one (the log keeps both; readers take the latest). The counts are organisation
figures, not personal data. A post is vacant (nobody holds it), held by a locum (vikar), or
held by a GP; retirements are expected among the GPs who hold posts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import Stamp, require_valid

MAX_POSTS = 500  # far above the largest municipality's (about thirty): a typing error otherwise
RETIREMENT_HORIZON_YEARS = 5  # "retirements expected" counts those of the next five years
EARLIEST_REPORT = date(2000, 1, 1)
_NAMESPACE = uuid.UUID("9c3f6f55-2d7b-4b8e-8a0e-5e1f2b7c4d90")


def gp_posts_id(municipality: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, municipality)


@dataclass(frozen=True)
class PostCounts:
    """GP posts of one municipality on one date."""

    total: int
    vacant: int
    held_by_locums: int
    retirements_expected: int

    def check(self) -> None:
        """Non-negative, bounded, and consistent: nothing counted twice."""
        for name, value in vars(self).items():
            require_valid(
                0 <= value <= MAX_POSTS, f"{name} must lie between 0 and {MAX_POSTS}, not {value}"
            )
        require_valid(
            self.vacant + self.held_by_locums <= self.total,
            f"vacant ({self.vacant}) and held by locums ({self.held_by_locums}) together "
            f"cannot exceed the total posts ({self.total})",
        )
        held_by_gps = self.total - self.vacant - self.held_by_locums
        require_valid(
            self.retirements_expected <= held_by_gps,
            f"retirements expected ({self.retirements_expected}) cannot exceed the posts held "
            f"by GPs ({held_by_gps} = total - vacant - held by locums)",
        )


class GpPosts(Aggregate):
    """One municipality's GP post reports, by the date they describe."""

    @staticmethod
    def create_id(municipality: str, **_: object) -> uuid.UUID:
        return gp_posts_id(municipality)

    @event("Started")
    def __init__(self, municipality: str, stamp: Stamp) -> None:
        self.municipality = municipality
        self.reported: set[date] = set()

    def report(self, as_of: date, counts: PostCounts, stamp: Stamp) -> None:
        """Record the counts as they stood on `as_of` (back-dating allowed, never ahead of the
        day it is recorded); a second report for a date corrects the first."""
        counts.check()
        require_valid(
            EARLIEST_REPORT <= as_of <= stamp.recorded_day,
            f"the report's date ({as_of.isoformat()}) must lie between "
            f"{EARLIEST_REPORT.isoformat()} and today ({stamp.recorded_day.isoformat()})",
        )
        self._posts_reported(
            municipality=self.municipality,
            as_of=as_of,
            total=counts.total,
            vacant=counts.vacant,
            held_by_locums=counts.held_by_locums,
            retirements_expected=counts.retirements_expected,
            corrects_earlier=as_of in self.reported,
            stamp=stamp,
        )

    @event("PostsReported")
    def _posts_reported(
        self,
        municipality: str,
        as_of: date,
        total: int,
        vacant: int,
        held_by_locums: int,
        retirements_expected: int,
        corrects_earlier: bool,
        stamp: Stamp,
    ) -> None:
        self.reported.add(as_of)
