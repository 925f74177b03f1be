"""The vacancy trend and the yearly cycles' weeks of service, computed without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from helgeland_contracts.evaluation_v1 import CycleRow
from helgeland_pipeline.evaluation import figures
from helgeland_pipeline.evaluation.cohort import Doctor, RoundInfo
from helgeland_pipeline.evaluation.disclosure import Tally, cycle_rows
from helgeland_pipeline.evaluation.episodes import DAYS_PER_YEAR, Episode, Stays
from helgeland_pipeline.evaluation.vacancy import Report, current_reports, series, years
from helgeland_pipeline.reference import load_reference

RANA, VEFSN = "1833", "1824"
T0 = datetime(2022, 1, 10, 9, tzinfo=UTC)


def report(position: int, number: str, as_of: date, vacant: int, recorded_days: int) -> Report:
    return Report(position, number, as_of, 20, vacant, 1, 2, T0 + timedelta(days=recorded_days))


REPORTS = [
    report(1, RANA, date(2020, 10, 15), 3, 0),
    report(2, VEFSN, date(2021, 10, 15), 2, 0),
    report(3, RANA, date(2021, 10, 15), 4, 1),
    report(4, RANA, date(2021, 10, 15), 2, 5),  # corrects the report of the same date
    report(5, RANA, date(2023, 3, 1), 1, 400),
]


def test_the_latest_recorded_report_of_a_date_counts_as_it_was_known() -> None:
    now = T0 + timedelta(days=500)
    current = current_reports(REPORTS, date(2023, 12, 31), now)
    assert [(r.municipality, r.as_of, r.vacant) for r in current] == [
        (VEFSN, date(2021, 10, 15), 2),
        (RANA, date(2020, 10, 15), 3),
        (RANA, date(2021, 10, 15), 2),
        (RANA, date(2023, 3, 1), 1),
    ]
    known_earlier = current_reports(REPORTS, date(2023, 12, 31), T0 + timedelta(days=2))
    assert [r.vacant for r in known_earlier if r.municipality == RANA] == [3, 4]
    before_2023 = current_reports(REPORTS, date(2022, 12, 31), now)
    assert date(2023, 3, 1) not in {r.as_of for r in before_2023}


def test_a_year_carries_each_municipality_s_latest_report_forward() -> None:
    current = current_reports(REPORTS, date(2023, 6, 30), T0 + timedelta(days=500))
    found = [
        (y.year, y.municipalities_reporting, y.total, y.vacant)
        for y in years(current, date(2023, 6, 30))
    ]
    assert found == [(2020, 1, 20, 3), (2021, 2, 40, 4), (2022, 2, 40, 4), (2023, 2, 40, 3)]
    assert years([], date(2023, 6, 30)) == []
    vefsn, rana = series(current, load_reference())  # by municipality number
    assert (rana.name, rana.centrality_class, vefsn.name) == ("Rana", 4, "Vefsn")
    assert [p.vacancy_rate for p in rana.points] == [0.15, 0.1, 0.05]


def test_weeks_of_service_run_from_lis3_start_to_leaving_the_region_or_as_of() -> None:
    start = datetime(2023, 8, 15, 9, tzinfo=UTC)
    steps = {"applied": start, "started_lis3": start}

    def stays(*episodes: Episode) -> Stays:
        return Stays(list(episodes))

    served = Doctor(
        "a",
        steps=steps,
        round_id="r",
        municipality_stays=stays(Episode(start)),
        region_stays=stays(Episode(start)),
    )
    gone = start + timedelta(weeks=10)
    left = Doctor(
        "b",
        steps=steps,
        round_id="r",
        municipality_stays=stays(Episode(start, gone)),
        region_stays=stays(Episode(start, gone)),
    )
    moved_on = start + timedelta(weeks=4)
    moved = Doctor(  # left Rana for another Helgeland municipality: still serving the region
        "c",
        steps=steps,
        round_id="r",
        municipality_stays=stays(Episode(start, moved_on), Episode(moved_on)),
        region_stays=stays(Episode(start)),
    )
    never = Doctor("d", steps={"applied": start}, round_id="r")
    rounds = {"r": RoundInfo("LIS1 2023", date(2023, 2, 15), date(2023, 8, 15))}
    as_of = start + timedelta(weeks=20)
    (row,) = figures.cycles([served, left, moved, never], rounds, as_of)
    assert row.served == 3
    assert row.weeks_of_service == 20 + 10 + 20
    assert row.still_in_post == 2
    assert abs(figures.WEEKS_PER_YEAR - DAYS_PER_YEAR / 7) < 1e-9


def test_weeks_of_service_are_withheld_with_the_few_doctors_they_come_from() -> None:
    rows = [
        CycleRow(
            round="2022",
            year=2022,
            applicants=40,
            recruited=6,
            still_in_post=5,
            served=6,
            weeks_of_service=312.0,
        ),
        CycleRow(
            round="2023",
            year=2023,
            applicants=35,
            recruited=5,
            still_in_post=5,
            served=2,
            weeks_of_service=40.0,
        ),
    ]
    shown = cycle_rows(rows, Tally(5))
    assert [(r.served, r.weeks_of_service) for r in shown] == [(None, None), (None, None)]
    plenty = [r.model_copy(update={"served": 9}) for r in rows]
    assert [r.weeks_of_service for r in cycle_rows(plenty, Tally(5))] == [312.0, 40.0]
