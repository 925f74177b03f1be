"""Retention milestones: the rules of a recruited doctor's `Career`. No storage.

A career starts with LIS1 (its hospital part) on day 0 and, in most tests, LIS3 in Rana on
day 10. `on(day)` is something that happened (and was recorded) `day` days after NOW.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from eventsourcing.domain import Aggregate
from helgeland_pipeline.domain.career import (
    RECERTIFICATION_YEARS,
    Career,
    Destination,
    DropoutPhase,
    LeavingReason,
    Lis1Part,
    career_id,
    recertification_due,
)
from helgeland_pipeline.domain.common import (
    DomainError,
    InvalidInput,
    InvariantViolated,
    Stamp,
)

from tests.factories import NOW, RANA, VEFSN, stamp

OTHER = "1813"  # Brønnøy
Action = Callable[[Career, Stamp], None]


def on(day: float) -> Stamp:
    return stamp(NOW + timedelta(days=day))


def career(lis3: str | None = RANA) -> Career:
    """LIS1 started on day 0; LIS3 started in `lis3` on day 10 unless `lis3` is None."""
    doctor = Career(str(uuid.uuid4()), "rana", on(0))
    if lis3 is not None:
        doctor.start_lis3(lis3, on(10))
    doctor.collect_events()
    return doctor


def assert_refused(
    aggregate: Aggregate, error: type[DomainError], match: str, command: Callable[[], object]
) -> None:
    """The command raises `error` and leaves the aggregate as it was, with nothing to save."""
    version = aggregate.version
    state = deepcopy(vars(aggregate))
    with pytest.raises(error, match=match):
        command()
    assert aggregate.collect_events() == []
    assert aggregate.version == version
    assert vars(aggregate) == state


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


def leave(doctor: Career, at: Stamp) -> None:
    doctor.leave(LeavingReason.FAMILY, "", Destination.ELSEWHERE_IN_NORWAY, at)


# Every milestone a doctor in LIS3 may reach (from a state where it is otherwise allowed).
LIS3_MILESTONES: dict[str, Action] = {
    "lis1_part_started": lambda c, s: c.start_lis1_part(Lis1Part.MUNICIPAL, s),
    "lis1_part_completed": lambda c, s: c.complete_lis1_part(Lis1Part.HOSPITAL, s),
    "supervisor_assigned": lambda c, s: c.assign_supervisor("Fastlege Veileder", s),
    "supervision_group_joined": lambda c, s: c.join_supervision_group("ALIS Helgeland", s),
    "institution_service_completed": Career.complete_institution_service,
    "specialist_approved": Career.approve_specialist,
    "leave_started": Career.start_leave,
    "moved_within_helgeland": lambda c, s: c.move_within_helgeland(VEFSN, s),
    "left": leave,
}
NEEDS_LIS3 = [
    "supervisor_assigned",
    "supervision_group_joined",
    "institution_service_completed",
    "specialist_approved",
    "leave_started",
    "moved_within_helgeland",
    "left",
]


# --- starting ----------------------------------------------------------------------------------


def test_a_career_starts_with_lis1_and_its_id_follows_from_the_candidate() -> None:
    candidate_id = str(uuid.uuid4())
    doctor = Career(candidate_id, "rana", on(0))
    again = Career(candidate_id, "mosjoen", on(1))
    assert doctor.id == again.id == career_id(uuid.UUID(candidate_id))
    assert Career(str(uuid.uuid4()), "rana", on(0)).id != doctor.id
    assert doctor.candidate_id == candidate_id
    assert doctor.lis1_parts_started == {"hospital"}
    assert doctor.lis1_parts_completed == set()
    assert (doctor.municipality, doctor.on_leave, doctor.left, doctor.specialist_on) == (
        None,
        False,
        False,
        None,
    )
    events = doctor.collect_events()
    assert [type(e).__name__ for e in events] == ["Lis1Started"]
    assert events[0].unit == "rana"  # type: ignore[attr-defined]


def test_the_whole_path_is_recorded_event_by_event_with_both_times() -> None:
    doctor = career(lis3=None)
    doctor.complete_lis1_part(Lis1Part.HOSPITAL, on(365))
    doctor.start_lis1_part(Lis1Part.MUNICIPAL, on(366))
    doctor.complete_lis1_part(Lis1Part.MUNICIPAL, on(548))
    doctor.start_lis3(RANA, on(549))
    doctor.assign_supervisor("  Fastlege Veileder  ", on(550))
    doctor.assign_supervisor("Ny Veileder", on(600))  # changed
    doctor.join_supervision_group("ALIS Helgeland", on(601))
    doctor.complete_institution_service(on(900))
    doctor.approve_specialist(on(2400))
    doctor.start_leave(on(2500))
    doctor.return_from_leave(on(2600))
    doctor.move_within_helgeland(VEFSN, on(2700))
    doctor.leave(LeavingReason.WORKLOAD, "For mye vakt", Destination.ABROAD, on(2800))
    back = Stamp(on(2900).actor, NOW + timedelta(days=2900), NOW + timedelta(days=2950))
    doctor.return_to(OTHER, back)
    events = doctor.collect_events()
    assert [type(e).__name__ for e in events] == [
        "Lis1PartCompleted",
        "Lis1PartStarted",
        "Lis1PartCompleted",
        "Lis3Started",
        "SupervisorAssigned",
        "SupervisorAssigned",
        "SupervisionGroupJoined",
        "InstitutionServiceCompleted",
        "SpecialistApproved",
        "LeaveStarted",
        "ReturnedFromLeave",
        "MovedWithinHelgeland",
        "Left",
        "Returned",
    ]
    by_name: dict[str, Any] = {type(e).__name__: e for e in events}
    assert [e.part for e in events if type(e).__name__.startswith("Lis1Part")] == [  # type: ignore[attr-defined]
        "hospital",
        "municipal",
        "municipal",
    ]
    assert by_name["Lis3Started"].municipality == RANA
    assert events[4].supervisor == "Fastlege Veileder"  # type: ignore[attr-defined]
    assert by_name["MovedWithinHelgeland"].from_municipality == RANA
    assert by_name["MovedWithinHelgeland"].to_municipality == VEFSN
    left = by_name["Left"]
    assert (left.municipality, left.reason, left.note, left.destination) == (
        VEFSN,
        "workload",
        "For mye vakt",
        "abroad",
    )
    returned = by_name["Returned"]
    assert returned.municipality == OTHER
    assert returned.stamp.occurred_at == NOW + timedelta(days=2900)
    assert returned.stamp.recorded_at == NOW + timedelta(days=2950)
    assert doctor.lis1_parts_completed == {"hospital", "municipal"}
    assert (doctor.municipality, doctor.left, doctor.on_leave) == (OTHER, False, False)


# --- dates in order ----------------------------------------------------------------------------


def _after_supervisor(doctor: Career) -> None:
    doctor.assign_supervisor("Fastlege Veileder", on(20))


ORDER_CASES: dict[str, tuple[Callable[[Career], None], Action, str | None]] = {
    **{name: (_after_supervisor, action, RANA) for name, action in LIS3_MILESTONES.items()},
    "lis3_started": (
        lambda c: c.complete_lis1_part(Lis1Part.HOSPITAL, on(20)),
        lambda c, s: c.start_lis3(RANA, s),
        None,
    ),
    "returned_from_leave": (
        lambda c: c.start_leave(on(20)),
        Career.return_from_leave,
        RANA,
    ),
    "returned": (lambda c: leave(c, on(20)), lambda c, s: c.return_to(RANA, s), RANA),
}


@pytest.mark.parametrize("name", sorted(ORDER_CASES))
def test_a_milestone_dated_before_the_last_one_is_refused(name: str) -> None:
    setup, action, lis3 = ORDER_CASES[name]
    doctor = career(lis3)
    setup(doctor)
    doctor.collect_events()
    assert_refused(
        doctor, InvariantViolated, "in order", lambda: action(doctor, on(20 - 1 / 24 / 60))
    )
    # Entered late is fine, as long as it happened at or after the last milestone.
    late = Stamp(on(20).actor, NOW + timedelta(days=20), NOW + timedelta(days=40))
    action(doctor, late)
    assert len(doctor.collect_events()) == 1


def test_the_order_is_that_of_the_world_not_of_the_zone_a_time_was_given_in() -> None:
    doctor = career()
    doctor.assign_supervisor("Fastlege Veileder", on(20))
    same_moment = (NOW + timedelta(days=20)).astimezone(timezone(timedelta(hours=9)))
    doctor.join_supervision_group("ALIS Helgeland", stamp(same_moment))
    assert event_names(doctor) == ["SupervisorAssigned", "SupervisionGroupJoined"]
    assert_refused(
        doctor,
        InvariantViolated,
        "in order",
        lambda: doctor.complete_institution_service(stamp(same_moment - timedelta(seconds=1))),
    )


def test_back_dating_is_allowed_but_an_event_cannot_lie_in_the_future() -> None:
    doctor = career()
    with pytest.raises(InvalidInput, match="future"):
        Stamp(on(0).actor, NOW + timedelta(days=30), NOW + timedelta(days=29))
    entered_late = stamp(NOW + timedelta(days=11), NOW + timedelta(days=40))
    doctor.assign_supervisor("Fastlege Veileder", entered_late)
    events: list[Any] = list(doctor.collect_events())
    assert [type(e).__name__ for e in events] == ["SupervisorAssigned"]
    assert events[0].stamp.occurred_at == NOW + timedelta(days=11)
    assert events[0].stamp.recorded_at == NOW + timedelta(days=40)


# --- nothing after leaving except a return ------------------------------------------------------

AFTER_LEAVING: dict[str, Action] = {
    **LIS3_MILESTONES,
    "lis3_started": lambda c, s: c.start_lis3(OTHER, s),
    "returned_from_leave": Career.return_from_leave,
    "left_again": leave,
}


@pytest.mark.parametrize("name", sorted(AFTER_LEAVING))
def test_nothing_follows_leaving_except_a_return(name: str) -> None:
    doctor = career()
    doctor.start_leave(on(15))
    leave(doctor, on(20))
    doctor.collect_events()
    assert (doctor.left, doctor.on_leave) == (True, False)
    assert_refused(
        doctor,
        InvariantViolated,
        "nothing follows leaving except a return",
        lambda: AFTER_LEAVING[name](doctor, on(30)),
    )


def test_after_a_return_the_career_goes_on_and_may_end_again() -> None:
    doctor = career()
    leave(doctor, on(20))
    doctor.return_to(OTHER, on(400))
    assert (doctor.left, doctor.municipality) == (False, OTHER)
    doctor.assign_supervisor("Fastlege i Brønnøy", on(401))
    doctor.move_within_helgeland(RANA, on(500))
    leave(doctor, on(600))
    doctor.return_to(VEFSN, on(700))
    assert event_names(doctor) == [
        "Left",
        "Returned",
        "SupervisorAssigned",
        "MovedWithinHelgeland",
        "Left",
        "Returned",
    ]


def test_only_a_doctor_who_left_can_return() -> None:
    doctor = career()
    assert_refused(
        doctor, InvariantViolated, "only a doctor who left", lambda: doctor.return_to(RANA, on(20))
    )
    doctor.start_leave(on(20))
    doctor.collect_events()
    assert_refused(  # on leave is not gone
        doctor, InvariantViolated, "only a doctor who left", lambda: doctor.return_to(RANA, on(30))
    )


# --- LIS3 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("municipality", [RANA, VEFSN])
def test_lis3_starts_only_once(municipality: str) -> None:
    doctor = career()
    assert_refused(
        doctor,
        InvariantViolated,
        "LIS3 has already started",
        lambda: doctor.start_lis3(municipality, on(20)),
    )


def test_lis3_does_not_start_again_after_a_move_or_a_return() -> None:
    doctor = career()
    doctor.move_within_helgeland(VEFSN, on(20))
    doctor.collect_events()
    assert_refused(
        doctor, InvariantViolated, "already started", lambda: doctor.start_lis3(OTHER, on(30))
    )
    leave(doctor, on(40))
    doctor.return_to(OTHER, on(50))
    doctor.collect_events()
    assert_refused(
        doctor, InvariantViolated, "already started", lambda: doctor.start_lis3(OTHER, on(60))
    )


@pytest.mark.parametrize("name", NEEDS_LIS3)
def test_lis3_milestones_need_lis3_to_have_started(name: str) -> None:
    doctor = career(lis3=None)
    assert_refused(
        doctor,
        InvariantViolated,
        "LIS3 has not started",
        lambda: LIS3_MILESTONES[name](doctor, on(20)),
    )


def test_lis1_milestones_come_before_lis3() -> None:
    doctor = career(lis3=None)
    doctor.complete_lis1_part(Lis1Part.HOSPITAL, on(365))
    doctor.start_lis1_part(Lis1Part.MUNICIPAL, on(366))
    doctor.complete_lis1_part(Lis1Part.MUNICIPAL, on(548))
    assert event_names(doctor) == ["Lis1PartCompleted", "Lis1PartStarted", "Lis1PartCompleted"]


# --- LIS1 parts ---------------------------------------------------------------------------------


def test_each_lis1_part_starts_once_and_completes_once_after_it_started() -> None:
    doctor = career(lis3=None)
    assert_refused(
        doctor,
        InvariantViolated,
        "hospital part has already started",
        lambda: doctor.start_lis1_part(Lis1Part.HOSPITAL, on(1)),
    )
    assert_refused(
        doctor,
        InvariantViolated,
        "municipal part has not started",
        lambda: doctor.complete_lis1_part(Lis1Part.MUNICIPAL, on(1)),
    )
    doctor.complete_lis1_part(Lis1Part.HOSPITAL, on(365))
    doctor.start_lis1_part(Lis1Part.MUNICIPAL, on(366))
    doctor.collect_events()
    assert_refused(
        doctor,
        InvariantViolated,
        "hospital part is already completed",
        lambda: doctor.complete_lis1_part(Lis1Part.HOSPITAL, on(367)),
    )
    assert_refused(
        doctor,
        InvariantViolated,
        "municipal part has already started",
        lambda: doctor.start_lis1_part(Lis1Part.MUNICIPAL, on(367)),
    )


# --- specialist and re-certification -------------------------------------------------------------


def test_a_specialist_is_approved_once_with_recertification_in_five_years() -> None:
    doctor = career()
    doctor.approve_specialist(stamp(datetime(2032, 6, 3, 10, 0, tzinfo=UTC)))
    events = doctor.collect_events()
    assert [type(e).__name__ for e in events] == ["SpecialistApproved"]
    approved: Any = events[0]
    assert approved.approved_on == date(2032, 6, 3)
    assert approved.recertification_due == date(2037, 6, 3)
    assert doctor.specialist_on == date(2032, 6, 3)
    assert_refused(
        doctor,
        InvariantViolated,
        "already approved as specialist",
        lambda: doctor.approve_specialist(stamp(datetime(2033, 1, 1, tzinfo=UTC))),
    )


def test_the_approval_day_is_the_norwegian_calendar_day() -> None:
    doctor = career()
    # 23:30 UTC on 28 February 2032 is already 29 February (a leap day) in Norway.
    doctor.approve_specialist(stamp(datetime(2032, 2, 28, 23, 30, tzinfo=UTC)))
    approved: Any = doctor.collect_events()[0]
    assert approved.approved_on == date(2032, 2, 29)
    assert approved.recertification_due == date(2037, 2, 28)


@pytest.mark.parametrize(
    ("approved_on", "due"),
    [
        (date(2027, 3, 15), date(2032, 3, 15)),
        (date(2027, 12, 31), date(2032, 12, 31)),
        (date(2028, 1, 1), date(2033, 1, 1)),
        (date(2028, 2, 28), date(2033, 2, 28)),
        # 29 February: five years on there is no 29 February, so the last day of February.
        (date(2028, 2, 29), date(2033, 2, 28)),
        (date(2028, 3, 1), date(2033, 3, 1)),
        # A leap year five years on: 28 February stays 28 February.
        (date(2023, 2, 28), date(2028, 2, 28)),
    ],
)
def test_recertification_is_due_five_years_after_approval(approved_on: date, due: date) -> None:
    assert RECERTIFICATION_YEARS == 5
    assert recertification_due(approved_on) == due


# --- leave and return from leave -----------------------------------------------------------------


def test_leave_and_return_from_leave_come_in_pairs() -> None:
    doctor = career()
    assert_refused(
        doctor, InvariantViolated, "not on leave", lambda: doctor.return_from_leave(on(11))
    )
    doctor.start_leave(on(20))
    assert doctor.on_leave
    doctor.collect_events()
    assert_refused(
        doctor, InvariantViolated, "already on leave", lambda: doctor.start_leave(on(21))
    )
    doctor.return_from_leave(on(120))
    assert not doctor.on_leave
    doctor.collect_events()
    assert_refused(
        doctor, InvariantViolated, "not on leave", lambda: doctor.return_from_leave(on(121))
    )
    doctor.start_leave(on(200))
    doctor.return_from_leave(on(300))
    assert event_names(doctor) == ["LeaveStarted", "ReturnedFromLeave"]


def test_leaving_while_on_leave_ends_the_leave() -> None:
    doctor = career()
    doctor.start_leave(on(20))
    leave(doctor, on(30))
    doctor.return_to(RANA, on(40))
    assert (doctor.on_leave, doctor.left) == (False, False)
    doctor.collect_events()
    assert_refused(
        doctor, InvariantViolated, "not on leave", lambda: doctor.return_from_leave(on(50))
    )


# --- moving and leaving --------------------------------------------------------------------------


def test_moving_to_the_same_municipality_is_refused() -> None:
    doctor = career()
    assert_refused(
        doctor,
        InvalidInput,
        "same municipality",
        lambda: doctor.move_within_helgeland(RANA, on(20)),
    )
    doctor.move_within_helgeland(VEFSN, on(20))
    assert doctor.municipality == VEFSN
    doctor.collect_events()
    assert_refused(
        doctor,
        InvalidInput,
        "same municipality",
        lambda: doctor.move_within_helgeland(VEFSN, on(30)),
    )
    doctor.move_within_helgeland(RANA, on(30))  # and back again
    assert doctor.municipality == RANA


def test_leaving_keeps_the_municipality_the_coded_reason_the_note_and_where_to() -> None:
    doctor = career()
    doctor.move_within_helgeland(VEFSN, on(20))
    doctor.collect_events()
    note = "x" * 1000
    doctor.leave(LeavingReason.OTHER_SPECIALTY, note, Destination.HOSPITAL, on(30))
    left: Any = doctor.collect_events()[0]
    assert (left.municipality, left.reason, left.destination) == (
        VEFSN,
        "other_specialty",
        "hospital",
    )
    assert left.note == note


def test_a_leaving_note_is_at_most_1000_characters() -> None:
    doctor = career()
    assert_refused(
        doctor,
        InvalidInput,
        "1000 characters",
        lambda: doctor.leave(LeavingReason.OTHER, "x" * 1001, Destination.ABROAD, on(20)),
    )


@pytest.mark.parametrize("name", ["", "   "])
def test_a_supervisor_and_a_supervision_group_are_named(name: str) -> None:
    doctor = career()
    assert_refused(
        doctor, InvalidInput, "supervisor is named", lambda: doctor.assign_supervisor(name, on(20))
    )
    assert_refused(
        doctor,
        InvalidInput,
        "supervision group is named",
        lambda: doctor.join_supervision_group(name, on(20)),
    )


def test_a_doctor_may_drop_out_during_lis1_with_a_reason_and_nothing_follows() -> None:
    doctor = career(lis3=None)
    phase = doctor.drop_out(LeavingReason.OTHER_SPECIALTY, "Valgte kirurgi", on(90))
    assert phase == DropoutPhase.LIS1
    (event,) = doctor.collect_events()
    assert type(event).__name__ == "DroppedOut"
    assert (event.phase, event.reason, event.note) == ("lis1", "other_specialty", "Valgte kirurgi")  # type: ignore[attr-defined]
    for action in (
        lambda: doctor.complete_lis1_part(Lis1Part.HOSPITAL, on(100)),
        lambda: doctor.start_lis3(RANA, on(100)),
        lambda: doctor.drop_out(LeavingReason.OTHER, "", on(100)),
    ):
        assert_refused(doctor, InvariantViolated, "nothing follows dropping out", action)
    assert_refused(
        doctor, InvariantViolated, "no post to return to", lambda: doctor.return_to(RANA, on(200))
    )


def test_a_doctor_who_completed_lis1_drops_out_before_lis3() -> None:
    doctor = career(lis3=None)
    doctor.complete_lis1_part(Lis1Part.HOSPITAL, on(365))
    doctor.start_lis1_part(Lis1Part.MUNICIPAL, on(366))
    doctor.complete_lis1_part(Lis1Part.MUNICIPAL, on(548))
    assert doctor.drop_out(LeavingReason.FAMILY, "", on(560)) == DropoutPhase.BEFORE_LIS3


def test_after_lis3_starts_a_doctor_leaves_rather_than_drops_out() -> None:
    doctor = career()
    assert_refused(
        doctor,
        InvariantViolated,
        "record that the doctor left",
        lambda: doctor.drop_out(LeavingReason.FAMILY, "", on(20)),
    )


def test_a_dropout_note_is_at_most_1000_characters() -> None:
    doctor = career(lis3=None)
    assert_refused(
        doctor,
        InvalidInput,
        "1000 characters",
        lambda: doctor.drop_out(LeavingReason.OTHER, "x" * 1001, on(20)),
    )


def test_lis3_cannot_start_before_lis1_ends_and_both_days_are_named() -> None:
    doctor = career(lis3=None)
    ends = on(20).day
    assert_refused(
        doctor,
        InvalidInput,
        f"LIS3 starts after LIS1 ends on {ends.isoformat()}, not on {on(20).day.isoformat()}",
        lambda: doctor.start_lis3(RANA, on(20), lis1_ends_on=ends),
    )
    doctor.start_lis3(RANA, on(21), lis1_ends_on=ends)
    assert doctor.municipality == RANA
