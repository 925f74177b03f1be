"""Stays as episodes: the arithmetic the survival analysis rests on. No storage.

Random histories of arrivals and departures (in world-time order, as the read model gives them)
must give episodes that never overlap, whose years add up to the time actually spent in post,
and where every arrival after a departure opens a new episode.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helgeland_pipeline.evaluation.cohort import Fact, build_doctors
from helgeland_pipeline.evaluation.episodes import DAYS_PER_YEAR, Episode, Stays
from hypothesis import given
from hypothesis import strategies as st

T0 = datetime(2023, 9, 15, 9, tzinfo=UTC)

# A history: (days after the previous change, arrives?) pairs.
histories = st.lists(st.tuples(st.integers(0, 2000), st.booleans()), max_size=30)


def replay(history: list[tuple[int, bool]]) -> tuple[Stays, datetime, float, int]:
    """The stays, the moment after the last change, and, counted independently of `Stays`,
    the days in post and the arrivals that found the doctor out of post."""
    stays, at, in_post_since, days, arrivals = Stays(), T0, None, 0.0, 0
    for gap, arrives in history:
        at += timedelta(days=gap)
        if arrives:
            stays.begin(at)
            if in_post_since is None:
                in_post_since, arrivals = at, arrivals + 1
        else:
            stays.end(at)
            if in_post_since is not None:
                days += (at - in_post_since).total_seconds() / 86400
                in_post_since = None
    as_of = at + timedelta(days=100)
    if in_post_since is not None:
        days += (as_of - in_post_since).total_seconds() / 86400
    return stays, as_of, days, arrivals


@given(histories)
def test_episodes_never_overlap(history: list[tuple[int, bool]]) -> None:
    stays, _, _, _ = replay(history)
    for earlier, later in zip(stays.episodes, stays.episodes[1:], strict=False):
        assert earlier.end is not None, "only the last episode may be open"
        assert earlier.start <= earlier.end <= later.start
    assert all(e.end is None or e.start <= e.end for e in stays.episodes)


@given(histories)
def test_the_total_time_in_post_is_the_sum_of_the_episodes(
    history: list[tuple[int, bool]],
) -> None:
    stays, as_of, days, _ = replay(history)
    total = sum(years for years, _ in stays.durations(as_of))
    assert abs(total - days / DAYS_PER_YEAR) < 1e-9
    assert abs(stays.total_years(as_of) - total) < 1e-9


@given(histories)
def test_each_return_opens_a_new_episode(history: list[tuple[int, bool]]) -> None:
    stays, _, _, arrivals = replay(history)
    assert len(stays.episodes) == arrivals
    ended = sum(e.observed for e in stays.episodes)
    assert ended == len(stays.episodes) - int(stays.open)


def test_a_stay_still_open_is_censored_at_as_of() -> None:
    episode = Episode(T0)
    assert not episode.observed
    assert episode.years(T0 + timedelta(days=DAYS_PER_YEAR * 2)) == 2.0


def fact(name: str, days: float, municipality: str | None = None, **attrs: object) -> Fact:
    return Fact("doctor", name, municipality, T0 + timedelta(days=days), dict(attrs))


def test_a_doctor_who_leaves_helgeland_and_returns_has_two_stays_in_each_scope() -> None:
    (doctor,) = build_doctors(
        [
            fact("lis3_started", 0, "1833"),
            fact("left", 365.25, "1833", reason="family", destination="abroad"),
            fact("returned", 730.5, "1824"),
        ]
    )
    as_of = T0 + timedelta(days=4 * 365.25)
    for scope in ("municipality", "region"):
        assert doctor.episode_years(scope, as_of) == [(1.0, True), (2.0, False)]
        assert doctor.stay_years(scope, as_of) == (1.0, True)  # the first stay
    assert doctor.still_in_post
    assert doctor.returned


def test_a_return_after_leaving_for_another_helgeland_municipality_keeps_one_region_stay() -> None:
    (doctor,) = build_doctors(
        [
            fact("lis3_started", 0, "1833"),
            fact("left", 365.25, "1833", reason="family", destination="helgeland_municipality"),
            fact("returned", 730.5, "1824"),
        ]
    )
    as_of = T0 + timedelta(days=3 * 365.25)
    assert doctor.episode_years("municipality", as_of) == [(1.0, True), (1.0, False)]
    assert doctor.episode_years("region", as_of) == [(3.0, False)]


def test_a_move_within_helgeland_begins_a_new_stay_in_the_municipality_only() -> None:
    (doctor,) = build_doctors(
        [fact("lis3_started", 0, "1833"), fact("moved", 365.25, "1824", **{"from": "1833"})]
    )
    as_of = T0 + timedelta(days=2 * 365.25)
    assert doctor.episode_years("municipality", as_of) == [(1.0, True), (1.0, False)]
    assert doctor.episode_years("region", as_of) == [(2.0, False)]


def test_a_dropout_is_recorded_with_its_phase_the_careers_phase_first() -> None:
    (during,) = build_doctors([fact("lis1_started", 0), fact("dropped_out", 90, phase="lis1")])
    assert (during.dropout, during.steps["started_lis1"]) == ("lis1", T0)
    (both,) = build_doctors(
        [
            fact("dropped_out_before_lis3", 500, "1833", reason="family"),
            fact("dropped_out", 500, phase="lis1", reason="family"),
        ]
    )
    assert both.dropout == "lis1"
    (offer_only,) = build_doctors([fact("dropped_out_before_lis3", 500, "1833")])
    assert offer_only.dropout == "before_lis3"
    assert not offer_only.episode_years("municipality", T0 + timedelta(days=600))
