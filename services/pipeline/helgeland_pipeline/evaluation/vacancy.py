"""GP posts over time: each municipality's series, and the region's trend year by year.

A report describes one date; a later report for the same date corrects it. As things stood at
`as_of`, known at `known_at`: reports of dates up to `as_of`, recorded by `known_at`, the latest
recorded one per date. The region's year is each municipality's latest report up to the end
of that year (carried forward: a municipality that did not report that year still has posts).
Organisation figures, not persons: the small-cell rule does not apply.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from helgeland_contracts.posts_v1 import VacancyPoint, VacancySeries, VacancyYear

from helgeland_pipeline.reference import ReferenceData


@dataclass(frozen=True)
class Report:
    position: int
    municipality: str
    as_of: date
    total: int
    vacant: int
    held_by_locums: int
    retirements_expected: int
    recorded_at: datetime


def _rate(vacant: int, total: int) -> float | None:
    return round(vacant / total, 4) if total else None


def current_reports(reports: list[Report], as_of: date, known_at: datetime) -> list[Report]:
    """Per municipality and date, the latest report recorded by `known_at`; dates to `as_of`."""
    latest: dict[tuple[str, date], Report] = {}
    for r in sorted(reports, key=lambda r: (r.recorded_at, r.position)):
        if r.as_of <= as_of and r.recorded_at <= known_at:
            latest[(r.municipality, r.as_of)] = r
    return sorted(latest.values(), key=lambda r: (r.municipality, r.as_of))


def series(reports: list[Report], reference: ReferenceData) -> list[VacancySeries]:
    by_municipality: dict[str, list[Report]] = defaultdict(list)
    for r in reports:
        by_municipality[r.municipality].append(r)
    found = []
    for number, own in sorted(by_municipality.items()):
        municipality = reference.municipalities.get(number)
        found.append(
            VacancySeries(
                municipality=number,
                name=municipality.name if municipality else number,
                centrality_class=municipality.centrality_class if municipality else None,
                points=[
                    VacancyPoint(
                        as_of=r.as_of,
                        total=r.total,
                        vacant=r.vacant,
                        held_by_locums=r.held_by_locums,
                        retirements_expected=r.retirements_expected,
                        vacancy_rate=_rate(r.vacant, r.total),
                    )
                    for r in own
                ],
            )
        )
    return found


def years(reports: list[Report], as_of: date) -> list[VacancyYear]:
    """The region at the end of each year from the first report's to `as_of`'s."""
    if not reports:
        return []
    found = []
    for year in range(min(r.as_of for r in reports).year, as_of.year + 1):
        end = min(date(year, 12, 31), as_of)
        latest: dict[str, Report] = {}
        for r in sorted(reports, key=lambda r: r.as_of):
            if r.as_of <= end:
                latest[r.municipality] = r
        held = list(latest.values())
        total, vacant = sum(r.total for r in held), sum(r.vacant for r in held)
        found.append(
            VacancyYear(
                year=year,
                municipalities_reporting=len(held),
                total=total,
                vacant=vacant,
                held_by_locums=sum(r.held_by_locums for r in held),
                retirements_expected=sum(r.retirements_expected for r in held),
                vacancy_rate=_rate(vacant, total),
            )
        )
    return found
