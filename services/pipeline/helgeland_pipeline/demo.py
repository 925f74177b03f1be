"""Demo data a new user can explore: past cohorts (synthetic) and the current LIS1 rounds.

The past follows the programme's history (`synthetic`): the first round opened in autumn 2021,
after the project started on 1 September 2021, with placement students met before it; the
years since hold dropouts and doctors who left and came back.

All people here are fictional. Dates are relative to the clock, so the demo stays current.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.demo_posts import seed_gp_posts
from helgeland_pipeline.domain.candidates import CareerPreference, ContactKind, LocalConnection
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.domain.forum import InvitationAnswer, InvitationKind, Lis3Terms, PayModel
from helgeland_pipeline.domain.rounds import RoundStatus
from helgeland_pipeline.synthetic import SyntheticHistory

RECRUITER = Actor("demo-recruiter", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER)

GP, HOSPITAL, UNDECIDED = (
    CareerPreference.GENERAL_PRACTICE,
    CareerPreference.HOSPITAL,
    CareerPreference.UNDECIDED,
)
L = LocalConnection


@dataclass(frozen=True)
class Applicant:
    name: str
    preference: CareerPreference
    local: list[LocalConnection]
    placement: str | None = None  # municipality of the 5th-year placement
    score: int | None = None  # interview: interest in primary care
    unit: str | None = None  # LIS1 offer
    coupled: bool = False
    answer: str | None = None  # accept, decline or withdraw


SPRING = [
    Applicant("Ingrid Solberg", GP, [L.GREW_UP], "1833", 5, "rana", True, "accept"),
    Applicant("Jonas Eriksen", GP, [L.PLACEMENT], "1824", 4, "mosjoen", True, "accept"),
    Applicant("Sara Mahmoud", GP, [L.FAMILY], None, 4, "sandnessjoen", True, "accept"),
    Applicant("Erik Nilsen", HOSPITAL, [], None, 2, "rana", False, "accept"),
    Applicant(
        "Maja Johansen", GP, [L.STUDIED, L.PLACEMENT], "1813", 5, "bronnoysund", True, "accept"
    ),
    Applicant("Henrik Berg", UNDECIDED, [], None, 3, "sandnessjoen", False, "decline"),
    Applicant("Nora Pedersen", GP, [], "1820", 4, "mosjoen", False, "accept"),
    Applicant("Ali Haugen", HOSPITAL, [L.GREW_UP], None, 1),
    Applicant("Tuva Lie", GP, [L.GREW_UP], "1836", None, None, False, "withdraw"),
    Applicant("Olav Strand", UNDECIDED, [], None, 3),
]

AUTUMN = [
    ("Emma Dahl", GP, [L.GREW_UP]),
    ("Lars Moen", HOSPITAL, []),
    ("Sofie Aas", UNDECIDED, [L.PLACEMENT]),
    ("Mathias Rønning", GP, []),
]


def seed_demo(app: PipelineApplication) -> bool:
    """Load the demo story unless the log already holds events. True if it seeded."""
    if app.recorder.max_notification_id():
        return False
    SyntheticHistory(app, applicants=44).run()
    now = app.clock()
    _ready_round(app, now)
    _spring_round(app, now)
    _autumn_round(app, now)
    seed_gp_posts(app)
    return True


def _email(name: str) -> str:
    return name.lower().replace(" ", ".").replace("ø", "o").replace("å", "a") + "@example.no"


def _spring_round(app: PipelineApplication, now: datetime) -> None:
    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    rid = app.open_round(
        RECRUITER,
        "LIS1 vår 2027",
        {"rana": 4, "sandnessjoen": 3, "mosjoen": 3, "bronnoysund": 2},
        6,
        ago(45).date(),
        ago(120),
        (now + timedelta(days=70)).date(),
    ).id
    people: list[tuple[UUID, Applicant]] = []
    for i, a in enumerate(SPRING):
        cid = app.register_candidate(RECRUITER, a.name, _email(a.name), None, ago(200 - i)).id
        kind = ContactKind.PLACEMENT if a.placement else ContactKind.CAMPUS_VISIT
        app.record_student_contact(RECRUITER, cid, kind, a.placement, ago(180 - i))
        app.submit_lis1_application(RECRUITER, cid, rid, a.preference, a.local, True, ago(60 - i))
        people.append((cid, a))
    app.advance_round(RECRUITER, rid, RoundStatus.INTERVIEWING, ago(44))
    for i, (cid, a) in enumerate(people):
        if a.score is not None:
            notes = "Interesse for allmennmedisin utforsket."
            app.record_lis1_interview(RECRUITER, cid, "Overlege Demo", a.score, notes, ago(40 - i))
    app.advance_round(RECRUITER, rid, RoundStatus.OFFERING, ago(25))
    answer_by = (now + timedelta(days=7)).date()
    for cid, a in people:
        if a.unit is not None:
            app.offer_lis1(RECRUITER, cid, a.unit, a.coupled, answer_by, ago(20))
        if a.answer == "accept":
            app.accept_lis1_offer(RECRUITER, cid, ago(10))
        elif a.answer == "decline":
            app.decline_lis1_offer(RECRUITER, cid, ago(9))
        elif a.answer == "withdraw":
            app.withdraw_application(RECRUITER, cid, "Valgte annen region", ago(30))
    app.finalise_round_list(RECRUITER, rid, ago(8))
    app.send_list_to_forum(RECRUITER, rid, ago(7))
    _forum_story(app, now, {a.name: cid for cid, a in people})


def municipality(number: str, name: str) -> Actor:
    return Actor(f"demo-kommuneoverlege-{number}", name, Role.MUNICIPALITY, number)


def _forum_story(app: PipelineApplication, now: datetime, ids: dict[str, UUID]) -> None:
    """Several municipalities invite and compete; one offer accepted; one consent withdrawn."""
    rana, vefsn = municipality("1833", "Rana"), municipality("1824", "Vefsn")
    bronnoy, alstahaug = municipality("1813", "Brønnøy"), municipality("1820", "Alstahaug")
    hemnes = municipality("1832", "Hemnes")
    ingrid, jonas, sara, maja = (
        ids[n] for n in ("Ingrid Solberg", "Jonas Eriksen", "Sara Mahmoud", "Maja Johansen")
    )
    soon = now + timedelta(days=10)
    start = (now + timedelta(days=70 + 18 * 31)).date()
    expires = (now + timedelta(days=30)).date()
    terms = Lis3Terms(
        "Fastlege Demo Veileder", "ALIS-gruppe Helgeland nord", PayModel.FIXED_SALARY, 700, 15, 20
    )
    fee = Lis3Terms(None, "ALIS-gruppe Helgeland sør", PayModel.FEE_BASED, 1000, 25, 20)

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    app.invite(rana, ingrid, "1833", InvitationKind.INTERVIEW, [soon], ago(6))
    app.invite(vefsn, ingrid, "1824", InvitationKind.TOUR, [soon], ago(6))
    _, rana_offer = app.offer_lis3(rana, ingrid, "1833", start, terms, expires, ago(5))
    app.offer_lis3(vefsn, ingrid, "1824", start, fee, expires, ago(5))
    app.accept_lis3_offer(rana, ingrid, rana_offer, ago(2))

    _, interview = app.invite(vefsn, jonas, "1824", InvitationKind.INTERVIEW, [soon], ago(6))
    app.answer_invitation(vefsn, jonas, interview, InvitationAnswer.ACCEPTED, None, ago(5))
    app.record_meeting_held(vefsn, jonas, interview, ago(3))
    app.offer_lis3(vefsn, jonas, "1824", start, fee, expires, ago(2))
    app.invite(hemnes, jonas, "1832", InvitationKind.TOUR, [soon], ago(1))

    app.invite(alstahaug, sara, "1820", InvitationKind.TERMS_TALK, [soon], ago(6))
    app.withdraw_consent(RECRUITER, sara, ago(3))

    app.invite(bronnoy, maja, "1813", InvitationKind.TERMS_TALK, [soon], ago(4))
    app.offer_lis3(bronnoy, maja, "1813", start, terms, expires, ago(1))


READY = [
    Applicant("Live Karlsen", GP, [L.GREW_UP], None, 5, "rana", True, "accept"),
    Applicant("Even Bakke", UNDECIDED, [], None, 4, "mosjoen", False, "accept"),
    Applicant("Hanna Vik", HOSPITAL, [L.FAMILY], None, 3, "sandnessjoen", False, "accept"),
    Applicant("Sander Holm", GP, [L.PLACEMENT], None, 4, "bronnoysund", True, "accept"),
]


def _ready_round(app: PipelineApplication, now: datetime) -> None:
    """A round whose list is final but not yet sent: send it to see the notifications."""

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    rid = app.open_round(
        RECRUITER,
        "LIS1 høst 2026",
        {"rana": 2, "sandnessjoen": 1, "mosjoen": 1, "bronnoysund": 1},
        2,
        ago(150).date(),
        ago(170),
        ago(95).date(),  # an autumn round: started this autumn, its list not yet sent
    ).id
    people = []
    for i, a in enumerate(READY):
        cid = app.register_candidate(RECRUITER, a.name, _email(a.name), None, ago(180 - i)).id
        app.submit_lis1_application(RECRUITER, cid, rid, a.preference, a.local, True, ago(160))
        people.append((cid, a))
    app.advance_round(RECRUITER, rid, RoundStatus.OFFERING, ago(140))
    for cid, a in people:
        assert a.score is not None
        assert a.unit is not None
        app.record_lis1_interview(RECRUITER, cid, "Overlege Demo", a.score, "", ago(135))
        app.offer_lis1(RECRUITER, cid, a.unit, a.coupled, ago(110).date(), ago(130))
        app.accept_lis1_offer(RECRUITER, cid, ago(120))
    app.finalise_round_list(RECRUITER, rid, ago(100))


def _autumn_round(app: PipelineApplication, now: datetime) -> None:
    rid = app.open_round(
        RECRUITER,
        "LIS1 høst 2027",
        {"rana": 4, "sandnessjoen": 2, "mosjoen": 2, "bronnoysund": 2},
        5,
        (now + timedelta(days=90)).date(),
        now - timedelta(days=5),
        (now + timedelta(days=255)).date(),  # next autumn: the cycle of next year
    ).id
    for i, (name, pref, local) in enumerate(AUTUMN):
        cid = app.register_candidate(
            RECRUITER, name, _email(name), None, now - timedelta(days=4)
        ).id
        app.submit_lis1_application(
            RECRUITER, cid, rid, pref, local, i % 2 == 0, now - timedelta(days=3 - i % 3)
        )
