"""Each municipality follows its own doctors: the municipal read model, on SQLite and PostgreSQL.

Commands go through `PipelineApplication`; the projections are caught up by hand and read with
the async queries the API uses, as Rana, Vefsn, the forum and the hospital.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest
from helgeland_contracts.career_v1 import DoctorOut
from helgeland_contracts.personal import ERASED
from helgeland_pipeline.app_career import Correction, left, lis1_part_completed
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.career import (
    Career,
    Destination,
    LeavingReason,
    Lis1Part,
    career_id,
)
from helgeland_pipeline.domain.common import InvalidInput, programme_day
from helgeland_pipeline.domain.forum import NotYours
from helgeland_pipeline.readside.municipal import tables
from helgeland_pipeline.readside.municipal.queries import DoctorViewer, MunicipalQueries
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import FORUM, RANA, RECRUITER, VEFSN, Clock, forum_list, lis3_terms, municipal

BINDAL = "1811"
AS_RANA, AS_VEFSN, AS_BINDAL = DoctorViewer(RANA), DoctorViewer(VEFSN), DoctorViewer(BINDAL)
AS_FORUM, AS_HOSPITAL = DoctorViewer(), DoctorViewer(lis1_only=True)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(settings: Settings, clock: Clock) -> Iterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    built.close()


@pytest.fixture
async def reads(services: Services) -> AsyncIterator[MunicipalQueries]:
    engine = services.database.async_engine()
    yield MunicipalQueries(engine)
    await engine.dispose()


def recruited(services: Services, clock: Clock, lis3: bool = True) -> UUID:
    """A doctor recruited by Rana (coupled LIS3 accepted), LIS1 started, and LIS3 started in
    Rana 640 days later (after LIS1 ends) unless `lis3` is false."""
    app = services.app
    fl = forum_list(app, shared=1)
    [cid] = fl.shared
    _, offer_id = app.offer_lis3(
        municipal(RANA),
        cid,
        RANA,
        fl.lis3_start,
        lis3_terms(),
        (clock.now + timedelta(days=30)).date(),
    )
    app.accept_lis3_offer(FORUM, cid, offer_id)
    app.start_lis1(RECRUITER, cid)
    if lis3:
        clock.advance(days=640)
        app.start_lis3(municipal(RANA), cid)
    return cid


async def one(reads: MunicipalQueries, viewer: DoctorViewer, cid: UUID) -> DoctorOut:
    found = await reads.doctor(viewer, cid)
    assert found is not None
    return found


async def test_the_recruiting_municipality_follows_its_doctor_from_recruitment(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock, lis3=False)
    services.catch_up()
    [doctor] = await reads.doctors(AS_RANA)
    assert (doctor.candidate_id, doctor.status, doctor.lis1_unit) == (cid, "recruited", "rana")
    assert (doctor.name or "").startswith("Lege 0")
    assert await reads.doctors(AS_VEFSN) == []
    assert await reads.doctor(AS_VEFSN, cid) is None

    clock.advance(days=640)
    lis3_day = programme_day(clock.now)
    services.app.start_lis3(municipal(RANA), cid)
    app = services.app
    for milestone in (
        lambda c, s: c.assign_supervisor("Fastlege Veileder", s),
        lambda c, s: c.join_supervision_group("ALIS Helgeland", s),
        Career.make_education_plan,
    ):
        clock.advance(days=10)
        app.record_milestone(municipal(RANA), cid, milestone)
    clock.advance(days=170)
    app.record_milestone(municipal(RANA), cid, Career.review_education_plan)
    services.catch_up()

    doctor = await one(reads, AS_RANA, cid)
    assert (doctor.status, doctor.municipality) == ("employed", RANA)
    assert doctor.lis3_started_on == lis3_day
    assert (doctor.supervisor, doctor.supervision_group) == ("Fastlege Veileder", "ALIS Helgeland")
    assert doctor.education_plan_made_on == lis3_day + timedelta(days=30)
    assert doctor.education_plan_reviewed_on == lis3_day + timedelta(days=200)
    assert [m.kind for m in doctor.milestones] == [
        "lis1_started",
        "lis3_started",
        "supervisor_assigned",
        "supervision_group_joined",
        "education_plan_made",
        "education_plan_reviewed",
    ]
    assert [m.number for m in doctor.milestones] == [1, 2, 3, 4, 5, 6]
    assert [m.municipality for m in doctor.milestones] == [None, *[RANA] * 5]
    assert not any(m.corrected for m in doctor.milestones)
    assert [d.candidate_id for d in await reads.doctors(AS_FORUM)] == [cid]


async def test_a_doctor_who_moves_appears_at_the_new_municipality_and_as_moved_at_the_old(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock)
    app = services.app
    clock.advance(days=30)
    app.record_milestone(municipal(RANA), cid, lambda c, s: c.assign_supervisor("Rana Veileder", s))
    clock.advance(days=300)
    app.record_milestone(municipal(RANA), cid, lambda c, s: c.move_within_helgeland(VEFSN, s))
    clock.advance(days=30)
    app.record_milestone(
        municipal(VEFSN), cid, lambda c, s: c.assign_supervisor("Vefsn Veileder", s)
    )
    services.catch_up()

    in_rana = await one(reads, AS_RANA, cid)
    assert (in_rana.status, in_rana.moved_to, in_rana.municipality) == ("moved", VEFSN, None)
    assert in_rana.supervisor == "Rana Veileder"  # Vefsn's milestones are not Rana's to read
    assert [m.kind for m in in_rana.milestones][-1] == "moved_within_helgeland"

    in_vefsn = await one(reads, AS_VEFSN, cid)
    assert (in_vefsn.status, in_vefsn.municipality) == ("employed", VEFSN)
    assert in_vefsn.supervisor == "Vefsn Veileder"
    kinds = [m.kind for m in in_vefsn.milestones]
    assert kinds == ["lis1_started", "moved_within_helgeland", "supervisor_assigned"]

    forum_view = await one(reads, AS_FORUM, cid)
    assert (forum_view.status, forum_view.municipality) == ("employed", VEFSN)
    assert len(forum_view.milestones) == 5
    assert await reads.doctor(AS_BINDAL, cid) is None

    clock.advance(days=30)
    app.record_milestone(
        municipal(VEFSN), cid, left(LeavingReason.WORKLOAD, "", Destination.ABROAD)
    )
    services.catch_up()
    gone = await one(reads, AS_VEFSN, cid)
    assert (gone.status, gone.left_on) == ("left", programme_day(clock.now))
    assert gone.milestones[-1].value == "workload / abroad"
    assert (await one(reads, AS_RANA, cid)).status == "moved"

    clock.advance(days=300)
    app.record_milestone(
        municipal(BINDAL), cid, lambda c, s: c.return_to(BINDAL, s), in_municipality=BINDAL
    )
    services.catch_up()
    back = await one(reads, AS_BINDAL, cid)
    assert (back.status, back.municipality) == ("employed", BINDAL)
    assert (await one(reads, AS_VEFSN, cid)).status == "left"


async def test_a_correction_shows_the_corrected_value_beside_the_original(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock)
    app = services.app
    clock.advance(days=20)
    app.record_milestone(municipal(RANA), cid, lambda c, s: c.assign_supervisor("Feil Navn", s))
    clock.advance(days=1)
    plan_day = programme_day(clock.now)
    app.record_milestone(municipal(RANA), cid, Career.make_education_plan)
    clock.advance(days=5)
    app.correct_milestone(
        municipal(RANA), cid, 3, Correction(None, "Riktig Veileder", "Skrivefeil i navnet")
    )
    app.correct_milestone(
        municipal(RANA), cid, 4, Correction(plan_day - timedelta(days=7), None, "Laget tidligere")
    )
    with pytest.raises(NotYours):
        app.correct_milestone(municipal(VEFSN), cid, 4, Correction(plan_day, None, "Ikke vår"))
    with pytest.raises(NotYours):  # LIS1 is the hospital's
        app.correct_milestone(municipal(RANA), cid, 1, Correction(plan_day, None, "Nei"))
    with pytest.raises(InvalidInput, match="no value to correct"):
        app.correct_milestone(municipal(RANA), cid, 4, Correction(None, "Noe", "Nei"))
    with pytest.raises(InvalidInput, match="no milestone 9"):
        app.correct_milestone(municipal(RANA), cid, 9, Correction(plan_day, None, "Nei"))
    services.catch_up()

    doctor = await one(reads, AS_RANA, cid)
    assert doctor.supervisor == "Riktig Veileder"
    assert doctor.education_plan_made_on == plan_day - timedelta(days=7)
    supervisor, plan = doctor.milestones[2], doctor.milestones[3]
    assert (supervisor.corrected, supervisor.value, supervisor.original_value) == (
        True,
        "Riktig Veileder",
        "Feil Navn",
    )
    assert supervisor.correction_reason == "Skrivefeil i navnet"
    assert supervisor.corrected_at == clock.now
    assert (plan.happened_on, plan.original_happened_on) == (
        plan_day - timedelta(days=7),
        plan_day,
    )

    # In the log, the corrected name and the reason are sealed with the doctor's key.
    stored = services.app.recorder.select_events(career_id(cid))
    corrections = [e for e in stored if e.topic.endswith("MilestoneCorrected")]
    assert b"SupervisorAssigned" in corrections[0].state  # a plain field reads in the clear
    for text in (b"Riktig Veileder", b"Skrivefeil"):
        assert not any(text in e.state for e in stored)

    # A second correction corrects the corrected value; the original stays the first one.
    app.correct_milestone(FORUM, cid, 3, Correction(None, "Endelig Veileder", "Byttet"))
    services.catch_up()
    again = (await one(reads, AS_RANA, cid)).milestones[2]
    assert (again.value, again.original_value) == ("Endelig Veileder", "Feil Navn")


async def test_recertification_is_due_five_years_after_the_last_and_follows_a_correction(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock)
    app = services.app
    clock.advance(days=4 * 365)
    approved = programme_day(clock.now)
    app.record_milestone(municipal(RANA), cid, Career.approve_specialist)
    services.catch_up()
    doctor = await one(reads, AS_RANA, cid)
    assert doctor.specialist_on == approved
    assert doctor.recertification_due == approved.replace(year=approved.year + 5)

    clock.advance(days=5 * 365 - 30)
    recertified = programme_day(clock.now)
    app.record_milestone(municipal(RANA), cid, Career.recertify)
    services.catch_up()
    doctor = await one(reads, AS_RANA, cid)
    assert doctor.recertified_on == recertified
    assert doctor.recertification_due == recertified.replace(year=recertified.year + 5)

    earlier = recertified - timedelta(days=10)
    number = doctor.milestones[-1].number
    app.correct_milestone(municipal(RANA), cid, number, Correction(earlier, None, "Feil dato"))
    services.catch_up()
    doctor = await one(reads, AS_RANA, cid)
    assert doctor.recertified_on == earlier
    assert doctor.recertification_due == earlier.replace(year=earlier.year + 5)


async def test_the_hospital_reads_lis1_milestones_only(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock, lis3=False)
    app = services.app
    clock.advance(days=365)
    app.record_milestone(RECRUITER, cid, lis1_part_completed(Lis1Part.HOSPITAL))
    clock.advance(days=300)
    app.start_lis3(municipal(RANA), cid)
    app.record_milestone(municipal(RANA), cid, lambda c, s: c.assign_supervisor("Veileder", s))
    services.catch_up()
    seen = await one(reads, AS_HOSPITAL, cid)
    assert [m.kind for m in seen.milestones] == ["lis1_started", "lis1_part_completed"]
    assert (seen.supervisor, seen.lis3_started_on, seen.municipality) == (None, None, None)


async def test_erasure_removes_the_name_and_the_names_among_milestones(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock)
    app = services.app
    clock.advance(days=10)
    app.record_milestone(municipal(RANA), cid, lambda c, s: c.assign_supervisor("Ola Veileder", s))
    clock.advance(days=1)
    app.correct_milestone(municipal(RANA), cid, 3, Correction(None, "Kari Veileder", "Navnet"))
    services.catch_up()
    app.erase_candidate(RECRUITER, cid, "Ba om sletting")
    services.catch_up()
    doctor = await one(reads, AS_RANA, cid)
    assert doctor.name is None
    supervisor = doctor.milestones[2]
    assert (supervisor.value, supervisor.original_value, supervisor.correction_reason) == (
        ERASED,
        ERASED,
        ERASED,
    )
    with services.engine.connect() as conn:
        stored = [conn.execute(select(t)).all() for t in tables.metadata.sorted_tables]
    for text in ("Ola Veileder", "Kari Veileder", "Navnet"):
        assert text not in repr(stored)


async def test_a_rebuild_from_the_log_gives_the_same_doctors(
    services: Services, reads: MunicipalQueries, clock: Clock
) -> None:
    cid = recruited(services, clock)
    app = services.app
    clock.advance(days=10)
    app.record_milestone(municipal(RANA), cid, lambda c, s: c.assign_supervisor("Veileder", s))
    app.correct_milestone(
        municipal(RANA), cid, 3, Correction(date(2027, 1, 1), "Veileder To", "Feil")
    )
    services.catch_up()
    before = [await reads.doctors(v) for v in (AS_RANA, AS_FORUM)]
    runner = services.runner("municipal")
    runner.drop_tables()
    runner.create_tables()
    services.catch_up()
    assert [await reads.doctors(v) for v in (AS_RANA, AS_FORUM)] == before
