"""The education plan, re-certification across a whole career, and corrections. No storage.

A career starts with LIS1 on day 0 and LIS3 in Rana on day 10 (`career()` of the domain
tests); `on(day)` is something that happened `day` days after NOW.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from helgeland_pipeline.domain.career import Career, recertification_due
from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated, Stamp
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import NOW, stamp
from tests.unit.test_career_domain import assert_refused, career, leave, on


def at_day(day: date, recorded: date | None = None) -> Stamp:
    moment = datetime.combine(day, time(10, 0), tzinfo=UTC)
    later = datetime.combine(recorded, time(12, 0), tzinfo=UTC) if recorded else None
    return stamp(moment, later)


def events(doctor: Career) -> list[Any]:
    return list(doctor.collect_events())


# --- the individual education plan -------------------------------------------------------------


def test_an_education_plan_is_made_then_reviewed_in_lis3() -> None:
    doctor = career()
    assert_refused(
        doctor,
        InvariantViolated,
        "reviewed after it is made",
        lambda: doctor.review_education_plan(on(20)),
    )
    doctor.make_education_plan(on(20))
    doctor.review_education_plan(on(200))
    doctor.review_education_plan(on(380))
    assert [type(e).__name__ for e in events(doctor)] == [
        "EducationPlanMade",
        "EducationPlanReviewed",
        "EducationPlanReviewed",
    ]


def test_no_education_plan_before_lis3_or_after_leaving() -> None:
    before = career(lis3=None)
    assert_refused(
        before, InvariantViolated, "LIS3 has not started", lambda: before.make_education_plan(on(5))
    )
    gone = career()
    leave(gone, on(20))
    gone.collect_events()
    assert_refused(
        gone, InvariantViolated, "nothing follows leaving", lambda: gone.make_education_plan(on(30))
    )


# --- re-certification ---------------------------------------------------------------------------


def test_recertification_follows_approval_and_the_next_is_due_five_years_after_it() -> None:
    doctor = career()
    assert_refused(
        doctor, InvariantViolated, "follows specialist approval", lambda: doctor.recertify(on(20))
    )
    doctor.approve_specialist(at_day(date(2032, 6, 3)))
    doctor.recertify(at_day(date(2037, 5, 1), date(2037, 5, 1)))
    doctor.recertify(at_day(date(2042, 4, 20), date(2042, 4, 20)))
    approved, first, second = events(doctor)
    assert approved.recertification_due == date(2037, 6, 3)
    assert (first.recertified_on, first.recertification_due) == (date(2037, 5, 1), date(2042, 5, 1))
    assert (second.recertified_on, second.recertification_due) == (
        date(2042, 4, 20),
        date(2047, 4, 20),
    )
    assert doctor.certified_on == date(2042, 4, 20)
    assert doctor.specialist_on == date(2032, 6, 3)


def test_a_recertification_on_the_day_of_the_last_is_refused() -> None:
    doctor = career()
    doctor.approve_specialist(at_day(date(2032, 6, 3)))
    doctor.collect_events()
    assert_refused(
        doctor,
        InvariantViolated,
        r"after the last one \(2032-06-03\)",
        lambda: doctor.recertify(at_day(date(2032, 6, 3))),
    )


days_apart = st.integers(min_value=1, max_value=6 * 366)


@settings(max_examples=60, deadline=None)
@given(
    approved_on=st.dates(min_value=date(2027, 2, 1), max_value=date(2060, 12, 31)),
    gaps=st.lists(days_apart, min_size=1, max_size=6),
)
def test_each_cycle_is_due_five_years_after_the_last_certification(
    approved_on: date, gaps: list[int]
) -> None:
    """Whatever the dates, every re-certification's due date is five years after it (same
    month and day; 29 February falls on 28 February), and the career remembers the last."""
    doctor = career()
    day = approved_on
    doctor.approve_specialist(at_day(day, day))
    for gap in gaps:
        day += timedelta(days=gap)
        doctor.recertify(at_day(day, day))
    certified = events(doctor)
    assert len(certified) == len(gaps) + 1
    for event in certified:
        on_ = getattr(event, "recertified_on", None) or event.approved_on
        due = event.recertification_due
        assert due == recertification_due(on_)
        assert due.year == on_.year + 5
        assert due.month == on_.month
        assert due.day == on_.day or (on_.month, on_.day, due.day) == (2, 29, 28)
        assert (due - on_).days in {365 * 5 + 1, 365 * 5, 365 * 5 + 2}
    assert doctor.certified_on == day
    assert recertification_due(day) == certified[-1].recertification_due


# --- corrections --------------------------------------------------------------------------------


def test_a_milestone_is_corrected_by_a_new_event_naming_it() -> None:
    doctor = career()
    doctor.assign_supervisor("Feil Navn", on(20))
    doctor.correct_milestone(3, None, "  Riktig Navn ", "Skrivefeil", on(21))
    doctor.correct_milestone(2, (NOW + timedelta(days=8)).date(), None, "Startet før", on(22))
    supervisor, corrected, redated = events(doctor)
    assert type(supervisor).__name__ == "SupervisorAssigned"
    assert (corrected.milestone, corrected.kind, corrected.value, corrected.happened_on) == (
        3,
        "SupervisorAssigned",
        "Riktig Navn",
        None,
    )
    assert (redated.milestone, redated.kind, redated.value) == (2, "Lis3Started", None)
    assert corrected.recertification_due is None
    # A correction is not a milestone of its own: it cannot be corrected, nor moves the order.
    assert sorted(doctor.milestones) == [1, 2, 3]
    assert doctor.last_milestone == on(20).occurred_at


@pytest.mark.parametrize(
    ("number", "happened_on", "value", "reason", "match"),
    [
        (9, date(2027, 1, 20), None, "x", "no milestone 9"),
        (2, None, None, "x", "a date or a value"),
        (2, None, "Rana", "x", "only its date"),
        (3, None, "   ", "x", "not blank"),
        (3, date(2027, 1, 20), None, "  ", "gives its reason"),
        (3, date(2027, 1, 20), None, "x" * 1001, "at most 1000"),
        (3, date(2028, 1, 1), None, "x", "cannot happen after today"),
    ],
)
def test_a_correction_that_makes_no_sense_is_refused(
    number: int, happened_on: date | None, value: str | None, reason: str, match: str
) -> None:
    doctor = career()
    doctor.assign_supervisor("Navn", on(20))
    doctor.collect_events()
    assert_refused(
        doctor,
        InvalidInput,
        match,
        lambda: doctor.correct_milestone(number, happened_on, value, reason, on(21)),
    )


def test_redating_the_last_certification_moves_the_next_due_date() -> None:
    doctor = career()
    doctor.approve_specialist(at_day(date(2032, 6, 3)))
    doctor.recertify(at_day(date(2037, 5, 1), date(2037, 5, 1)))
    doctor.collect_events()
    today = date(2037, 5, 2)
    doctor.correct_milestone(3, date(2032, 5, 3), None, "Feil dato", at_day(today, today))
    doctor.correct_milestone(4, date(2037, 4, 1), None, "Feil dato", at_day(today, today))
    approval, recertification = events(doctor)
    assert approval.recertification_due is None  # not the last certification any more
    assert recertification.recertification_due == date(2042, 4, 1)
    assert doctor.certified_on == date(2037, 4, 1)
    assert doctor.specialist_on == date(2032, 5, 3)
