"""Step 1 in the domain: contacts before contact details, who names the municipality, who
keeps a student's details, and the municipalities' placement capacity."""

from __future__ import annotations

import pytest
from helgeland_pipeline import policy
from helgeland_pipeline.domain.candidates import Candidate, ContactKind
from helgeland_pipeline.domain.common import InvalidInput
from helgeland_pipeline.domain.forum import NotYours
from helgeland_pipeline.domain.placements import PlacementCapacity, placement_capacity_id

from tests.factories import FORUM, RANA, RECRUITER, VEFSN, municipal, stamp


def test_a_contact_may_come_before_any_contact_details() -> None:
    student = Candidate(stamp())
    student.record_student_contact(ContactKind.PLACEMENT, RANA, stamp())
    student.record_student_contact(ContactKind.STUDENT_PROJECT, None, stamp())
    assert student.has_contact_details is False
    assert student.contacts == ["placement", "student_project"]
    assert student.contact_municipalities == {RANA}
    student.record_contact_details("Siri Student", "siri@example.no", None, stamp())
    assert student.has_contact_details is True


@pytest.mark.parametrize("kind", [ContactKind.PLACEMENT, ContactKind.SUMMER_JOB])
def test_a_placement_or_summer_job_names_its_municipality(kind: ContactKind) -> None:
    student = Candidate(stamp())
    with pytest.raises(InvalidInput, match="names its municipality"):
        student.record_student_contact(kind, None, stamp())


def test_a_municipality_records_its_own_contacts_and_the_forum_names_one() -> None:
    assert policy.contact_municipality(municipal(RANA), None) == RANA
    assert policy.contact_municipality(municipal(RANA), RANA) == RANA
    with pytest.raises(NotYours):
        policy.contact_municipality(municipal(RANA), VEFSN)
    assert policy.contact_municipality(FORUM, VEFSN) == VEFSN
    with pytest.raises(NotYours):
        policy.contact_municipality(FORUM, None)
    assert policy.contact_municipality(RECRUITER, None) is None


def test_only_those_who_met_a_student_keep_their_details() -> None:
    policy.check_keeps_student(RECRUITER, set())
    policy.check_keeps_student(municipal(RANA), {RANA, VEFSN})
    policy.check_keeps_student(FORUM, {VEFSN})
    with pytest.raises(NotYours):
        policy.check_keeps_student(municipal(RANA), {VEFSN})
    with pytest.raises(NotYours):
        policy.check_keeps_student(FORUM, set())  # a hospital applicant met by no municipality


def test_placement_capacity_is_kept_per_year_and_a_later_figure_replaces_an_earlier() -> None:
    capacity = PlacementCapacity(RANA, stamp())
    assert capacity.id == placement_capacity_id(RANA)
    capacity.record(2027, 3, stamp())
    capacity.record(2027, 2, stamp())
    capacity.record(2028, 0, stamp())
    assert capacity.students_by_year == {2027: 2, 2028: 0}
    names = [type(e).__name__ for e in capacity.collect_events()]
    assert names == ["Registered", *["CapacityRecorded"] * 3]


@pytest.mark.parametrize(("year", "students"), [(1999, 2), (2101, 2), (2027, -1), (2027, 101)])
def test_placement_capacity_out_of_range_is_refused(year: int, students: int) -> None:
    capacity = PlacementCapacity(RANA, stamp())
    with pytest.raises(InvalidInput, match=str(year) if year != 2027 else str(students)):
        capacity.record(year, students, stamp())
