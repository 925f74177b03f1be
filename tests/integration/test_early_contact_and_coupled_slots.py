"""Early contact and coupled slots through the application and the read models, once on SQLite,
once on PostgreSQL: the hospital's view of a student's contacts, the forum's view of placement
capacity and of students (with consent only), and each coupled slot's outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import CareerPreference, ConsentPurpose, ContactKind
from helgeland_pipeline.domain.common import InvariantViolated, programme_day
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus
from helgeland_pipeline.readside.forum.queries import ForumQueries, Viewer
from helgeland_pipeline.readside.hospital.queries import HospitalQueries
from helgeland_pipeline.settings import Settings

from tests.factories import (
    FORUM,
    INTERVIEW_NOTES,
    RANA,
    RECRUITER,
    VEFSN,
    Clock,
    forum_list,
    lis3_terms,
    municipal,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@dataclass
class Reads:
    forum: ForumQueries
    hospital: HospitalQueries


@pytest.fixture
async def reads(services: Services) -> AsyncIterator[Reads]:
    engine = services.database.async_engine()
    names = {n: m.name for n, m in services.app.reference.municipalities.items()}
    yield Reads(ForumQueries(engine, names), HospitalQueries(engine))
    await engine.dispose()


async def test_a_student_met_by_a_municipality_is_seen_by_the_forum_only_with_consent(
    services: Services, reads: Reads, clock: Clock
) -> None:
    app = services.app
    cid = app.register_student(municipal(RANA), ContactKind.PLACEMENT).id
    clock.advance(hours=1)
    app.record_student_contact(FORUM, cid, ContactKind.SUMMER_JOB, VEFSN)
    services.catch_up()

    seen = await reads.hospital.candidate(cid)
    assert seen is not None
    assert seen.name is None  # the contact came before the contact details
    assert seen.contacts == 2
    assert [(c.kind, c.municipality, c.recorded_by) for c in seen.early_contacts] == [
        ("placement", RANA, municipal(RANA).organisation),
        ("summer_job", VEFSN, FORUM.organisation),
    ]
    assert await reads.forum.students() == []  # no consent: nothing of them

    app.record_contact_details(municipal(RANA), cid, "Student Studentsen", "stud@example.no")
    clock.advance(hours=1)
    app.give_consent(FORUM, cid, ConsentPurpose.FORUM_SHARING, 1)
    services.catch_up()
    [student] = await reads.forum.students()
    assert (student.candidate_id, student.name, student.email) == (
        cid,
        "Student Studentsen",
        "stud@example.no",
    )
    assert [c.kind for c in student.contacts] == ["placement", "summer_job"]
    assert student.applied is False

    app.withdraw_consent(FORUM, cid)
    services.catch_up()
    assert await reads.forum.students() == []


async def test_placement_capacity_is_recorded_by_the_municipality_or_the_forum(
    services: Services, reads: Reads, clock: Clock
) -> None:
    app = services.app
    app.record_placement_capacity(municipal(RANA), RANA, 2027, 3)
    clock.advance(hours=1)
    app.record_placement_capacity(municipal(RANA), RANA, 2027, 2)  # corrected
    app.record_placement_capacity(FORUM, VEFSN, 2027, 1)
    app.record_placement_capacity(FORUM, VEFSN, 2026, 4)
    services.catch_up()

    found = await reads.forum.placement_capacity()
    assert [(p.year, p.municipality, p.name, p.students) for p in found] == [
        (2026, VEFSN, "Vefsn", 4),
        (2027, VEFSN, "Vefsn", 1),
        (2027, RANA, "Rana", 2),
    ]
    assert (found[1].recorded_by, found[2].recorded_by) == (
        FORUM.organisation,
        municipal(RANA).organisation,
    )
    board = await reads.forum.board(Viewer(None), programme_day(clock.now))
    places = {m.municipality: m.placement_students for m in board.municipalities}
    assert (places[RANA], places[VEFSN], places["1835"]) == (2, 1, None)


async def test_each_coupled_slot_shows_whether_it_ended_in_a_lis3_start_and_where(
    services: Services, reads: Reads, clock: Clock
) -> None:
    app = services.app
    now = clock.now
    rid = app.open_round(
        RECRUITER,
        "LIS1 koblet",
        {"rana": 4},
        2,
        (now + timedelta(days=30)).date(),
        None,
        (now + timedelta(days=60)).date(),
    ).id
    students = []
    for preference in (CareerPreference.GENERAL_PRACTICE, CareerPreference.UNDECIDED):
        cid = app.register_student(municipal(RANA), ContactKind.PLACEMENT).id
        app.record_contact_details(municipal(RANA), cid, "Lege Koblet", "koblet@example.no")
        app.submit_lis1_application(RECRUITER, cid, rid, preference, [], True)
        app.record_lis1_interview(RECRUITER, cid, "Overlege Test", 5, INTERVIEW_NOTES)
        students.append(cid)
    gp, undecided = students
    app.advance_round(RECRUITER, rid, RoundStatus.OFFERING)
    answer_by = (now + timedelta(days=10)).date()
    with pytest.raises(InvariantViolated, match="undecided"):
        app.offer_lis1(RECRUITER, undecided, "rana", True, answer_by)
    app.offer_lis1(RECRUITER, undecided, "rana", False, answer_by)
    app.offer_lis1(RECRUITER, gp, "rana", True, answer_by)
    for cid in students:
        app.accept_lis1_offer(RECRUITER, cid)
    app.finalise_round_list(RECRUITER, rid)
    app.send_list_to_forum(RECRUITER, rid)
    lis1_ends = now.date() + timedelta(days=60 + 18 * 31)
    expires = (now + timedelta(days=30)).date()
    _, vefsn_offer = app.offer_lis3(municipal(VEFSN), gp, VEFSN, lis1_ends, lis3_terms(), expires)
    _, rana_offer = app.offer_lis3(
        municipal(RANA), gp, RANA, lis1_ends, lis3_terms(), expires, None, 1
    )
    app.accept_lis3_offer(municipal(RANA), gp, rana_offer)
    app.start_lis1(RECRUITER, gp)
    clock.advance(days=(lis1_ends - now.date()).days, hours=2)  # LIS3 starts after LIS1 ends
    app.start_lis3(municipal(RANA), gp)
    services.catch_up()

    found = await reads.hospital.round(rid)
    assert found is not None
    slots = [
        (s.slot, s.candidate_id, s.lis1_state, s.lis3_offers, s.lis3_accepted_by, s.lis3_started_in)
        for s in found.coupled_slots
    ]
    assert slots == [(1, gp, "accepted", 2, RANA, RANA), (2, None, "free", 0, None, None)]
    assert found.coupled_slots[0].lis3_started_at == clock.now

    [shared] = await reads.forum.shared_candidates(Viewer(None))  # general practice only
    assert (shared.candidate_id, shared.coupled_slot) == (gp, 1)
    offers = {o.offer_id: o.coupled_slot for o in await reads.forum.offers(Viewer(None), now)}
    assert offers == {UUID(vefsn_offer): 1, UUID(rana_offer): 1}
    [student] = [s for s in await reads.forum.students() if s.candidate_id == gp]
    assert student.applied is True  # the same candidate id from placement to LIS1


async def test_the_programme_may_widen_the_forum_list_to_the_undecided(
    settings: Settings, clock: Clock
) -> None:
    widened = build_services(
        settings.model_copy(update={"forum_includes_undecided": True}), clock=clock
    )
    try:
        fl = forum_list(widened.app, shared=1)
        lis1_round: object = widened.app.repository.get(fl.round_id)
        assert isinstance(lis1_round, Lis1Round)
        assert lis1_round.forum_list == sorted(str(c) for c in (*fl.shared, fl.undecided))
    finally:
        widened.close()
