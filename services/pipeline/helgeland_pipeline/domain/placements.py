"""Which municipalities take 5th-year placement students, and how many a year.

One `PlacementCapacity` per municipality, recorded by the municipality itself or the forum.
A later record for the same year replaces the earlier figure (the log keeps both).
"""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import Stamp, require_valid

MAX_STUDENTS_A_YEAR = 100
_NAMESPACE = uuid.UUID("0c7b3a7e-1f57-4a53-8f0e-5d1c2b6a9e44")


def placement_capacity_id(municipality: str) -> uuid.UUID:
    """One capacity record per municipality: its id follows from the number."""
    return uuid.uuid5(_NAMESPACE, municipality)


class PlacementCapacity(Aggregate):
    """How many placement students a municipality takes, year by year."""

    @staticmethod
    def create_id(municipality: str, **_: Any) -> uuid.UUID:
        return placement_capacity_id(municipality)

    @event("Registered")
    def __init__(self, municipality: str, stamp: Stamp) -> None:
        self.municipality = municipality
        self.students_by_year: dict[int, int] = {}

    def record(self, year: int, students: int, stamp: Stamp) -> None:
        """Record how many placement students the municipality takes in an academic year
        (the year it starts); 0 says it takes none."""
        require_valid(2000 <= year <= 2100, f"the year {year} is not between 2000 and 2100")
        require_valid(
            0 <= students <= MAX_STUDENTS_A_YEAR,
            f"{students} placement students a year is not between 0 and {MAX_STUDENTS_A_YEAR}",
        )
        self._capacity_recorded(
            municipality=self.municipality, year=year, students=students, stamp=stamp
        )

    @event("CapacityRecorded")
    def _capacity_recorded(self, municipality: str, year: int, students: int, stamp: Stamp) -> None:
        self.students_by_year[year] = students
