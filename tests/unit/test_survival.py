"""The evaluation's figures, computed from handmade doctors: no storage.

Kaplan–Meier is checked against a case worked out by hand and against lifelines run directly;
the funnel against counts worked out by hand; the Cox model for its refusal and its direction.
"""

from __future__ import annotations

import math
import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from helgeland_contracts.evaluation_v1 import CurvePoint, FunnelStep, RetentionGroup
from helgeland_pipeline.evaluation import figures
from helgeland_pipeline.evaluation.cohort import (
    FUNNEL_STEPS,
    Doctor,
    Fact,
    RoundInfo,
    build_doctors,
    pseudonym,
)
from helgeland_pipeline.evaluation.episodes import DAYS_PER_YEAR, Episode, Stays
from helgeland_pipeline.reference import ReferenceData, load_national_figures, load_reference
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

T0 = datetime(2023, 2, 20, 9, 0, tzinfo=UTC)
ROUND_2023 = RoundInfo("LIS1 2023", date(2023, 2, 15), date(2023, 8, 15))
RANA, VEFSN, BINDAL = "1833", "1824", "1811"


@pytest.fixture(scope="module")
def reference() -> ReferenceData:
    return load_reference()


def years(n: float) -> timedelta:
    return timedelta(days=n * DAYS_PER_YEAR)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def survival_at(curve: list[CurvePoint], t: float) -> float:
    """The step function the curve describes, read at `t` (right-continuous)."""
    return [p.survival for p in curve if p.years <= t][-1]


def point(curve: list[CurvePoint], t: float) -> CurvePoint:
    (found,) = [p for p in curve if p.years == t]
    return found


# --- Kaplan–Meier: a case worked out by hand -------------------------------------------------

# Six doctors; the stays of 2 (the second one) and 4 years are censored (still in post at as_of).
HAND_DURATIONS = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0]
HAND_OBSERVED = [True, True, False, True, False, True]
# t   at risk  left  censored  S(t)
# 0      6      0       0      1
# 1      6      1       0      1 * (1 - 1/6)            = 5/6  = 0.8333
# 2      5      1       1      5/6 * (1 - 1/5)          = 4/6  = 0.6667
# 3      3      1       0      4/6 * (1 - 1/3)          = 4/9  = 0.4444
# 4      2      0       1      4/9 (censoring does not lower the curve)
# 5      1      1       0      4/9 * (1 - 1/1)          = 0
# Median: the first time S(t) <= 0.5, that is 3 years.
HAND_CURVE = {0.0: (1.0, 6), 1.0: (5 / 6, 6), 2.0: (4 / 6, 5), 3.0: (4 / 9, 3), 4.0: (4 / 9, 2)}
HAND_CURVE[5.0] = (0.0, 1)


def test_kaplan_meier_matches_the_curve_worked_out_by_hand() -> None:
    result = figures.kaplan_meier(HAND_DURATIONS, HAND_OBSERVED, "hand")
    assert (result.group, result.doctors, result.left) == ("hand", 6, 4)
    assert [p.years for p in result.curve] == sorted(HAND_CURVE)
    for t, (survival, at_risk) in HAND_CURVE.items():
        assert point(result.curve, t).survival == pytest.approx(survival, abs=1e-4)
        assert point(result.curve, t).at_risk == at_risk
    assert survival_at(result.curve, 2.5) == pytest.approx(4 / 6, abs=1e-4)
    assert result.median_years == 3.0
    # Share in post at 1, 2 and 5 years: S(1), S(2), S(5).
    assert result.share_in_post == {"1y": 0.8333, "2y": 0.6667, "5y": 0.0}
    for p in result.curve:
        assert 0.0 <= p.lower <= p.survival <= p.upper <= 1.0


def test_kaplan_meier_agrees_with_lifelines_on_the_hand_case() -> None:
    result = figures.kaplan_meier(HAND_DURATIONS, HAND_OBSERVED, "hand")
    kmf = KaplanMeierFitter().fit(HAND_DURATIONS, HAND_OBSERVED)
    times = [0.0, 0.5, 1.0, 1.5, 2.0, 2.99, 3.0, 4.5, 5.0]
    expected = kmf.survival_function_at_times(times).to_numpy()
    for t, s in zip(times, expected, strict=True):
        assert survival_at(result.curve, t) == pytest.approx(float(s), abs=1e-4)
    assert result.median_years == pytest.approx(float(kmf.median_survival_time_))
    ci = median_survival_times(kmf.confidence_interval_)
    assert result.median_ci == pytest.approx((float(ci.iloc[0, 0]), float(ci.iloc[0, 1])), abs=1e-3)
    bands = kmf.confidence_interval_survival_function_
    for p in result.curve:
        lower, upper = (float(v) for v in bands.loc[p.years])
        assert (p.lower, p.upper) == pytest.approx((lower, upper), abs=1e-4)


def test_kaplan_meier_agrees_with_lifelines_on_a_larger_censored_sample() -> None:
    rng = random.Random(11)
    durations, observed = [], []
    for _ in range(60):
        stay = rng.expovariate(1 / 4.0)
        censor_at = rng.uniform(0.5, 9.0)  # still in post when observation ends
        durations.append(round(min(stay, censor_at), 3))
        observed.append(stay <= censor_at)
    result = figures.kaplan_meier(durations, observed, "sample")
    kmf = KaplanMeierFitter().fit(durations, observed)
    assert (result.doctors, result.left) == (60, sum(observed))
    assert result.left is not None
    assert 0 < result.left < 60
    for t in (0.25, 1.0, 2.0, 3.3, 5.0, 7.5):
        expected = float(kmf.survival_function_at_times(t).iloc[0])
        assert survival_at(result.curve, t) == pytest.approx(expected, abs=1e-4)
    for y in (1, 2, 5):
        expected = float(kmf.survival_function_at_times(y).iloc[0])
        assert result.share_in_post[f"{y}y"] == pytest.approx(expected, abs=1e-4)
    median = float(kmf.median_survival_time_)
    assert math.isfinite(median)
    assert result.median_years == pytest.approx(median, abs=1e-3)
    ci = median_survival_times(kmf.confidence_interval_)
    lower, upper = float(ci.iloc[0, 0]), float(ci.iloc[0, 1])
    assert result.median_ci[0] == pytest.approx(lower, abs=1e-3)
    if math.isfinite(upper):
        assert result.median_ci[1] == pytest.approx(upper, abs=1e-3)
    else:
        assert result.median_ci[1] is None
    table = kmf.event_table
    for p in result.curve:
        assert p.at_risk == int(table.loc[p.years, "at_risk"])


def test_while_more_than_half_stay_there_is_no_median() -> None:
    # One left after a year (S = 3/4); the other three are censored, so the curve stays at 3/4.
    result = figures.kaplan_meier([1.0, 2.5, 3.0, 6.0], [True, False, False, False], "few left")
    assert result.median_years is None
    assert result.median_ci[1] is None
    assert result.share_in_post == {"1y": 0.75, "2y": 0.75, "5y": 0.75}
    assert survival_at(result.curve, 6.0) == 0.75


def test_shares_after_the_last_observation_are_unknown() -> None:
    result = figures.kaplan_meier([0.5, 1.5], [True, False], "short")
    assert result.share_in_post == {"1y": 0.5, "2y": None, "5y": None}


def test_no_doctors_give_an_empty_curve_and_no_figures() -> None:
    result = figures.kaplan_meier([], [], "nobody")
    assert result == RetentionGroup(
        group="nobody",
        doctors=0,
        left=0,
        median_years=None,
        median_ci=(None, None),
        share_in_post={"1y": None, "2y": None, "5y": None},
        curve=[],
    )


# --- from facts to doctors -------------------------------------------------------------------


def fact(name: str, at: datetime, municipality: str | None = None, **attrs: object) -> Fact:
    return Fact("cand-1", name, municipality, at, dict(attrs))


def stay(doctor: Doctor, scope: str, as_of: datetime) -> tuple[float, bool]:
    """Years in post (to the microsecond) and whether the stay ended."""
    found = doctor.stay_years(scope, as_of)
    assert found is not None
    return round(found[0], 9), found[1]


def test_a_move_within_helgeland_ends_the_municipality_stay_but_not_the_region_stay() -> None:
    facts = [
        fact("moved", T0 + years(2), VEFSN, **{"from": RANA}),  # out of order on purpose
        fact("applied", T0 - years(2), round_id="r", preference="undecided", local_connection=True),
        fact("lis3_started", T0, RANA),
    ]
    (doctor,) = build_doctors(facts)
    assert doctor.municipality == RANA
    assert doctor.municipality_end == T0 + years(2)
    assert doctor.region_end is None
    as_of = T0 + years(5)
    assert stay(doctor, "municipality", as_of) == (2.0, True)
    assert stay(doctor, "region", as_of) == (5.0, False)  # still in post: censored at as_of


def test_leaving_for_another_helgeland_municipality_keeps_the_region_stay() -> None:
    facts = [
        fact("lis3_started", T0, RANA),
        fact("left", T0 + years(3), RANA, reason="family", destination="helgeland_municipality"),
    ]
    (doctor,) = build_doctors(facts)
    assert (doctor.municipality_end, doctor.region_end) == (T0 + years(3), None)
    assert stay(doctor, "region", T0 + years(4)) == (4.0, False)


@pytest.mark.parametrize("destination", ["elsewhere_in_norway", "hospital", "abroad"])
def test_leaving_helgeland_ends_both_stays(destination: str) -> None:
    facts = [
        fact("lis3_started", T0, RANA),
        fact("left", T0 + years(3), RANA, reason="workload", destination=destination),
    ]
    (doctor,) = build_doctors(facts)
    assert stay(doctor, "municipality", T0 + years(9)) == (3.0, True)
    assert stay(doctor, "region", T0 + years(9)) == (3.0, True)


def test_a_move_then_leaving_helgeland_ends_each_stay_at_its_own_time() -> None:
    facts = [
        fact("lis3_started", T0, RANA),
        fact("moved", T0 + years(1), VEFSN, **{"from": RANA}),
        fact("left", T0 + years(4), VEFSN, reason="pay_and_terms", destination="abroad"),
    ]
    (doctor,) = build_doctors(facts)
    assert (doctor.municipality, doctor.municipality_end, doctor.region_end) == (
        RANA,
        T0 + years(1),
        T0 + years(4),
    )


def test_a_doctor_who_never_started_lis3_has_no_stay() -> None:
    (doctor,) = build_doctors([fact("applied", T0, preference="hospital", round_id="r")])
    assert doctor.stay_years("municipality", T0 + years(1)) is None
    assert doctor.steps == {"applied": T0}


def test_each_step_is_reached_at_its_first_time() -> None:
    facts = [
        fact("invited", T0 + days(20), RANA, kind="tour"),
        fact("invited", T0 + days(5), VEFSN, kind="interview"),
        fact("applied", T0, preference="general_practice", round_id="r", local_connection=False),
    ]
    (doctor,) = build_doctors(facts)
    assert doctor.steps == {
        "applied": T0,
        "prefers_general_practice": T0,
        "invited": T0 + days(5),
    }
    assert (doctor.round_id, doctor.preference, doctor.local_connection) == (
        "r",
        "general_practice",
        False,
    )


# --- pseudonyms ------------------------------------------------------------------------------


def test_a_pseudonym_is_stable_per_candidate_and_key_and_reveals_neither() -> None:
    candidate = "0b8e4a3c-1f0e-4c5e-9a55-8f1d6f0b2a11"
    first = pseudonym(b"key-one", candidate)
    assert first == pseudonym(b"key-one", candidate)
    assert re.fullmatch(r"P-[0-9a-f]{12}", first)
    assert pseudonym(b"key-two", candidate) != first
    assert pseudonym(b"key-one", "6a3c2f9e-0d4b-4b8e-8f0a-1c2d3e4f5a6b") != first
    assert candidate.replace("-", "")[:12] not in first
    ids = [f"cand-{i}" for i in range(500)]
    assert len({pseudonym(b"key-one", i) for i in ids}) == 500


# --- the funnel ------------------------------------------------------------------------------


def doctor(cid: str, preference: str | None = None, **steps: float) -> Doctor:
    """A doctor who reached each step `steps[step]` days after T0."""
    return Doctor(
        cid,
        steps={step: T0 + days(d) for step, d in steps.items()},
        round_id="r1",
        preference=preference,
    )


FUNNEL_DOCTORS = [
    # contacted, applied (GP), the hospital's steps, shared, invited, offered, accepted
    doctor(
        "d1",
        "general_practice",
        contacted=0,
        applied=10,
        prefers_general_practice=10,
        interviewed=15,
        offered_lis1=20,
        accepted_lis1=25,
        started_lis1=38,
        shared_with_forum=40,
        invited=50,
        offered_lis3=60,
        accepted_lis3=61.5,
    ),
    # prefers hospital; started LIS1
    doctor(
        "d2",
        "hospital",
        contacted=0,
        applied=30,
        interviewed=32,
        offered_lis1=35,
        accepted_lis1=36,
        started_lis1=38,
    ),
    doctor("d3", contacted=0),  # never applied
    # applied without a recorded contact, prefers GP, shared before LIS1 started
    doctor(
        "d4",
        "general_practice",
        applied=5,
        prefers_general_practice=5,
        interviewed=8,
        offered_lis1=20,
        accepted_lis1=22,
        shared_with_forum=45,
    ),
]
# step                  count  from previous / without    conversion (of the previous step)  days
# contacted               3    –                          –                                   –
# applied                 3    d1, d2 / d4                2 of d1, d2, d3  = 2/3             20
# prefers_gp              2    d1, d4 / –                 2 of d1, d2, d4  = 2/3              0
# interviewed             3    d1, d4 / d2                2 of d1, d4      = 1                 4
# offered_lis1            3    d1, d2, d4 / –             3/3                                 5
# accepted_lis1           3    d1, d2, d4 / –             3/3                                 2
# started_lis1            2    d1, d2 / –                 2 of d1, d2, d4  = 2/3            7.5
# shared_with_forum       2    d1 / d4                    1 of d1, d2      = 1/2              2
# invited                 1    d1 / –                     1 of d1, d4      = 1/2             10
# offered_lis3            1    d1 / –                     1/1                                10
# accepted_lis3           1    d1 / –                     1/1                               1.5
# started_lis3            0    – / –                      0/1                                 –
# specialist              0    – / –                      – (nobody at the previous step)     –
HAND_FUNNEL = [
    ("contacted", 3, None, None, None, None),
    ("applied", 3, 2, 1, 0.6667, 20.0),
    ("prefers_general_practice", 2, 2, 0, 0.6667, 0.0),
    ("interviewed", 3, 2, 1, 1.0, 4.0),
    ("offered_lis1", 3, 3, 0, 1.0, 5.0),
    ("accepted_lis1", 3, 3, 0, 1.0, 2.0),
    ("started_lis1", 2, 2, 0, 0.6667, 7.5),
    ("shared_with_forum", 2, 1, 1, 0.5, 2.0),
    ("invited", 1, 1, 0, 0.5, 10.0),
    ("offered_lis3", 1, 1, 0, 1.0, 10.0),
    ("accepted_lis3", 1, 1, 0, 1.0, 1.5),
    ("started_lis3", 0, 0, 0, 0.0, None),
    ("specialist", 0, 0, 0, None, None),
]


def test_the_funnel_counts_converts_and_measures_days_as_worked_out_by_hand(
    reference: ReferenceData,
) -> None:
    (group,) = figures.funnel(FUNNEL_DOCTORS, "all", reference, {"r1": ROUND_2023})
    assert group.group == "all"
    assert group.steps == [
        FunnelStep(
            step=s,
            count=c,
            from_previous=f,
            without_previous=w,
            conversion=v,
            median_days_from_previous=m,
        )
        for s, c, f, w, v, m in HAND_FUNNEL
    ]
    assert [s.step for s in group.steps] == list(FUNNEL_STEPS)


def test_the_funnel_groups_by_round_and_by_preference(reference: ReferenceData) -> None:
    by_round = figures.funnel(FUNNEL_DOCTORS, "round", reference, {"r1": ROUND_2023})
    assert [g.group for g in by_round] == ["LIS1 2023"]
    by_preference = figures.funnel(FUNNEL_DOCTORS, "preference", reference, {})
    assert [g.group for g in by_preference] == ["general_practice", "hospital", "unknown"]
    counts = {g.group: g.steps[0].count for g in by_preference}
    assert counts == {"general_practice": 1, "hospital": 1, "unknown": 1}


def test_a_doctor_with_no_application_has_an_unknown_local_connection(
    reference: ReferenceData,
) -> None:
    doctors = [
        Doctor("a", steps={"contacted": T0}, local_connection=None),  # never applied
        Doctor("b", steps={"applied": T0}, local_connection=True),
        Doctor("c", steps={"applied": T0}, local_connection=False),
    ]
    groups = figures.funnel(doctors, "local_connection", reference, {})
    assert sorted(g.group for g in groups) == [
        "local connection",
        "no local connection",
        "unknown",
    ]


def test_an_empty_funnel_still_lists_every_step(reference: ReferenceData) -> None:
    (group,) = figures.funnel([], "round", reference, {})
    assert group.group == "all"
    assert [(s.count, s.conversion, s.median_days_from_previous) for s in group.steps] == [
        (0, None, None)
    ] * len(FUNNEL_STEPS)


# --- retention by scope, the national comparison and cycles -----------------------------------


def stayed(
    cid: str,
    municipality: str,
    stay: float | None,
    region_stay: float | None = None,
    local: bool = False,
    preference: str = "general_practice",
    round_id: str = "r1",
) -> Doctor:
    """Started LIS3 at T0; left the municipality after `stay` years (None: still there)."""
    return Doctor(
        cid,
        steps={"applied": T0 - years(2), "accepted_lis3": T0 - years(1), "started_lis3": T0},
        round_id=round_id,
        preference=preference,
        local_connection=local,
        municipality=municipality,
        municipality_stays=one_stay(stay),
        region_stays=one_stay(region_stay),
    )


def one_stay(stay: float | None) -> Stays:
    """A stay from T0, ended after `stay` years (None: still open)."""
    return Stays([Episode(T0, None if stay is None else T0 + years(stay))])


def test_a_doctor_who_returns_is_at_risk_again_in_a_second_stay(
    reference: ReferenceData,
) -> None:
    back = stayed("back", RANA, 1.0, region_stay=1.0)
    back.municipality_stays.begin(T0 + years(3))  # came back after two years away
    back.region_stays.begin(T0 + years(3))
    back.returned = True
    doctors = [back, stayed("gone", RANA, 2.0, region_stay=2.0)]
    as_of = T0 + years(4)
    (group,) = figures.retention(doctors, "region", "all", as_of, reference, {})
    # Two doctors, three stays: 1 (ended), 2 (ended) and 1 (the return, still open).
    assert (group.doctors, group.stays, group.left) == (2, 3, 2)
    assert group.curve[0].at_risk == 3
    # S(1) = 1 - 1/3 (one of three stays ended at 1 year; the return censored at 1).
    assert group.share_in_post["1y"] == 0.6667
    # The Cox model counts each doctor once: their first stay.
    assert figures.cox_model(doctors, "region", as_of, reference).message.startswith(
        "not enough events for a Cox model: 2 doctors left"
    )


def test_retention_in_the_municipality_and_in_the_region(reference: ReferenceData) -> None:
    doctors = [
        stayed("moved", RANA, 1.0),  # moved within Helgeland: still in the region
        stayed("left", RANA, 2.0, region_stay=2.0),
        stayed("stays", VEFSN, None),
        Doctor("never", steps={"applied": T0}),  # no LIS3: not in the retention figures
    ]
    as_of = T0 + years(4)
    (municipality,) = figures.retention(doctors, "municipality", "all", as_of, reference, {})
    (region,) = figures.retention(doctors, "region", "all", as_of, reference, {})
    assert (municipality.doctors, municipality.left) == (3, 2)
    assert (region.doctors, region.left) == (3, 1)
    # Municipality: S(1) = 2/3, S(2) = 1/3; region: S(2) = 2/3.
    assert municipality.share_in_post == {"1y": 0.6667, "2y": 0.3333, "5y": None}
    assert region.share_in_post == {"1y": 1.0, "2y": 0.6667, "5y": None}
    by_place = figures.retention(doctors, "municipality", "municipality", as_of, reference, {})
    assert [(g.group, g.doctors, g.left) for g in by_place] == [("Rana", 2, 2), ("Vefsn", 1, 0)]


def test_the_national_comparison_sets_our_medians_beside_nsdms(reference: ReferenceData) -> None:
    national = load_national_figures()
    small = [stayed(f"s{i}", BINDAL, 1.0 + i) for i in range(3)]  # under 2 000 people
    middle = [stayed("m0", RANA, 3.0), stayed("m1", VEFSN, None)]  # 2 000 to 49 999
    rows = figures.national_comparison(small + middle, T0 + years(10), reference, national)
    medians = national["medians_years"]
    assert isinstance(medians, dict)
    assert [r.population_group for r in rows] == list(medians)
    found = {r.population_group: r for r in rows}
    assert found["all"].our_doctors == 5
    assert found["under 2 000"].our_doctors == 3
    assert found["under 2 000"].our_median_years == 2.0  # stays of 1, 2 and 3 years
    assert found["2 000 to 49 999"].our_doctors == 2
    assert found["50 000 or more"].our_doctors == 0
    assert found["50 000 or more"].our_median_years is None
    for row in rows:
        assert row.national_median_years == medians[row.population_group]
        assert row.source == national["source"]


def test_cycles_count_applicants_recruited_and_those_still_in_post() -> None:
    doctors = [
        stayed("a", RANA, None, round_id="r1"),
        stayed("b", RANA, 1.0, round_id="r1"),
        Doctor("c", steps={"applied": T0 - years(2)}, round_id="r1"),
        Doctor("d", steps={"applied": T0 + years(1)}, round_id="r2"),
        Doctor("e", steps={"contacted": T0}),  # no round: not in any cycle
    ]
    rounds = {
        "r1": RoundInfo("LIS1 2021", date(2021, 2, 15), date(2021, 8, 15)),
        # Applied for in the autumn before, started next year: that year's cycle.
        "r2": RoundInfo("LIS1 høst 2024", date(2023, 11, 1), date(2024, 8, 15)),
        "r3": RoundInfo("LIS1 2024 (2)", date(2024, 3, 1), None),  # no start: the deadline's
    }
    doctors.append(Doctor("f", steps={"applied": T0}, round_id="r3"))
    back = stayed("g", RANA, 0.5, round_id="r1")  # left, and came back: in post again
    back.municipality_stays.begin(T0 + years(2))
    back.returned = True
    doctors += [back, Doctor("h", steps={"applied": T0}, round_id="r1", dropout="lis1")]
    rows = figures.cycles(doctors, rounds)
    found = [
        (r.round, r.year, r.applicants, r.recruited, r.still_in_post, r.dropped_out, r.returned)
        for r in rows
    ]
    assert found == [
        ("LIS1 2021", 2021, 5, 3, 2, 1, 1),
        ("LIS1 høst 2024", 2024, 1, 0, 0, 0, 0),
        ("LIS1 2024 (2)", 2024, 1, 0, 0, 0, 0),
    ]
    assert [r.lis1_starts_on for r in rows] == [date(2021, 8, 15), date(2024, 8, 15), None]


# --- the Cox model ---------------------------------------------------------------------------


def test_too_few_events_give_a_message_and_no_numbers(reference: ReferenceData) -> None:
    doctors = [stayed(f"l{i}", RANA, 0.5 + i / 4) for i in range(9)]
    doctors += [stayed(f"s{i}", VEFSN, None) for i in range(20)]
    doctors += [stayed(f"x{i}", "9999", 1.0) for i in range(5)]  # unknown place: not counted
    model = figures.cox_model(doctors, "municipality", T0 + years(8), reference)
    assert model.available is False
    assert model.terms == []
    assert "not enough events" in model.message
    assert "9 doctors left" in model.message
    assert "at least 10" in model.message


def synthetic_cohort(reference: ReferenceData, n: int, seed: int) -> list[Doctor]:
    """Stays shorter the less central the municipality, three times longer with a local tie."""
    rng = random.Random(seed)
    places = sorted(reference.municipalities)
    median_by_class = {4: 6.0, 5: 3.0, 6: 1.5}
    doctors = []
    for i in range(n):
        place = rng.choice(places)
        local = rng.random() < 0.5
        median = median_by_class.get(reference.municipalities[place].centrality_class, 3.0)
        stay = rng.expovariate(math.log(2) / (median * (3.0 if local else 1.0)))
        preference = rng.choice(["general_practice", "undecided"])
        doctors.append(
            stayed(f"c{i}", place, stay if stay < 8 else None, local=local, preference=preference)
        )
    return doctors


def test_with_enough_events_the_cox_model_gives_hazard_ratios(reference: ReferenceData) -> None:
    doctors = synthetic_cohort(reference, 200, seed=5)
    events = sum(d.municipality_end is not None for d in doctors)
    model = figures.cox_model(doctors, "municipality", T0 + years(8), reference)
    assert model.available is True
    assert model.message == f"200 doctors, {events} left"
    terms = {t.covariate: t for t in model.terms}
    assert set(terms) == {"centrality_class", "local_connection", "prefers_general_practice"}
    for term in model.terms:
        assert 0 < term.ci_lower <= term.hazard_ratio <= term.ci_upper
        assert 0 <= term.p <= 1
    # Leaving is the event: a local tie lowers the hazard, a less central place raises it.
    assert terms["local_connection"].ci_upper < 1
    assert terms["local_connection"].p < 0.05
    assert terms["centrality_class"].ci_lower > 1


def test_a_covariate_that_never_varies_is_left_out_and_said_so(reference: ReferenceData) -> None:
    doctors = [
        stayed(d.candidate_id, d.municipality or RANA, _stay(d), local=bool(d.local_connection))
        for d in synthetic_cohort(reference, 120, seed=8)
    ]  # every one prefers general practice
    model = figures.cox_model(doctors, "municipality", T0 + years(8), reference)
    assert model.available is True
    assert model.message.endswith("; constant, left out: prefers_general_practice")
    assert {t.covariate for t in model.terms} == {"centrality_class", "local_connection"}


def _stay(d: Doctor) -> float | None:
    if d.municipality_end is None:
        return None
    return (d.municipality_end - T0).total_seconds() / 86400 / DAYS_PER_YEAR
