"""Steps 5–7 through the application and the read models, once on SQLite, once on PostgreSQL.

Commands go through `PipelineApplication`; the projections are caught up by hand and read with
the same async queries the API uses, for a municipality, a competing one and the forum.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from helgeland_contracts.forum_v1 import Board, CouplingStatus, SharedCandidate
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.forum import ForumCandidacy, InvitationAnswer, InvitationKind
from helgeland_pipeline.readside.forum import tables as forum_tables
from helgeland_pipeline.readside.forum.queries import ForumQueries, Viewer
from helgeland_pipeline.readside.hospital.queries import HospitalQueries
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import (
    FORUM,
    INTERVIEW_NOTES,
    RANA,
    RECRUITER,
    VEFSN,
    Clock,
    ForumList,
    forum_list,
    lis3_terms,
    municipal,
)

AS_RANA, AS_VEFSN, AS_FORUM = Viewer(RANA), Viewer(VEFSN), Viewer(None)
VIEWERS = (AS_RANA, AS_VEFSN, AS_FORUM)


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
    clock: Clock

    @property
    def today(self) -> date:
        return self.clock.now.date()

    async def board(self, viewer: Viewer) -> Board:
        return await self.forum.board(viewer, self.today)

    async def shared_ids(self, viewer: Viewer) -> list[UUID]:
        return [c.candidate_id for c in await self.forum.shared_candidates(viewer)]


@pytest.fixture
async def reads(services: Services, clock: Clock) -> AsyncIterator[Reads]:
    engine = services.database.async_engine()
    names = {n: m.name for n, m in services.app.reference.municipalities.items()}
    yield Reads(ForumQueries(engine, names), HospitalQueries(engine), clock)
    await engine.dispose()


def offer(services: Services, fl: ForumList, cid: UUID, number: str, days: int = 30) -> str:
    _, offer_id = services.app.offer_lis3(
        municipal(number),
        cid,
        number,
        fl.lis3_start,
        lis3_terms(),
        (services.app.clock() + timedelta(days=days)).date(),
    )
    return offer_id


def invite(services: Services, cid: UUID, number: str, kind: InvitationKind) -> str:
    at = services.app.clock() + timedelta(days=7)
    _, invitation_id = services.app.invite(municipal(number), cid, number, kind, [at])
    return invitation_id


def activity(board: Board) -> dict[str, tuple[int, int, int]]:
    """Invitations, open offers and recruited doctors of every municipality that has any."""
    return {
        m.municipality: (m.invitations, m.open_offers, m.recruited or 0)
        for m in board.municipalities
        if (m.invitations, m.open_offers, m.recruited or 0) != (0, 0, 0)
    }


# --- the list --------------------------------------------------------------------------------


async def test_no_municipality_sees_a_candidate_before_the_list_is_sent(
    services: Services, reads: Reads, clock: Clock
) -> None:
    fl = forum_list(services.app, shared=2, send=False)
    services.catch_up()
    for viewer in VIEWERS:
        assert await reads.forum.shared_candidates(viewer) == []
        for cid in [*fl.shared, *fl.not_shared]:
            assert await reads.forum.shared_candidates(viewer, cid) == []
        board = await reads.board(viewer)
        assert board.candidates == []
        assert activity(board) == {}
    coupling = await reads.hospital.coupling(fl.round_id)
    accepted = {*fl.shared, fl.hospital_preference, fl.no_consent, fl.undecided}
    assert {c.candidate_id for c in coupling} == accepted
    assert not any(c.shared_with_forum for c in coupling)

    clock.advance(hours=1)
    services.app.send_list_to_forum(RECRUITER, fl.round_id)
    services.catch_up()

    expected = sorted(fl.shared, key=str)  # the list is sent in a stable order
    for viewer in VIEWERS:
        assert await reads.shared_ids(viewer) == expected
        for cid in fl.not_shared:
            assert await reads.forum.shared_candidates(viewer, cid) == []
    coupling = await reads.hospital.coupling(fl.round_id)
    assert {c.candidate_id: c.shared_with_forum for c in coupling} == {
        **dict.fromkeys(fl.shared, True),
        fl.hospital_preference: False,
        fl.no_consent: False,
        fl.undecided: False,  # the list holds those who declared general practice
    }


async def test_a_shared_candidate_shows_what_municipalities_need_and_nothing_else(
    services: Services, reads: Reads, clock: Clock
) -> None:
    fl = forum_list(services.app, shared=2)
    services.catch_up()
    hospital_view = await reads.hospital.candidate(fl.shared[1])
    assert hospital_view is not None
    assert hospital_view.interview_score == 5

    [seen] = await reads.forum.shared_candidates(AS_VEFSN, fl.shared[1])
    assert set(SharedCandidate.model_fields) == {
        "candidate_id",
        "name",
        "email",
        "phone",
        "preference",
        "local_connection",
        "lis1_unit",
        "coupled_slot",
        "round_id",
        "round_name",
        "shared_at",
        "lis1_ends_on",
        "status",
        "recruited_by",
    }
    assert seen.name == hospital_view.name
    assert seen.email == hospital_view.email
    assert seen.preference == "general_practice"  # the list holds general practice only
    assert seen.local_connection == ["grew_up"]
    assert seen.lis1_unit == "rana"
    assert seen.round_id == fl.round_id
    assert seen.round_name == "LIS1 vår 2027"
    assert seen.lis1_ends_on == fl.lis1_ends_on
    assert seen.shared_at == clock.now
    assert (seen.status, seen.recruited_by) == ("open", None)

    # Interview notes and scores are not even stored on the municipal side.
    for table in forum_tables.metadata.sorted_tables:
        columns = " ".join(table.columns.keys())
        for word in ("score", "interest", "notes", "interviewer"):
            assert word not in columns, (table.name, columns)
        with services.engine.connect() as conn:
            rows = conn.execute(select(table)).all()
        assert INTERVIEW_NOTES not in repr(rows)
    with services.engine.connect() as conn:
        shared_rows = conn.execute(select(forum_tables.shared.c.candidate_id)).scalars().all()
    assert sorted(shared_rows) == sorted(str(c) for c in fl.shared)


# --- invitations and offers ------------------------------------------------------------------


async def test_each_municipality_reads_its_invitations_and_offers_and_sees_terms_of_its_own(
    services: Services, reads: Reads, clock: Clock
) -> None:
    fl = forum_list(services.app, shared=2)
    kari, ola = fl.shared
    rana_interview = invite(services, kari, RANA, InvitationKind.INTERVIEW)
    clock.advance(minutes=5)
    vefsn_tour = invite(services, kari, VEFSN, InvitationKind.TOUR)
    clock.advance(minutes=5)
    vefsn_talk = invite(services, ola, VEFSN, InvitationKind.TERMS_TALK)
    clock.advance(minutes=5)
    rana_offer = offer(services, fl, kari, RANA)
    vefsn_offer = offer(services, fl, kari, VEFSN)
    services.catch_up()

    rana_invitations = await reads.forum.invitations(AS_RANA, RANA)
    assert [(i.invitation_id, i.candidate_id, i.kind) for i in rana_invitations] == [
        (UUID(rana_interview), kari, "interview")
    ]
    vefsn_invitations = await reads.forum.invitations(AS_VEFSN, VEFSN)
    assert [(i.invitation_id, i.candidate_id, i.kind) for i in vefsn_invitations] == [
        (UUID(vefsn_tour), kari, "tour"),
        (UUID(vefsn_talk), ola, "terms_talk"),
    ]
    assert {i.state for i in [*rana_invitations, *vefsn_invitations]} == {"proposed"}

    rana_offers = await reads.forum.offers(AS_RANA, reads.today, RANA)
    assert [(o.offer_id, o.municipality, o.state) for o in rana_offers] == [
        (UUID(rana_offer), RANA, "open")
    ]
    terms = rana_offers[0].terms
    assert terms is not None
    assert terms.model_dump() == lis3_terms().as_dict()
    assert rana_offers[0].start_date == fl.lis3_start
    assert rana_offers[0].expires_on == reads.today + timedelta(days=30)

    # On the board each municipality sees every move, but the terms of its own offers only.
    for viewer, visible in ((AS_RANA, {RANA}), (AS_VEFSN, {VEFSN}), (AS_FORUM, {RANA, VEFSN})):
        board = await reads.board(viewer)
        by_candidate = {e.candidate.candidate_id: e for e in board.candidates}
        assert set(by_candidate) == {kari, ola}
        offers = by_candidate[kari].offers
        assert {o.offer_id for o in offers} == {UUID(rana_offer), UUID(vefsn_offer)}
        assert {o.municipality for o in offers if o.terms is not None} == visible
        assert len(by_candidate[kari].invitations) == 2
        assert len(by_candidate[ola].invitations) == 1
        assert by_candidate[ola].offers == []
        assert activity(board) == {RANA: (1, 1, 0), VEFSN: (2, 1, 0)}


async def test_answers_meetings_and_ended_offers_are_shown_with_their_times(
    services: Services, reads: Reads, clock: Clock
) -> None:
    fl = forum_list(services.app, shared=1)
    [kari] = fl.shared
    app = services.app
    rana = municipal(RANA)
    interview = invite(services, kari, RANA, InvitationKind.INTERVIEW)
    tour = invite(services, kari, RANA, InvitationKind.TOUR)
    clock.advance(hours=1)
    answered = clock.now
    new_time = clock.now + timedelta(days=9)
    app.answer_invitation(rana, kari, interview, InvitationAnswer.NEW_TIME_PROPOSED, new_time)
    app.answer_invitation(FORUM, kari, tour, InvitationAnswer.DECLINED)
    services.catch_up()
    by_id = {str(i.invitation_id): i for i in await reads.forum.invitations(AS_RANA, RANA)}
    assert (by_id[interview].state, by_id[interview].new_time) == ("new_time_proposed", new_time)
    assert by_id[interview].answered_at == answered
    assert by_id[interview].held_at is None
    assert by_id[tour].state == "declined"

    clock.advance(days=1)
    app.answer_invitation(rana, kari, interview, InvitationAnswer.ACCEPTED)
    clock.advance(days=8)
    held = clock.now
    app.record_meeting_held(rana, kari, interview)
    withdrawn = offer(services, fl, kari, RANA)
    clock.advance(hours=1)
    app.withdraw_lis3_offer(rana, kari, withdrawn)
    declined = offer(services, fl, kari, RANA)
    app.decline_lis3_offer(FORUM, kari, declined)
    services.catch_up()

    [shown] = [i for i in await reads.forum.invitations(AS_RANA, RANA) if i.kind == "interview"]
    assert (shown.state, shown.held_at) == ("held", held)
    offers = {str(o.offer_id): o for o in await reads.forum.offers(AS_RANA, reads.today, RANA)}
    assert offers[withdrawn].state == "withdrawn"
    assert offers[withdrawn].closed_at == clock.now
    assert offers[declined].state == "declined"
    board = await reads.board(AS_FORUM)
    assert activity(board) == {RANA: (2, 0, 0)}


async def test_an_offer_past_its_expiry_reads_expired_and_no_longer_counts_as_open(
    services: Services, reads: Reads
) -> None:
    fl = forum_list(services.app, shared=1)
    [kari] = fl.shared
    expiring = offer(services, fl, kari, RANA, days=2)
    services.catch_up()
    for days, state, open_offers in ((2, "open", 1), (3, "expired", 0)):
        today = reads.today + timedelta(days=days)
        [shown] = await reads.forum.offers(AS_RANA, today, RANA)
        assert (str(shown.offer_id), shown.state) == (expiring, state)
        board = await reads.forum.board(AS_FORUM, today)
        assert activity(board) == ({RANA: (0, open_offers, 0)} if open_offers else {})


# --- acceptance ------------------------------------------------------------------------------


async def test_an_acceptance_recruits_and_the_others_see_accepted_elsewhere_not_where(
    services: Services, reads: Reads, clock: Clock
) -> None:
    fl = forum_list(services.app, shared=2)
    kari, ola = fl.shared
    rana_offer = offer(services, fl, kari, RANA)
    vefsn_offer = offer(services, fl, kari, VEFSN)
    other_offer = offer(services, fl, kari, "1813")
    vefsn_for_ola = offer(services, fl, ola, VEFSN)
    clock.advance(days=2)
    accepted_at = clock.now
    services.app.accept_lis3_offer(municipal(RANA), kari, rana_offer)
    services.catch_up()

    states = {str(o.offer_id): o.state for o in await reads.forum.offers(AS_FORUM, reads.today)}
    assert states == {
        rana_offer: "accepted",
        vefsn_offer: "accepted_elsewhere",
        other_offer: "accepted_elsewhere",
        vefsn_for_ola: "open",
    }
    [vefsn_own, vefsn_ola] = await reads.forum.offers(AS_VEFSN, reads.today, VEFSN)
    assert (str(vefsn_own.offer_id), vefsn_own.state) == (vefsn_offer, "accepted_elsewhere")
    assert vefsn_own.closed_at == accepted_at
    assert vefsn_ola.state == "open"

    def status(candidates: list[SharedCandidate]) -> dict[UUID, tuple[str, str | None]]:
        return {c.candidate_id: (c.status, c.recruited_by) for c in candidates}

    open_ola = {ola: ("open", None)}
    assert status(await reads.forum.shared_candidates(AS_RANA)) == {
        kari: ("recruited", RANA),
        **open_ola,
    }
    assert status(await reads.forum.shared_candidates(AS_FORUM)) == {
        kari: ("recruited", RANA),
        **open_ola,
    }
    assert status(await reads.forum.shared_candidates(AS_VEFSN)) == {
        kari: ("accepted_elsewhere", None),
        **open_ola,
    }
    recruited = await reads.forum.shared_candidates(AS_RANA, recruited_only=True)
    assert [c.candidate_id for c in recruited] == [kari]
    assert await reads.forum.shared_candidates(AS_VEFSN, recruited_only=True) == []
    assert activity(await reads.board(AS_FORUM)) == {RANA: (0, 0, 1), VEFSN: (0, 1, 0)}

    # The hospital learns where its LIS1 doctor will work, and nothing of the terms.
    assert "terms" not in CouplingStatus.model_fields
    coupling = {c.candidate_id: c for c in await reads.hospital.coupling(fl.round_id)}
    assert (coupling[kari].lis3_municipality, coupling[kari].lis3_accepted_at) == (
        RANA,
        accepted_at,
    )
    assert (coupling[ola].lis3_municipality, coupling[ola].lis3_accepted_at) == (None, None)
    dumped = repr([c.model_dump() for c in coupling.values()])
    for secret in ("ALIS Helgeland", "Fastlege Veileder", "fixed_salary"):
        assert secret not in dumped


# --- consent withdrawn -----------------------------------------------------------------------


async def test_withdrawn_consent_removes_the_candidate_from_every_municipal_view(
    services: Services, reads: Reads
) -> None:
    fl = forum_list(services.app, shared=2)
    kari, ola = fl.shared
    app = services.app
    accepted = invite(services, kari, RANA, InvitationKind.INTERVIEW)
    app.answer_invitation(municipal(RANA), kari, accepted, InvitationAnswer.ACCEPTED)
    held = invite(services, kari, VEFSN, InvitationKind.TOUR)
    app.answer_invitation(municipal(VEFSN), kari, held, InvitationAnswer.ACCEPTED)
    app.record_meeting_held(municipal(VEFSN), kari, held)
    open_offer = offer(services, fl, kari, VEFSN)
    invite(services, ola, RANA, InvitationKind.TOUR)
    services.catch_up()
    assert activity(await reads.board(AS_FORUM)) == {RANA: (2, 0, 0), VEFSN: (1, 1, 0)}

    app.withdraw_consent(RECRUITER, kari)
    services.catch_up()

    for viewer in VIEWERS:
        assert await reads.shared_ids(viewer) == [ola]
        assert await reads.forum.shared_candidates(viewer, kari) == []
        board = await reads.board(viewer)
        assert [e.candidate.candidate_id for e in board.candidates] == [ola]
        assert activity(board) == {RANA: (1, 0, 0)}
    for number in (RANA, VEFSN):
        invitations = await reads.forum.invitations(Viewer(number), number)
        assert {i.candidate_id for i in invitations} <= {ola}
        assert await reads.forum.offers(Viewer(number), reads.today, number) == []

    # The facts stay: closed on the municipal side, and the hospital knows why.
    with services.engine.connect() as conn:
        invitation_states = dict(
            conn.execute(
                select(forum_tables.invitations.c.invitation_id, forum_tables.invitations.c.state)
            ).all()
        )
        offer_state = conn.execute(
            select(forum_tables.offers.c.state).where(forum_tables.offers.c.offer_id == open_offer)
        ).scalar_one()
    assert (invitation_states[accepted], invitation_states[held]) == ("closed", "held")
    assert offer_state == "closed"
    candidacy: object = app.repository.get(ForumCandidacy.create_id(str(kari)))
    assert isinstance(candidacy, ForumCandidacy)
    assert candidacy.consent_withdrawn
    assert candidacy.invitations[accepted].state == "closed"
    coupling = {c.candidate_id: c for c in await reads.hospital.coupling(fl.round_id)}
    assert coupling[kari].consent_withdrawn is True
    assert coupling[kari].shared_with_forum is True
    assert coupling[ola].consent_withdrawn is False


async def test_consent_withdrawn_before_the_list_is_sent_keeps_the_candidate_off_it(
    services: Services, reads: Reads
) -> None:
    fl = forum_list(services.app, shared=2, send=False)
    kari, ola = fl.shared
    services.app.withdraw_consent(FORUM, kari)
    services.app.send_list_to_forum(RECRUITER, fl.round_id)
    services.catch_up()
    for viewer in VIEWERS:
        assert await reads.shared_ids(viewer) == [ola]
    coupling = {c.candidate_id: c for c in await reads.hospital.coupling(fl.round_id)}
    assert (coupling[kari].shared_with_forum, coupling[kari].consent_withdrawn) == (False, True)


# --- replay ----------------------------------------------------------------------------------


async def test_replaying_the_log_rebuilds_the_same_municipal_views(
    services: Services, reads: Reads, clock: Clock
) -> None:
    fl = forum_list(services.app, shared=3)
    kari, ola, per = fl.shared
    invite(services, kari, RANA, InvitationKind.TOUR)
    clock.advance(minutes=1)
    invite(services, ola, VEFSN, InvitationKind.INTERVIEW)
    rana_offer = offer(services, fl, kari, RANA)
    offer(services, fl, kari, VEFSN)
    offer(services, fl, ola, RANA)
    clock.advance(days=1)
    services.app.accept_lis3_offer(FORUM, kari, rana_offer)
    services.app.withdraw_consent(RECRUITER, per)
    services.catch_up()

    async def everything() -> list[Any]:
        views: list[Any] = [await reads.hospital.coupling(fl.round_id)]
        for viewer in VIEWERS:
            views.append(await reads.board(viewer))
            views.append(await reads.forum.shared_candidates(viewer, recruited_only=True))
        for number in (RANA, VEFSN):
            views.append(await reads.forum.invitations(Viewer(number), number))
            views.append(await reads.forum.offers(Viewer(number), reads.today, number))
        return views

    before = await everything()
    for runner in services.runners:
        runner.drop_tables()
        runner.create_tables()
    assert await reads.forum.shared_candidates(AS_FORUM) == []
    services.catch_up()
    assert await everything() == before
