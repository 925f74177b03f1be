"""Steps 5–7 over HTTP: the hospital sends its list, Rana and Vefsn compete, the forum watches.

Every response a municipality or the forum receives is kept and searched at the end for what
must never reach them: interview notes, the hospital's scores, and the candidates who were
not shared (a hospital-minded doctor and one who did not consent).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import httpx
import pytest
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.domain.candidates import CareerPreference, LocalConnection
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.domain.forum import ForumCandidacy, candidacy_id
from helgeland_pipeline.domain.rounds import RoundStatus
from helgeland_pipeline.settings import Settings

from tests.e2e.api import PROBLEM, Api, iso_days, settle_after_commands
from tests.factories import (
    NOW,
    RANA,
    RECRUITER,
    VEFSN,
    Clock,
    forum_list,
    lis3_terms,
    municipal,
)

OSLO_WINTER = timezone(timedelta(hours=1))
NOTES = "Fortrolig: snakket om samboers jobb i Bodø, usikker på distrikt"
HIDDEN = ("Per Sykehus", "per.sykehus@example.no", "Lise Privat", "lise.privat@example.no")
NEVER_FOR_MUNICIPALITIES = (NOTES, "interview_score", "primary_care_interest", *HIDDEN)
TERMS_WORDS = ("terms", "pay_model", "training_share", "list_length", "supervisor")


@dataclass
class Caller:
    """One role's token; every body it receives is kept for the leak checks."""

    api: Api
    role: Role
    municipality: str | None = None
    received: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return self.api.auth(self.role, person=f"e2e-{self.role}", municipality=self.municipality)

    async def send(self, method: str, path: str, body: dict[str, Any] | None, expected: int) -> Any:
        response = await self.api.client.request(method, path, json=body, headers=self.headers)
        self.received.append(response.text)
        assert response.status_code == expected, (method, path, response.text)
        if expected >= 400:
            assert response.headers["content-type"] == PROBLEM
        return response.json()

    async def get(self, path: str, expected: int = 200) -> Any:
        return await self.send("GET", path, None, expected)

    async def post(self, path: str, body: dict[str, Any], expected: int = 200) -> Any:
        return await self.send("POST", path, body, expected)

    def assert_never_received(self, *secrets: str) -> None:
        everything = "\n".join(self.received)
        for secret in secrets:
            assert secret not in everything, f"{self.role} {self.municipality} got {secret!r}"


@dataclass
class Story:
    """The spring round at the moment its list is final, and the four parties."""

    api: Api
    round_id: str
    kari: str  # general practice, consents: shared
    ola: str  # general practice, consents: shared
    per: str  # prefers hospital: never shared
    lise: str  # general practice, no consent: never shared
    rana: Caller
    vefsn: Caller
    forum: Caller
    hospital: Caller

    def municipal_side(self) -> list[Caller]:
        return [self.rana, self.vefsn, self.forum]

    async def send_list(self) -> None:
        await self.hospital.post(f"/rounds/{self.round_id}/forum-list", {}, 201)

    async def lis3_start(self) -> date:
        [shared] = [
            c for c in await self.forum.get("/forum/candidates") if c["candidate_id"] == self.kari
        ]
        return date.fromisoformat(shared["lis1_ends_on"]) + timedelta(days=1)

    def assert_nothing_leaked(self) -> None:
        for caller in self.municipal_side():
            caller.assert_never_received(*NEVER_FOR_MUNICIPALITIES)
        self.hospital.assert_never_received(*TERMS_WORDS)


async def story(api: Api) -> Story:
    """Steps 1–4 at the hospital (through the application, to keep this quick): four doctors
    accept LIS1 and the list is final. Steps 5–7 are then taken over HTTP."""
    app = api.services.core.app
    today = datetime.now(UTC).date()
    round_id = app.open_round(
        RECRUITER,
        "LIS1 høst 2027",
        {"rana": 4, "mosjoen": 2},
        2,
        today + timedelta(days=30),
        None,
        today + timedelta(days=60),
    ).id
    people = {
        "Kari Nordmann": (CareerPreference.GENERAL_PRACTICE, [LocalConnection.GREW_UP], True),
        "Ola Hansen": (CareerPreference.GENERAL_PRACTICE, [LocalConnection.PLACEMENT], True),
        "Per Sykehus": (CareerPreference.HOSPITAL, [], True),
        "Lise Privat": (CareerPreference.GENERAL_PRACTICE, [], False),
    }
    ids: list[UUID] = []
    for name, (preference, local, consent) in people.items():
        email = name.lower().replace(" ", ".") + "@example.no"
        cid = app.register_candidate(RECRUITER, name, email).id
        app.submit_lis1_application(RECRUITER, cid, round_id, preference, local, consent)
        ids.append(cid)
    app.advance_round(RECRUITER, round_id, RoundStatus.INTERVIEWING)
    for cid in ids:
        app.record_lis1_interview(RECRUITER, cid, "Overlege Hansen", 5, NOTES)
    app.advance_round(RECRUITER, round_id, RoundStatus.OFFERING)
    for cid, unit, coupled in zip(
        ids, ["rana", "mosjoen", "rana", "rana"], [True, True, False, False], strict=True
    ):
        app.offer_lis1(RECRUITER, cid, unit, coupled, today + timedelta(days=14))
        app.accept_lis1_offer(RECRUITER, cid)
    api.services.core.wait_for(app.finalise_round_list(RECRUITER, round_id))
    kari, ola, per, lise = (str(cid) for cid in ids)
    return Story(
        api,
        str(round_id),
        kari,
        ola,
        per,
        lise,
        rana=Caller(api, Role.MUNICIPALITY, RANA),
        vefsn=Caller(api, Role.MUNICIPALITY, VEFSN),
        forum=Caller(api, Role.FORUM),
        hospital=Caller(api, Role.HOSPITAL_RECRUITER),
    )


def lis3_offer(start: date, **terms: Any) -> dict[str, Any]:
    return {
        "start_date": start.isoformat(),
        "expires_on": iso_days(30),
        "terms": {
            "supervisor": "Fastlege Veileder",
            "supervision_group": "ALIS Helgeland",
            "pay_model": "fixed_salary",
            "list_length": 700,
            "out_of_hours_share": 15,
            "training_share": 20,
            **terms,
        },
    }


def invitation(kind: str = "interview", days: int = 5) -> dict[str, Any]:
    when = (datetime.now(UTC) + timedelta(days=days)).astimezone(OSLO_WINTER)
    return {"kind": kind, "proposed_times": [when.replace(microsecond=0).isoformat()]}


def ids(items: list[dict[str, Any]], key: str = "candidate_id") -> list[str]:
    return [item[key] for item in items]


def entry(board: dict[str, Any], candidate_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        e for e in board["candidates"] if e["candidate"]["candidate_id"] == candidate_id
    ]
    assert len(found) == 1, found
    return found[0]


def counts(board: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    """Activity per municipality (another municipality's `recruited`, hidden as null, as 0)."""
    return {
        m["municipality"]: (m["invitations"], m["open_offers"], m["recruited"] or 0)
        for m in board["municipalities"]
        if (m["invitations"], m["open_offers"], m["recruited"] or 0) != (0, 0, 0)
    }


# --- step 5: the list ------------------------------------------------------------------------


async def test_municipalities_see_exactly_the_eligible_candidates_once_the_list_is_sent(
    api: Api,
) -> None:
    s = await story(api)
    for caller in s.municipal_side():
        assert await caller.get("/forum/candidates") == []
        assert (await caller.get("/forum/board"))["candidates"] == []
        for cid in (s.kari, s.ola, s.per, s.lise):
            await caller.get(f"/forum/candidates/{cid}", 404)
    missing = await s.rana.post(f"/forum/candidates/{s.kari}/invitations", invitation(), 404)
    assert missing["detail"] == f"no shared candidate with id {s.kari}"  # the id it was given
    coupling = await s.hospital.get(f"/rounds/{s.round_id}/coupling")
    assert {c["candidate_id"]: c["shared_with_forum"] for c in coupling} == dict.fromkeys(
        (s.kari, s.ola, s.per, s.lise), False
    )

    await s.send_list()
    await s.hospital.post(f"/rounds/{s.round_id}/forum-list", {}, 409)  # once only

    for caller in s.municipal_side():
        shared = await caller.get("/forum/candidates")
        assert sorted(ids(shared)) == sorted([s.kari, s.ola])
        for cid in (s.per, s.lise):
            await caller.get(f"/forum/candidates/{cid}", 404)
        board = await caller.get("/forum/board")
        assert sorted(e["candidate"]["candidate_id"] for e in board["candidates"]) == sorted(
            [s.kari, s.ola]
        )
    kari = await s.vefsn.get(f"/forum/candidates/{s.kari}")
    assert kari == {
        "candidate_id": s.kari,
        "name": "Kari Nordmann",
        "email": "kari.nordmann@example.no",
        "phone": None,
        "preference": "general_practice",
        "local_connection": ["grew_up"],
        "lis1_unit": "rana",
        "coupled_slot": 1,
        "round_id": s.round_id,
        "round_name": "LIS1 høst 2027",
        "shared_at": kari["shared_at"],
        "lis1_ends_on": kari["lis1_ends_on"],
        "status": "open",
        "recruited_by": None,
    }
    starts = date.fromisoformat(iso_days(60))
    assert date.fromisoformat(kari["lis1_ends_on"]) > starts + timedelta(days=540)
    coupling = await s.hospital.get(f"/rounds/{s.round_id}/coupling")
    assert {c["candidate_id"]: c["shared_with_forum"] for c in coupling} == {
        s.kari: True,
        s.ola: True,
        s.per: False,
        s.lise: False,
    }
    # The hospital still reads its own scores; the municipalities never did.
    assert (await s.hospital.get(f"/candidates/{s.kari}"))["interview_score"] == 5
    s.assert_nothing_leaked()


# --- step 6: invitations ---------------------------------------------------------------------


async def test_a_municipality_invites_records_the_answer_and_the_meeting(api: Api) -> None:
    s = await story(api)
    await s.send_list()
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
    sooner = later - timedelta(days=3)
    body = {
        "kind": "interview",
        "proposed_times": [later.astimezone(OSLO_WINTER).isoformat(), sooner.isoformat()],
    }
    created = await s.rana.post(f"/forum/candidates/{s.kari}/invitations", body, 201)
    assert created["candidate_id"] == s.kari
    interview = created["item_id"]
    tour = (await s.vefsn.post(f"/forum/candidates/{s.kari}/invitations", invitation("tour"), 201))[
        "item_id"
    ]
    # The place is an office's address: an e-mail address in it is refused, naming the field.
    placed = {**invitation(), "location": "Rana legekontor, spør etter ola@rana.example"}
    refused = await s.rana.post(f"/forum/candidates/{s.kari}/invitations", placed, 422)
    assert "location may not contain an e-mail address" in refused["detail"]
    # A municipality acts for itself only, and reads its own invitations only.
    await s.vefsn.post(
        f"/forum/candidates/{s.kari}/invitations", {**invitation(), "municipality": RANA}, 403
    )
    await s.vefsn.post(
        f"/forum/candidates/{s.kari}/invitations/{interview}/answer", {"answer": "declined"}, 403
    )
    await s.vefsn.post(f"/forum/candidates/{s.kari}/invitations/{interview}/held", {}, 403)
    await s.vefsn.get(f"/municipalities/{RANA}/invitations", 403)
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations/{tour}/answer", {"answer": "x"}, 422)

    [proposed] = await s.rana.get(f"/municipalities/{RANA}/invitations")
    assert (proposed["invitation_id"], proposed["kind"], proposed["state"]) == (
        interview,
        "interview",
        "proposed",
    )
    assert [datetime.fromisoformat(t) for t in proposed["proposed_times"]] == [sooner, later]
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations/{interview}/held", {}, 409)

    new_time = (later + timedelta(days=1)).isoformat()
    answer = {"answer": "new_time_proposed", "new_time": new_time}
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations/{interview}/answer", answer)
    [moved] = await s.rana.get(f"/municipalities/{RANA}/invitations")
    assert moved["state"] == "new_time_proposed"
    assert datetime.fromisoformat(moved["new_time"]) == later + timedelta(days=1)
    # The forum records the candidate's answers for any municipality.
    accepted = {"answer": "accepted"}
    await s.forum.post(f"/forum/candidates/{s.kari}/invitations/{interview}/answer", accepted)
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations/{interview}/held", {})
    [held] = await s.rana.get(f"/municipalities/{RANA}/invitations")
    assert held["state"] == "held"
    assert held["held_at"] is not None
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations/{interview}/held", {}, 409)
    await s.vefsn.post(
        f"/forum/candidates/{s.kari}/invitations/{tour}/answer", {"answer": "declined"}
    )

    [vefsn_tour] = await s.vefsn.get(f"/municipalities/{VEFSN}/invitations")
    assert (vefsn_tour["invitation_id"], vefsn_tour["state"]) == (tour, "declined")
    board = await s.vefsn.get("/forum/board")
    assert {i["invitation_id"]: i["state"] for i in entry(board, s.kari)["invitations"]} == {
        interview: "held",
        tour: "declined",
    }
    assert counts(board) == {RANA: (1, 0, 0), VEFSN: (1, 0, 0)}
    s.assert_nothing_leaked()


# --- step 7: competing coupled offers --------------------------------------------------------


async def test_two_municipalities_offer_and_the_candidate_accepts_one(api: Api) -> None:
    s = await story(api)
    await s.send_list()
    start = await s.lis3_start()
    kari_offers = f"/forum/candidates/{s.kari}/offers"

    # The programme's rules: at least 20 % training time, start after LIS1, expiry ahead.
    await s.rana.post(kari_offers, lis3_offer(start, training_share=19), 422)
    await s.rana.post(kari_offers, lis3_offer(start - timedelta(days=1)), 422)
    await s.rana.post(kari_offers, {**lis3_offer(start), "expires_on": iso_days(-1)}, 422)
    await s.vefsn.post(kari_offers, {**lis3_offer(start), "municipality": RANA}, 403)
    await s.forum.post(kari_offers, lis3_offer(start), 403)  # the forum must name a municipality

    rana_offer = (await s.rana.post(kari_offers, lis3_offer(start), 201))["item_id"]
    await s.rana.post(kari_offers, lis3_offer(start), 409)  # one open offer per municipality
    fee_based = lis3_offer(start, pay_model="fee_based", list_length=1000, supervisor=None)
    vefsn_offer = (await s.vefsn.post(kari_offers, fee_based, 201))["item_id"]
    ola_offer = (await s.vefsn.post(f"/forum/candidates/{s.ola}/offers", fee_based, 201))["item_id"]

    [own] = await s.rana.get(f"/municipalities/{RANA}/offers")
    assert (own["offer_id"], own["state"], own["start_date"]) == (
        rana_offer,
        "open",
        start.isoformat(),
    )
    assert own["terms"] == lis3_offer(start)["terms"]
    assert own["expires_on"] == iso_days(30)
    await s.rana.get(f"/municipalities/{VEFSN}/offers", 403)

    # The board: every move for everyone, terms for the forum and the offering municipality.
    for caller, sees_terms_of in (
        (s.rana, {RANA}),
        (s.vefsn, {VEFSN}),
        (s.forum, {RANA, VEFSN}),
    ):
        board = await caller.get("/forum/board")
        offers = entry(board, s.kari)["offers"]
        assert sorted(ids(offers, "offer_id")) == sorted([rana_offer, vefsn_offer])
        assert {o["municipality"] for o in offers if o["terms"] is not None} == sees_terms_of
        assert {o["expires_on"] for o in offers} == {iso_days(30)}
        assert counts(board) == {RANA: (0, 1, 0), VEFSN: (0, 2, 0)}
    forum_board = await s.forum.get("/forum/board")
    terms = {o["municipality"]: o["terms"] for o in entry(forum_board, s.kari)["offers"]}
    assert terms[VEFSN]["pay_model"] == "fee_based"
    assert terms[RANA]["training_share"] == 20

    # Vefsn may not accept Rana's offer for the candidate; Rana records the acceptance.
    await s.vefsn.post(f"{kari_offers}/{rana_offer}/accept", {}, 403)
    await s.rana.post(f"{kari_offers}/{rana_offer}/accept", {})
    await s.vefsn.post(f"{kari_offers}/{vefsn_offer}/accept", {}, 409)
    await s.forum.post(f"{kari_offers}/{vefsn_offer}/accept", {}, 409)
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations", invitation(), 409)

    mine = {o["offer_id"]: o for o in await s.vefsn.get(f"/municipalities/{VEFSN}/offers")}
    assert mine[vefsn_offer]["state"] == "accepted_elsewhere"
    assert mine[vefsn_offer]["closed_at"] is not None
    assert mine[ola_offer]["state"] == "open"
    seen_by_vefsn = await s.vefsn.get(f"/forum/candidates/{s.kari}")
    assert (seen_by_vefsn["status"], seen_by_vefsn["recruited_by"]) == ("accepted_elsewhere", None)
    seen_by_rana = await s.rana.get(f"/forum/candidates/{s.kari}")
    assert (seen_by_rana["status"], seen_by_rana["recruited_by"]) == ("recruited", RANA)
    assert ids(await s.rana.get(f"/municipalities/{RANA}/recruited")) == [s.kari]
    assert await s.vefsn.get(f"/municipalities/{VEFSN}/recruited") == []
    [accepted] = await s.rana.get(f"/municipalities/{RANA}/offers")
    assert accepted["state"] == "accepted"
    assert counts(await s.forum.get("/forum/board")) == {RANA: (0, 0, 1), VEFSN: (0, 1, 0)}

    # The hospital sees where its LIS1 doctor goes, never on what terms.
    coupling = {
        c["candidate_id"]: c for c in await s.hospital.get(f"/rounds/{s.round_id}/coupling")
    }
    assert coupling[s.kari]["lis3_municipality"] == RANA
    assert coupling[s.kari]["lis3_accepted_at"] is not None
    assert coupling[s.ola]["lis3_municipality"] is None
    for row in coupling.values():
        assert set(row) == {
            "candidate_id",
            "name",
            "lis1_unit",
            "lis1_coupled",
            "shared_with_forum",
            "consent_withdrawn",
            "lis3_municipality",
            "lis3_accepted_at",
        }
    s.vefsn.assert_never_received(own["terms"]["supervisor"])
    s.assert_nothing_leaked()


async def test_the_board_does_not_tell_a_losing_municipality_where_the_candidate_went(
    api: Api,
) -> None:
    s = await story(api)
    await s.send_list()
    start = await s.lis3_start()
    kari_offers = f"/forum/candidates/{s.kari}/offers"
    rana_offer = (await s.rana.post(kari_offers, lis3_offer(start), 201))["item_id"]
    await s.vefsn.post(kari_offers, lis3_offer(start), 201)
    await s.rana.post(f"{kari_offers}/{rana_offer}/accept", {})

    # Vefsn is told "accepted_elsewhere", not where: the board must not say it either.
    board = await s.vefsn.get("/forum/board")
    kari = entry(board, s.kari)
    assert kari["candidate"]["status"] == "accepted_elsewhere"
    assert kari["candidate"]["recruited_by"] is None
    accepted_where = [o["municipality"] for o in kari["offers"] if o["state"] == "accepted"]
    assert accepted_where == [], f"Vefsn's board shows the offer accepted at {accepted_where}"
    assert [o["municipality"] for o in kari["offers"]].count(RANA) == 0
    recruited = {m["municipality"]: m["recruited"] for m in board["municipalities"]}
    assert recruited[RANA] is None, "the counts must not tell Vefsn where Kari went"
    assert recruited[VEFSN] == 0
    forum_view = {
        m["municipality"]: m["recruited"]
        for m in (await s.forum.get("/forum/board"))["municipalities"]
    }
    assert forum_view[RANA] == 1


# --- consent withdrawn -----------------------------------------------------------------------


async def test_withdrawn_consent_removes_the_candidate_from_municipal_views(api: Api) -> None:
    s = await story(api)
    await s.send_list()
    start = await s.lis3_start()
    invited = (await s.vefsn.post(f"/forum/candidates/{s.ola}/invitations", invitation(), 201))[
        "item_id"
    ]
    await s.vefsn.post(
        f"/forum/candidates/{s.ola}/invitations/{invited}/answer", {"answer": "accepted"}
    )
    offered = (await s.rana.post(f"/forum/candidates/{s.ola}/offers", lis3_offer(start), 201))[
        "item_id"
    ]
    await s.rana.post(f"/forum/candidates/{s.kari}/invitations", invitation("tour"), 201)

    # A municipality cannot withdraw the candidate's consent; the hospital or forum records it.
    await s.rana.post(f"/candidates/{s.ola}/consent/withdraw", {}, 403)
    await s.forum.post(f"/candidates/{s.ola}/consent/withdraw", {})
    await s.hospital.post(f"/candidates/{s.ola}/consent/withdraw", {}, 409)  # already

    for caller in s.municipal_side():
        assert ids(await caller.get("/forum/candidates")) == [s.kari]
        await caller.get(f"/forum/candidates/{s.ola}", 404)
        board = await caller.get("/forum/board")
        assert [e["candidate"]["candidate_id"] for e in board["candidates"]] == [s.kari]
        assert counts(board) == {RANA: (1, 0, 0)}
    assert await s.vefsn.get(f"/municipalities/{VEFSN}/invitations") == []
    assert await s.rana.get(f"/municipalities/{RANA}/offers") == []
    assert ids(await s.rana.get(f"/municipalities/{RANA}/invitations")) == [s.kari]

    # Nothing more happens to the candidate on the municipal side.
    ola = f"/forum/candidates/{s.ola}"
    await s.vefsn.post(f"{ola}/invitations", invitation(), 409)
    await s.vefsn.post(f"{ola}/invitations/{invited}/held", {}, 409)
    await s.rana.post(f"{ola}/offers/{offered}/accept", {}, 409)
    await s.rana.post(f"{ola}/offers", lis3_offer(start), 409)

    # The facts stay: the invitation is closed in the log, and the hospital knows.
    candidacy: object = api.services.core.app.repository.get(candidacy_id(UUID(s.ola)))
    assert isinstance(candidacy, ForumCandidacy)
    assert candidacy.invitations[invited].state == "closed"
    assert candidacy.offers[offered].state == "closed"
    coupling = {
        c["candidate_id"]: c for c in await s.hospital.get(f"/rounds/{s.round_id}/coupling")
    }
    assert (coupling[s.ola]["shared_with_forum"], coupling[s.ola]["consent_withdrawn"]) == (
        True,
        True,
    )
    timeline = await s.hospital.get(f"/candidates/{s.ola}/timeline")
    assert timeline[-1]["event_type"] == "ConsentWithdrawn"
    assert timeline[-1]["actor_role"] == "forum"
    s.assert_nothing_leaked()


# --- expiry ----------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def clocked_api(settings: Settings, clock: Clock) -> AsyncIterator[Api]:
    """Like `api`, but on a clock the test moves."""
    app = create_app(settings, clock)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            event_hooks={"response": [settle_after_commands(app)]},
        ) as client:
            yield Api(app, client, settings)


async def test_an_offer_reads_expired_from_the_norwegian_day_it_can_no_longer_be_accepted(
    clocked_api: Api, clock: Clock
) -> None:
    app = clocked_api.services.core.app
    fl = forum_list(app, shared=1)
    [kari] = fl.shared
    expires = (NOW + timedelta(days=2)).date()
    saved, offer_id = app.offer_lis3(
        municipal(RANA), kari, RANA, fl.lis3_start, lis3_terms(), expires
    )
    clocked_api.services.core.wait_for(saved)
    rana = Caller(clocked_api, Role.MUNICIPALITY, RANA)

    # 23:30 UTC on the expiry day is already the next day in Norway.
    clock.now = datetime.combine(expires, datetime.min.time(), UTC) + timedelta(
        hours=23, minutes=30
    )
    [shown] = await rana.get(f"/municipalities/{RANA}/offers")
    board = await rana.get("/forum/board")
    await rana.post(f"/forum/candidates/{kari}/offers/{offer_id}/accept", {}, 409)
    assert shown["state"] == "expired", "the domain refuses the acceptance, the view says open"
    assert counts(board).get(RANA, (0, 0, 0))[1] == 0
