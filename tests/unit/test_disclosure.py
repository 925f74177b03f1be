"""Small cells: no group, count or cohort combination describes fewer than k persons."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date

from helgeland_contracts.evaluation_v1 import (
    CohortRow,
    CurvePoint,
    CycleRow,
    FunnelGroup,
    FunnelStep,
    RetentionGroup,
)
from helgeland_pipeline.evaluation.anonymity import (
    QUASI_IDENTIFIERS,
    cohort_csv,
    k_anonymous,
    neutralise,
)
from helgeland_pipeline.evaluation.cohort import FUNNEL_STEPS
from helgeland_pipeline.evaluation.disclosure import (
    OTHER,
    Tally,
    cycle_rows,
    funnel_groups,
    merge_small_groups,
    retention_group,
)

K = 5


def row(n: int, municipality: str, **extra: object) -> CohortRow:
    values: dict[str, object] = {
        "pseudonym": f"P-{n:04d}",
        "round": "LIS1 2024",
        "municipality": municipality,
        "centrality_class": 5,
        "population_group": "2 000 to 49 999",
        "local_connection": True,
        "preference": "general_practice",
        "lis3_started": date(2024, 9, 1 + n % 28),
        "municipality_years": 1.23456 + n / 1000,
        "left_municipality": False,
        "region_years": 1.23456 + n / 1000,
        "left_region": False,
        "lis3_started_year": 2024,
    }
    return CohortRow.model_validate(values | extra)


def test_small_groups_merge_into_other_and_a_lone_remainder_takes_the_smallest_with_it() -> None:
    tally = Tally(K)
    shown = merge_small_groups({"a": [1] * 9, "b": [1] * 7, "c": [1] * 2, "d": [1] * 4}, tally)
    assert {name: len(m) for name, m in shown.items()} == {"a": 9, "b": 7, OTHER: 6}
    assert tally.merged_groups == 2
    # Two small ones make only 3: the smallest group that could be shown joins them, so the
    # whole minus the shown groups gives nothing away.
    tally = Tally(K)
    shown = merge_small_groups({"a": [1] * 9, "b": [1] * 7, "c": [1] * 2, "d": [1]}, tally)
    assert {name: len(m) for name, m in shown.items()} == {"a": 9, OTHER: 10}
    assert tally.report().suppressed
    # Nothing but small groups, and fewer than k in all: withheld.
    tally = Tally(K)
    assert merge_small_groups({"a": [1] * 2, "b": [1]}, tally) == {}
    assert tally.withheld_groups == 2
    # Nothing small: untouched, and nothing said.
    tally = Tally(K)
    assert merge_small_groups({"a": [1] * 5}, tally) == {"a": [1] * 5}
    assert not tally.report().suppressed


def funnel_group(name: str, counts: list[int]) -> FunnelGroup:
    steps = [
        FunnelStep(
            step=step,
            count=c,
            from_previous=None if i == 0 else c,
            without_previous=None if i == 0 else 0,
            conversion=0.5,
            median_days_from_previous=3.0,
        )
        for i, (step, c) in enumerate(zip(FUNNEL_STEPS, counts, strict=False))
    ]
    return FunnelGroup(group=name, steps=steps)


def test_funnel_counts_of_one_to_k_minus_one_are_withheld_with_what_reveals_them() -> None:
    tally = Tally(K)
    counts = [20, 18, 12, 9, 7, 6, 3, 2, 0]
    (shown,) = funnel_groups([funnel_group("all", counts)], tally)
    got = [s.count for s in shown.steps]
    assert got == [20, 18, 12, 9, 7, 6, None, None, 0]
    # The conversion into a withheld step, and out of one, would give it away.
    assert [s.conversion for s in shown.steps][6:] == [None, None, None]
    assert shown.steps[6].median_days_from_previous is None
    assert shown.steps[5].conversion == 0.5
    assert tally.withheld_cells == 4  # the two counts, and the parts (from_previous) of each


def test_one_withheld_cell_in_a_column_takes_the_smallest_other_with_it() -> None:
    tally = Tally(K)
    groups = [
        funnel_group("a", [30, 20, 10, 9]),
        funnel_group("b", [12, 11, 3, 8]),
        funnel_group("c", [10, 9, 7, 6]),
    ]
    shown = funnel_groups(groups, tally)
    column = [g.steps[2].count for g in shown]
    # b's 3 alone would be the total minus a and c: c's 7 (the smallest shown) goes too.
    assert column == [10, None, None]
    assert [g.steps[3].count for g in shown] == [9, 8, 6]  # no withheld cell: all shown
    assert all(s.count in (None, 0) or s.count >= K for g in shown for s in g.steps)


def test_cycles_withhold_small_counts_per_column() -> None:
    tally = Tally(K)
    rows = [
        CycleRow(round="2022", year=2022, applicants=40, recruited=6, still_in_post=2),
        CycleRow(round="2023", year=2023, applicants=35, recruited=8, still_in_post=7),
    ]
    shown = cycle_rows(rows, tally)
    assert [(r.applicants, r.recruited, r.still_in_post) for r in shown] == [
        (40, 6, None),
        (35, 8, None),  # 7 alone would be the total minus the other
    ]
    assert tally.report().withheld_cells == 2


def test_a_survival_curve_ends_where_fewer_than_k_remain_at_risk() -> None:
    curve = [
        CurvePoint(years=y, survival=s, lower=s - 0.1, upper=1.0, at_risk=n)
        for y, s, n in ((0.0, 1.0, 12), (0.8, 0.9, 10), (1.5, 0.8, 6), (2.4, 0.6, 4), (3.1, 0.3, 2))
    ]
    group = RetentionGroup(
        group="all",
        doctors=12,
        left=4,
        median_years=2.8,
        median_ci=(1.9, 3.5),
        share_in_post={"1y": 0.9, "2y": 0.8, "5y": None},
        curve=curve,
    )
    tally = Tally(K)
    shown = retention_group(group, tally)
    assert [p.years for p in shown.curve] == [0.0, 0.8, 1.5]
    assert shown.share_in_post == {"1y": 0.9, "2y": None, "5y": None}
    assert (shown.median_years, shown.median_ci) == (None, (None, None))
    assert shown.left is None  # 4 doctors left: fewer than k
    assert tally.report().suppressed


def test_the_cohort_is_k_anonymous_generalising_the_finest_detail_first() -> None:
    rows = [row(n, "Rana") for n in range(7)]
    rows += [
        row(10 + n, "Træna", centrality_class=6, population_group="under 2 000") for n in (0, 1)
    ]
    rows += [
        row(20 + n, "Vega", centrality_class=6, population_group="under 2 000") for n in (0, 1)
    ]
    rows += [
        row(30 + n, "Hemnes", lis3_started=date(2022, 9, 1), round="LIS1 2022") for n in range(3)
    ]
    release = k_anonymous(rows, K)
    by = {r.pseudonym: r for r in release.rows}
    assert by["P-0000"].municipality == "Rana"
    assert by["P-0000"].generalised == []
    # Træna and Vega are two each, four together even without their class and size, and
    # Hemnes' three are alone in 2022: only with every quasi-identifier withheld do the
    # seven share one combination.
    for name in ("P-0010", "P-0021", "P-0030"):
        assert all(getattr(by[name], f) is None for f in QUASI_IDENTIFIERS)
        assert set(by[name].generalised) == set(QUASI_IDENTIFIERS)
    assert (release.withheld, release.generalised) == (0, 7)
    # Without Hemnes the four are too few even then: withheld.
    assert (k_anonymous(rows[:-3], K).withheld, len(k_anonymous(rows[:-3], K).rows)) == (4, 7)
    shown = Counter(
        (tuple(getattr(r, f) for f in QUASI_IDENTIFIERS), tuple(r.generalised))
        for r in release.rows
    )
    assert min(shown.values()) >= K
    for r in release.rows:
        assert r.lis3_started is None  # never the day
        assert r.municipality_years == round(r.municipality_years or 0, 1)


def test_k_of_one_turns_disclosure_control_off() -> None:
    rows = [row(1, "Træna")]
    release = k_anonymous(rows, 1)
    assert release.rows == rows
    assert release.withheld == release.generalised == 0


def test_csv_cells_a_spreadsheet_would_run_are_neutralised_and_numbers_stay_numbers() -> None:
    for text in ('=HYPERLINK("http://x")', "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("LIS1 2024") == "LIS1 2024"
    assert neutralise(-1.5) == -1.5
    assert neutralise(-3) == -3
    rows = [row(n, "Rana", round='=HYPERLINK("http://evil.example","x")') for n in range(5)]
    rows[0] = rows[0].model_copy(update={"municipality_years": -0.5})
    text = cohort_csv(k_anonymous(rows, 1).rows)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert {p["round"] for p in parsed} == {'\'=HYPERLINK("http://evil.example","x")'}
    assert parsed[0]["municipality_years"] == "-0.5"  # a numeric column: left a number
    assert all(not p["round"].startswith("=") for p in parsed)
