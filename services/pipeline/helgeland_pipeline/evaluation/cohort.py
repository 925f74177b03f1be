"""From facts to doctors: each candidate's steps and stay, as things stood at `as_of`."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from helgeland_contracts.evaluation_v1 import FunnelStepName

from helgeland_pipeline.evaluation.episodes import Stays
from helgeland_pipeline.reference import ReferenceData

FUNNEL_STEPS: tuple[FunnelStepName, ...] = (
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
)
_STEP_OF_FACT = {
    "contacted": "contacted",
    "applied": "applied",
    "interviewed": "interviewed",
    "lis1_offered": "offered_lis1",
    "lis1_accepted": "accepted_lis1",
    "lis1_started": "started_lis1",
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
    """A candidate's path; `steps` holds the first time each funnel step was reached.

    Stays are episodes (`evaluation.episodes`): in the municipality, a move or a return begins
    a new one; in the region, only a return after leaving Helgeland does.
    """

    candidate_id: str
    steps: dict[str, datetime] = field(default_factory=dict)
    round_id: str | None = None
    preference: str | None = None
    local_connection: bool | None = None
    municipality: str | None = None  # where LIS3 started
    municipality_stays: Stays = field(default_factory=Stays)
    region_stays: Stays = field(default_factory=Stays)
    dropout: str | None = None  # left the path before LIS3: "lis1" or "before_lis3"
    returned: bool = False

    def reach(self, step: str, at: datetime) -> None:
        self.steps.setdefault(step, at)

    def stays(self, scope: str) -> Stays:
        return self.municipality_stays if scope == "municipality" else self.region_stays

    @property
    def municipality_end(self) -> datetime | None:
        """When the first stay in the municipality ended."""
        episodes = self.municipality_stays.episodes
        return episodes[0].end if episodes else None

    @property
    def region_end(self) -> datetime | None:
        """When the first stay in the region ended."""
        episodes = self.region_stays.episodes
        return episodes[0].end if episodes else None

    @property
    def still_in_post(self) -> bool:
        """In a GP post in a Helgeland municipality now (after a return too)."""
        return self.municipality_stays.open

    def stay_years(self, scope: str, as_of: datetime) -> tuple[float, bool] | None:
        """The first stay: years from LIS3 start to its end (observed) or `as_of` (censored)."""
        durations = self.stays(scope).durations(as_of)
        return durations[0] if durations else None

    def episode_years(self, scope: str, as_of: datetime) -> list[tuple[float, bool]]:
        """Every stay, each with its years and whether it ended."""
        return self.stays(scope).durations(as_of)


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
        else:
            _follow(d, f)
    return list(doctors.values())


def _follow(d: Doctor, f: Fact) -> None:
    """Stays and dropouts: what happened after LIS1 was accepted."""
    if f.fact == "lis3_started":
        d.municipality = d.municipality or f.municipality
        d.municipality_stays.begin(f.occurred_at)
        d.region_stays.begin(f.occurred_at)
    elif f.fact == "moved" and d.municipality_stays.open:
        d.municipality_stays.end(f.occurred_at)
        d.municipality_stays.begin(f.occurred_at)  # a new stay, in another municipality
    elif f.fact == "left":
        d.municipality_stays.end(f.occurred_at)
        if f.attrs.get("destination") != "helgeland_municipality":
            d.region_stays.end(f.occurred_at)
    elif f.fact == "returned" and d.municipality_stays.episodes:
        d.returned = True
        d.municipality_stays.begin(f.occurred_at)
        d.region_stays.begin(f.occurred_at)  # still open when they never left the region
    elif f.fact == "dropped_out":
        d.dropout = f.attrs.get("phase")
    elif f.fact == "dropped_out_before_lis3" and d.dropout is None:
        d.dropout = "before_lis3"


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
