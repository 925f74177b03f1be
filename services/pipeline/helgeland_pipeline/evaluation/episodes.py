"""Stays in post as episodes: a doctor who leaves and later returns begins a new stay.

The survival analysis counts stays, not doctors (each stay is at risk from its own start), and
a doctor is "still in post" while their last stay is open. Facts arrive in world-time order, so
episodes never overlap: a stay begins only when none is open and ends at or after its start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Episode:
    """One stay: from `start` to `end` (observed), or still open (censored at `as_of`)."""

    start: datetime
    end: datetime | None = None

    @property
    def observed(self) -> bool:
        return self.end is not None

    def years(self, as_of: datetime) -> float:
        days = ((self.end or as_of) - self.start).total_seconds() / 86400
        return max(days, 0.0) / DAYS_PER_YEAR


@dataclass
class Stays:
    """A doctor's stays in one scope (the municipality, or the region)."""

    episodes: list[Episode] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return bool(self.episodes) and self.episodes[-1].end is None

    def begin(self, at: datetime) -> None:
        """In post from `at`; nothing changes while a stay is already open."""
        if not self.open:
            self.episodes.append(Episode(at))

    def end(self, at: datetime) -> None:
        """Out of post at `at`; nothing changes when no stay is open."""
        if self.open:
            last = self.episodes[-1]
            self.episodes[-1] = replace(last, end=max(at, last.start))

    def durations(self, as_of: datetime) -> list[tuple[float, bool]]:
        """Each stay's years and whether it ended (the survival analysis' input)."""
        return [(e.years(as_of), e.observed) for e in self.episodes]

    def total_years(self, as_of: datetime) -> float:
        return sum(e.years(as_of) for e in self.episodes)
