"""GP posts per municipality: the consistency rule of a report, back-dating and corrections."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helgeland_pipeline.domain.common import InvalidInput, Stamp
from helgeland_pipeline.domain.gp_posts import (
    EARLIEST_REPORT,
    MAX_POSTS,
    GpPosts,
    PostCounts,
    gp_posts_id,
)
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import NOW, RANA, VEFSN, municipal, stamp

TODAY = NOW.date()
counts = st.integers(min_value=-3, max_value=MAX_POSTS + 3)


def posts() -> GpPosts:
    aggregate = GpPosts(RANA, stamp())
    aggregate.collect_events()
    return aggregate


def consistent(c: PostCounts) -> bool:
    in_bounds = all(0 <= v <= MAX_POSTS for v in vars(c).values())
    fits = c.vacant + c.held_by_locums <= c.total
    return in_bounds and fits and c.retirements_expected <= c.total - c.vacant - c.held_by_locums


@given(counts, counts, counts, counts)
def test_a_report_is_recorded_exactly_when_its_counts_are_consistent(
    total: int, vacant: int, locums: int, retiring: int
) -> None:
    aggregate = posts()
    report = PostCounts(total, vacant, locums, retiring)
    if consistent(report):
        aggregate.report(TODAY, report, stamp())
        (event,) = aggregate.collect_events()
        assert (event.total, event.vacant, event.held_by_locums) == (total, vacant, locums)  # type: ignore[attr-defined]
        assert event.retirements_expected == retiring  # type: ignore[attr-defined]
    else:
        with pytest.raises(InvalidInput):
            aggregate.report(TODAY, report, stamp())
        assert aggregate.collect_events() == []


@given(st.integers(0, MAX_POSTS), st.data())
def test_vacant_and_locums_never_exceed_the_posts(total: int, data: st.DataObject) -> None:
    vacant = data.draw(st.integers(0, MAX_POSTS))
    locums = data.draw(st.integers(0, MAX_POSTS))
    report = PostCounts(total, vacant, locums, 0)
    if vacant + locums > total:
        with pytest.raises(InvalidInput, match=r"cannot exceed the total posts"):
            report.check()
    else:
        report.check()


def test_the_refusal_names_the_numbers() -> None:
    with pytest.raises(InvalidInput, match=r"vacant \(4\) and held by locums \(3\).*\(6\)"):
        PostCounts(6, 4, 3, 0).check()
    with pytest.raises(InvalidInput, match=r"held_by_locums must lie between 0 and 500, not -1"):
        PostCounts(6, 0, -1, 0).check()
    with pytest.raises(InvalidInput, match=r"retirements expected \(3\).*held by GPs \(2"):
        PostCounts(6, 2, 2, 3).check()


def test_a_report_may_be_back_dated_but_not_ahead_of_today() -> None:
    aggregate = posts()
    aggregate.report(date(2020, 10, 15), PostCounts(26, 3, 2, 4), stamp())
    with pytest.raises(InvalidInput, match=rf"\({TODAY + timedelta(days=1)}\).*today"):
        aggregate.report(TODAY + timedelta(days=1), PostCounts(26, 3, 2, 4), stamp())
    with pytest.raises(InvalidInput, match="must lie between 2000-01-01"):
        aggregate.report(EARLIEST_REPORT - timedelta(days=1), PostCounts(26, 3, 2, 4), stamp())


def test_a_later_report_for_the_same_date_corrects_the_earlier() -> None:
    aggregate = posts()
    day = date(2022, 10, 15)
    aggregate.report(day, PostCounts(26, 4, 1, 0), stamp())
    aggregate.report(date(2023, 10, 15), PostCounts(26, 2, 1, 0), stamp())
    aggregate.report(day, PostCounts(26, 3, 2, 0), stamp())
    first, other, correction = aggregate.collect_events()
    assert not first.corrects_earlier  # type: ignore[attr-defined]
    assert not other.corrects_earlier  # type: ignore[attr-defined]
    assert correction.corrects_earlier  # type: ignore[attr-defined]
    assert correction.municipality == RANA  # type: ignore[attr-defined]


def test_one_aggregate_per_municipality_and_each_report_says_who_made_it() -> None:
    assert gp_posts_id(RANA) != gp_posts_id(VEFSN)
    aggregate = GpPosts(RANA, stamp())
    assert aggregate.id == gp_posts_id(RANA)
    reported = Stamp(municipal(RANA), NOW, NOW)
    aggregate.report(TODAY, PostCounts(1, 0, 1, 0), reported)
    assert aggregate.collect_events()[-1].stamp == reported  # type: ignore[attr-defined]
