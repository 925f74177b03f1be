"""Every endpoint × every role: who may call it (else 403, with nothing written), and what each
role's answers must never contain.

The table has one row per route of the app; a route added without a row fails the test. Each
command gets a fresh target prepared through the application, so that an allowed role meets a
command that can succeed and a refused role is refused for who it is, not for the state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from helgeland_pipeline.api.personal_data import personal_data
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.candidates import CareerPreference, ConsentPurpose, ContactKind
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.domain.forum import InvitationAnswer, InvitationKind
from helgeland_pipeline.domain.rounds import RoundStatus
from helgeland_pipeline.privacy.access_log import access_log
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.web.errors import PageRoute
from sqlalchemy import select
from starlette.routing import BaseRoute, Mount, Route

from tests.e2e.api import PROBLEM, Api
from tests.factories import FORUM as FORUM_ACTOR
from tests.factories import (
    INTERVIEW_NOTES,
    RANA,
    RECRUITER,
    VEFSN,
    ForumList,
    forum_list,
    lis3_terms,
    municipal,
)

OWN, OTHER = RANA, VEFSN  # the rows act on Rana's invitations, offers and pages
RANA_SUPERVISOR, VEFSN_SUPERVISOR = "Veileder Rana-Fastlegen", "Veileder Vefsn-Fastlegen"

HOSPITAL = "hospital_recruiter"
MUNICIPALITY_OWN = "municipality_own"
MUNICIPALITY_OTHER = "municipality_other"
FORUM = "forum"
EVALUATOR = "evaluator"
ADMIN = "admin"
ROLES: dict[str, tuple[Role, str | None, str]] = {  # role, municipality, organisation
    HOSPITAL: (Role.HOSPITAL_RECRUITER, None, RECRUITER.organisation),
    MUNICIPALITY_OWN: (Role.MUNICIPALITY, OWN, municipal(OWN).organisation),
    MUNICIPALITY_OTHER: (Role.MUNICIPALITY, OTHER, municipal(OTHER).organisation),
    FORUM: (Role.FORUM, None, FORUM_ACTOR.organisation),
    EVALUATOR: (Role.EVALUATOR, None, "Nasjonalt senter for distriktsmedisin"),
    ADMIN: (Role.ADMIN, None, "Helgelandssykehuset HF IT"),
}
EVERYONE = frozenset(ROLES)
RECRUITERS = frozenset({HOSPITAL, ADMIN})
MUNICIPAL = frozenset({MUNICIPALITY_OWN, MUNICIPALITY_OTHER, FORUM, ADMIN})
OWN_MUNICIPALITY = frozenset({MUNICIPALITY_OWN, FORUM, ADMIN})
CONSENT_KEEPERS = frozenset({HOSPITAL, FORUM, ADMIN})
STUDENT_KEEPERS = frozenset({HOSPITAL, MUNICIPALITY_OWN, FORUM, ADMIN})
CAREER = frozenset({HOSPITAL, MUNICIPALITY_OWN, FORUM, ADMIN})
EVALUATORS = frozenset({EVALUATOR, ADMIN})
SUBSCRIBERS = frozenset({HOSPITAL, MUNICIPALITY_OWN, MUNICIPALITY_OTHER, FORUM, ADMIN})
RANA_HOOK = "https://rana-kommune.example/hooks/helgeland"
# Fresh shared candidates the commands use up: consent, milestones, corrections, offers and the
# three offer actions, each at most once per allowed role and once more for the last refusal.
SHARED_TARGETS = 31


def in_days(days: int) -> date:
    return datetime.now(UTC).date() + timedelta(days=days)


@dataclass
class Scenario:
    """Ids that exist: rounds in every state, and a forum list where Rana and Vefsn compete.

    `kari` was recruited by Rana (Vefsn's offer closed as accepted elsewhere); `ola` has open
    offers and invitations from both. The pools hold fresh targets, one per command tried.
    """

    app: PipelineApplication
    fl: ForumList
    kari: UUID
    ola: UUID
    applicants_round: UUID
    offering_round: UUID
    interviewed: list[UUID]
    offered: list[UUID]
    fresh_shared: list[UUID]
    hidden: list[str] = field(default_factory=list)  # names and e-mails never to be shared
    people: list[str] = field(default_factory=list)  # every candidate's name and e-mail

    # --- fresh targets -------------------------------------------------------------------

    def shared(self) -> UUID:
        return self.fresh_shared.pop()

    def candidate(self) -> UUID:
        return self.app.register_candidate(RECRUITER, "Ny Kandidat", "ny@example.no").id

    def student(self) -> UUID:
        """A student Rana met on placement, with no contact details yet."""
        return self.app.register_student(municipal(OWN), ContactKind.PLACEMENT).id

    def applicant(self) -> UUID:
        cid = self.candidate()
        self.app.submit_lis1_application(
            RECRUITER, cid, self.applicants_round, CareerPreference.GENERAL_PRACTICE, [], True
        )
        return cid

    def round(self, status: RoundStatus | None = None, final: bool = False) -> UUID:
        rid = self.app.open_round(RECRUITER, "LIS1 test", {"rana": 1}, 0, in_days(30)).id
        if status is not None or final:
            self.app.advance_round(RECRUITER, rid, status or RoundStatus.OFFERING)
        if final:
            self.app.finalise_round_list(RECRUITER, rid)
        return rid

    def invitation(self, answer: InvitationAnswer | None = None) -> str:
        when = datetime.now(UTC) + timedelta(days=5)
        _, invitation = self.app.invite(
            municipal(OWN), self.ola, OWN, InvitationKind.INTERVIEW, [when]
        )
        if answer is not None:
            self.app.answer_invitation(municipal(OWN), self.ola, invitation, answer)
        return invitation

    def rana_offer(self, cid: UUID) -> str:
        return offer(self.app, self.fl, cid, OWN)

    def rana_subscription(self) -> UUID:
        saved, _ = self.app.subscribe_webhook(municipal(OWN), RANA_HOOK, ["lis3_offered"])
        return saved.id

    def recruited_by_rana_in_lis1(self) -> UUID:
        cid = self.shared()
        self.app.accept_lis3_offer(municipal(OWN), cid, self.rana_offer(cid))
        self.app.start_lis1(RECRUITER, cid)
        return cid

    def in_lis3_in_rana(self) -> UUID:
        """A doctor of Rana's whose milestone 2 is the start of LIS3 (Rana's to correct): from
        a round that does not know LIS1's end, so that LIS3 may start today."""
        fl = forum_list(self.app, shared=1, knows_lis1_start=False)
        (cid,) = fl.shared
        self.app.accept_lis3_offer(municipal(OWN), cid, offer(self.app, fl, cid, OWN))
        self.app.start_lis1(RECRUITER, cid)
        self.app.start_lis3(municipal(OWN), cid)
        return cid


def offer(app: PipelineApplication, fl: ForumList, cid: UUID, number: str) -> str:
    supervisor = RANA_SUPERVISOR if number == RANA else VEFSN_SUPERVISOR
    terms = lis3_terms(supervisor=supervisor)
    _, offer_id = app.offer_lis3(municipal(number), cid, number, fl.lis3_start, terms, in_days(30))
    return offer_id


def prepare(api: Api, fresh: int) -> Scenario:
    app = api.services.core.app
    fl = forum_list(app, shared=2 + fresh)
    kari, ola, *pool = fl.shared
    kari_rana = offer(app, fl, kari, RANA)
    offer(app, fl, kari, VEFSN)
    app.accept_lis3_offer(municipal(RANA), kari, kari_rana)
    app.start_lis1(RECRUITER, kari)  # one of Rana's doctors, in LIS1
    app.subscribe_webhook(municipal(RANA), RANA_HOOK, ["lis3_offer_accepted"])
    # A student Rana met on placement, who consents to be presented to the forum.
    details = ("Student Matrise", "student.matrise@example.no", None)
    student = app.register_student(municipal(RANA), ContactKind.PLACEMENT, None, details).id
    app.give_consent(FORUM_ACTOR, student, ConsentPurpose.FORUM_SHARING, 1)
    for number in (RANA, VEFSN):
        offer(app, fl, ola, number)
        app.invite(municipal(number), ola, number, InvitationKind.TOUR, [datetime.now(UTC)])

    applicants_round = app.open_round(RECRUITER, "LIS1 åpen", {"rana": 9}, 2, in_days(30)).id
    offering_round = app.open_round(
        RECRUITER, "LIS1 tilbud", {"rana": 3 * len(ROLES)}, 0, in_days(30)
    ).id
    waiting: list[UUID] = []
    for _ in range(3 * len(ROLES)):
        cid = app.register_candidate(RECRUITER, "Søker", "soker@example.no").id
        app.submit_lis1_application(
            RECRUITER, cid, offering_round, CareerPreference.UNDECIDED, [], True
        )
        app.record_lis1_interview(RECRUITER, cid, "Overlege Test", 3, INTERVIEW_NOTES)
        waiting.append(cid)
    app.advance_round(RECRUITER, offering_round, RoundStatus.OFFERING)
    offered = waiting[len(ROLES) :]
    for cid in offered:
        last = app.offer_lis1(RECRUITER, cid, "rana", False, in_days(14))
    api.services.core.wait_for(last)
    return Scenario(
        app, fl, kari, ola, applicants_round, offering_round, waiting[: len(ROLES)], offered, pool
    )


# --- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any] | None = None


Build = Callable[[Scenario, str], Call]


@dataclass(frozen=True)
class Row:
    method: str
    route: str
    allowed: frozenset[str]
    build: Build
    status: int = 200
    variants: tuple[str, ...] = ("",)
    data: bool = True  # False for the API's own description, which names every field
    # The person's own data in full (GDPR art. 15), made on their behalf: the role's filters
    # (e.g. no LIS3 terms for the hospital) do not apply to what is handed to the person.
    subject_access: bool = False


def get(path: Callable[[Scenario], str]) -> Build:
    return lambda s, _: Call(path(s))


def post(path: Callable[[Scenario], str], body: dict[str, Any] | None = None) -> Build:
    return lambda s, _: Call(path(s), body or {})


def lis3_offer_body(s: Scenario) -> dict[str, Any]:
    return {
        "municipality": OWN,
        "start_date": s.fl.lis3_start.isoformat(),
        "expires_on": in_days(30).isoformat(),
        "terms": {**lis3_terms(supervisor=RANA_SUPERVISOR).as_dict()},
    }


def invitation_body() -> dict[str, Any]:
    when = (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0).isoformat()
    return {"municipality": OWN, "kind": "tour", "proposed_times": [when]}


def answer(s: Scenario, _: str) -> Call:
    invitation = s.invitation()
    return Call(
        f"/forum/candidates/{s.ola}/invitations/{invitation}/answer", {"answer": "accepted"}
    )


def held(s: Scenario, _: str) -> Call:
    invitation = s.invitation(InvitationAnswer.ACCEPTED)
    return Call(f"/forum/candidates/{s.ola}/invitations/{invitation}/held", {})


def offer_action(s: Scenario, action: str) -> Call:
    cid = s.shared()
    return Call(f"/forum/candidates/{cid}/offers/{s.rana_offer(cid)}/{action}", {})


def offered_lis1(s: Scenario, action: str) -> Call:
    return Call(f"/candidates/{s.offered.pop()}/offer/{action}", {})


TABLE = [
    # public
    Row("GET", "/health", EVERYONE, get(lambda s: "/health")),
    Row("GET", "/health/live", EVERYONE, get(lambda s: "/health/live")),
    Row("GET", "/health/ready", EVERYONE, get(lambda s: "/health/ready")),
    Row("GET", "/metrics", EVERYONE, get(lambda s: "/metrics")),
    Row("GET", "/read-models", EVERYONE, get(lambda s: "/read-models")),
    Row("GET", "/reference/municipalities", EVERYONE, get(lambda s: "/reference/municipalities")),
    Row("GET", "/reference/units", EVERYONE, get(lambda s: "/reference/units")),
    Row("GET", "/openapi.json", EVERYONE, get(lambda s: "/openapi.json"), data=False),
    Row("GET", "/docs", EVERYONE, get(lambda s: "/docs"), data=False),
    Row(
        "GET", "/docs/oauth2-redirect", EVERYONE, get(lambda s: "/docs/oauth2-redirect"), data=False
    ),
    Row("GET", "/redoc", EVERYONE, get(lambda s: "/redoc"), data=False),
    # rounds: the hospital's recruiters
    Row(
        "POST",
        "/rounds",
        RECRUITERS,
        post(
            lambda s: "/rounds",
            {
                "name": "LIS1 matrise",
                "positions": {"rana": 2},
                "coupled_positions": 1,
                "application_deadline": in_days(30).isoformat(),
            },
        ),
        201,
    ),
    Row("GET", "/rounds", RECRUITERS, get(lambda s: "/rounds")),
    Row("GET", "/rounds/{round_id}", RECRUITERS, get(lambda s: f"/rounds/{s.fl.round_id}")),
    Row(
        "POST",
        "/rounds/{round_id}/advance",
        RECRUITERS,
        post(lambda s: f"/rounds/{s.round()}/advance", {"status": "interviewing"}),
    ),
    Row(
        "POST",
        "/rounds/{round_id}/finalise",
        RECRUITERS,
        post(lambda s: f"/rounds/{s.round(RoundStatus.OFFERING)}/finalise"),
    ),
    Row(
        "GET",
        "/rounds/{round_id}/ranked",
        RECRUITERS,
        get(lambda s: f"/rounds/{s.fl.round_id}/ranked"),
    ),
    Row(
        "GET",
        "/rounds/{round_id}/funnel",
        RECRUITERS,
        get(lambda s: f"/rounds/{s.fl.round_id}/funnel"),
    ),
    Row(
        "POST",
        "/rounds/{round_id}/forum-list",
        RECRUITERS,
        post(lambda s: f"/rounds/{s.round(final=True)}/forum-list"),
        201,
    ),
    Row(
        "GET",
        "/rounds/{round_id}/coupling",
        RECRUITERS,
        get(lambda s: f"/rounds/{s.fl.round_id}/coupling"),
    ),
    # candidates, steps 1–4: the hospital's recruiters
    Row(
        "POST",
        "/candidates",
        RECRUITERS,
        post(lambda s: "/candidates", {"name": "Matrise Kandidat", "email": "m@example.no"}),
        201,
    ),
    Row("GET", "/candidates", RECRUITERS, get(lambda s: "/candidates")),
    Row("GET", "/candidates/{candidate_id}", RECRUITERS, get(lambda s: f"/candidates/{s.kari}")),
    Row(
        "GET",
        "/candidates/{candidate_id}/timeline",
        RECRUITERS,
        get(lambda s: f"/candidates/{s.kari}/timeline"),
    ),
    # step 1: everyone who meets students early; a municipality for its own students only
    Row(
        "PUT",
        "/candidates/{candidate_id}/contact-details",
        STUDENT_KEEPERS,
        lambda s, _: Call(
            f"/candidates/{s.student()}/contact-details",
            {"name": "Rettet Navn", "email": "rettet@example.no"},
        ),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/contacts",
        STUDENT_KEEPERS,
        post(
            lambda s: f"/candidates/{s.candidate()}/contacts",
            {"kind": "campus_visit", "municipality": OWN},
        ),
    ),
    Row(
        "POST",
        "/students",
        STUDENT_KEEPERS,
        post(lambda s: "/students", {"kind": "placement", "municipality": OWN}),
        201,
    ),
    Row(
        "PUT",
        "/municipalities/{number}/placement-capacity",
        OWN_MUNICIPALITY,
        lambda s, _: Call(
            f"/municipalities/{OWN}/placement-capacity", {"year": 2027, "students": 2}
        ),
    ),
    Row("GET", "/forum/placement-capacity", MUNICIPAL, get(lambda s: "/forum/placement-capacity")),
    Row("GET", "/forum/students", MUNICIPAL, get(lambda s: "/forum/students")),
    Row(
        "POST",
        "/candidates/{candidate_id}/application",
        RECRUITERS,
        lambda s, _: Call(
            f"/candidates/{s.candidate()}/application",
            {
                "round_id": str(s.applicants_round),
                "preference": "general_practice",
                "consent_to_share": True,
            },
        ),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/interviews",
        RECRUITERS,
        post(
            lambda s: f"/candidates/{s.applicant()}/interviews",
            {"interviewer": "Overlege Matrise", "primary_care_interest": 4},
        ),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/offer",
        RECRUITERS,
        post(
            lambda s: f"/candidates/{s.interviewed.pop()}/offer",
            {"unit": "rana", "coupled": False, "answer_by": in_days(14).isoformat()},
        ),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/offer/accept",
        RECRUITERS,
        offered_lis1,
        200,
        ("accept",),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/offer/decline",
        RECRUITERS,
        offered_lis1,
        200,
        ("decline",),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/withdraw",
        RECRUITERS,
        post(lambda s: f"/candidates/{s.candidate()}/withdraw", {"reason": "matrise"}),
    ),
    # erasure (GDPR art. 17): the admin role only
    Row(
        "POST",
        "/candidates/{candidate_id}/erasure",
        frozenset({ADMIN}),
        post(lambda s: f"/candidates/{s.candidate()}/erasure", {"reason": "matrise"}),
    ),
    # consent: the hospital or the forum records its withdrawal
    Row(
        "POST",
        "/candidates/{candidate_id}/consent/withdraw",
        CONSENT_KEEPERS,
        post(lambda s: f"/candidates/{s.shared()}/consent/withdraw"),
    ),
    # retention milestones: the hospital, the forum, the doctor's own municipality
    Row(
        "POST",
        "/candidates/{candidate_id}/milestones",
        CAREER,
        post(
            lambda s: f"/candidates/{s.recruited_by_rana_in_lis1()}/milestones",
            {"kind": "lis3_started"},
        ),
    ),
    Row(
        "POST",
        "/candidates/{candidate_id}/milestones/{number}/correction",
        CAREER,
        post(
            lambda s: f"/candidates/{s.in_lis3_in_rana()}/milestones/2/correction",
            {"happened_on": datetime.now(UTC).date().isoformat(), "reason": "Feil dato"},
        ),
    ),
    # a municipality's own doctors; the forum all; the hospital their LIS1 milestones
    Row(
        "GET",
        "/municipalities/{number}/doctors",
        OWN_MUNICIPALITY,
        get(lambda s: f"/municipalities/{OWN}/doctors"),
    ),
    Row(
        "GET",
        "/municipalities/{number}/doctors/{candidate_id}",
        OWN_MUNICIPALITY,
        get(lambda s: f"/municipalities/{OWN}/doctors/{s.kari}"),
    ),
    Row(
        "GET",
        "/candidates/{candidate_id}/milestones",
        frozenset({HOSPITAL, FORUM, ADMIN}),
        get(lambda s: f"/candidates/{s.kari}/milestones"),
    ),
    # the municipal side
    Row("GET", "/forum/candidates", MUNICIPAL, get(lambda s: "/forum/candidates")),
    Row(
        "GET",
        "/forum/candidates/{candidate_id}",
        MUNICIPAL,
        get(lambda s: f"/forum/candidates/{s.kari}"),
    ),
    Row("GET", "/forum/board", MUNICIPAL, get(lambda s: "/forum/board")),
    # GP posts: a municipality reports its own (the forum any); every municipality reads them
    Row(
        "POST",
        "/municipalities/{number}/gp-posts",
        OWN_MUNICIPALITY,
        post(
            lambda s: f"/municipalities/{OWN}/gp-posts",
            {
                "as_of": in_days(0).isoformat(),
                "total": 26,
                "vacant": 2,
                "held_by_locums": 1,
                "retirements_expected": 3,
            },
        ),
        201,
    ),
    Row(
        "GET",
        "/municipalities/{number}/gp-posts",
        MUNICIPAL,
        get(lambda s: f"/municipalities/{OWN}/gp-posts"),
    ),
    Row(
        "POST",
        "/forum/candidates/{candidate_id}/invitations",
        OWN_MUNICIPALITY,
        lambda s, _: Call(f"/forum/candidates/{s.ola}/invitations", invitation_body()),
        201,
    ),
    Row(
        "POST",
        "/forum/candidates/{candidate_id}/invitations/{invitation_id}/answer",
        OWN_MUNICIPALITY,
        answer,
    ),
    Row(
        "POST",
        "/forum/candidates/{candidate_id}/invitations/{invitation_id}/held",
        OWN_MUNICIPALITY,
        held,
    ),
    Row(
        "POST",
        "/forum/candidates/{candidate_id}/offers",
        OWN_MUNICIPALITY,
        lambda s, _: Call(f"/forum/candidates/{s.shared()}/offers", lis3_offer_body(s)),
        201,
    ),
    Row(
        "POST",
        "/forum/candidates/{candidate_id}/offers/{offer_id}/{action}",
        OWN_MUNICIPALITY,
        offer_action,
        200,
        ("accept", "decline", "withdraw"),
    ),
    Row(
        "GET",
        "/municipalities/{number}/invitations",
        OWN_MUNICIPALITY,
        get(lambda s: f"/municipalities/{OWN}/invitations"),
    ),
    Row(
        "GET",
        "/municipalities/{number}/offers",
        OWN_MUNICIPALITY,
        get(lambda s: f"/municipalities/{OWN}/offers"),
    ),
    Row(
        "GET",
        "/municipalities/{number}/recruited",
        OWN_MUNICIPALITY,
        get(lambda s: f"/municipalities/{OWN}/recruited"),
    ),
    # webhooks: every organisation subscribes, lists and unsubscribes for itself only
    Row(
        "POST",
        "/webhooks/subscriptions",
        SUBSCRIBERS,
        post(
            lambda s: "/webhooks/subscriptions",
            {"url": "https://matrise.example/hook", "event_types": ["forum_list_sent"]},
        ),
        201,
    ),
    Row("GET", "/webhooks/subscriptions", SUBSCRIBERS, get(lambda s: "/webhooks/subscriptions")),
    Row(
        "DELETE",
        "/webhooks/subscriptions/{subscription_id}",
        frozenset({MUNICIPALITY_OWN}),
        lambda s, _: Call(f"/webhooks/subscriptions/{s.rana_subscription()}"),
    ),
    # privacy: consent texts for everyone signed in; consents as above; the access log for
    # administrators; a person's export for administrators and the recruiters of their round
    Row("GET", "/consent-texts", EVERYONE, get(lambda s: "/consent-texts")),
    Row(
        "POST",
        "/candidates/{candidate_id}/consents",
        CONSENT_KEEPERS,
        post(
            lambda s: f"/candidates/{s.candidate()}/consents",
            {"purpose": "evaluation_contact", "version": 1, "given": True},
        ),
    ),
    Row("GET", "/access-log", frozenset({ADMIN}), get(lambda s: f"/access-log?candidate={s.kari}")),
    Row(
        "GET",
        "/candidates/{candidate_id}/export",
        RECRUITERS,
        get(lambda s: f"/candidates/{s.kari}/export"),
        subject_access=True,
    ),
    # evaluation: NSDM's evaluators
    Row("GET", "/evaluation/funnel", EVALUATORS, get(lambda s: "/evaluation/funnel")),
    Row("GET", "/evaluation/retention", EVALUATORS, get(lambda s: "/evaluation/retention")),
    Row("GET", "/evaluation/cycles", EVALUATORS, get(lambda s: "/evaluation/cycles")),
    Row("GET", "/evaluation/coupling", EVALUATORS, get(lambda s: "/evaluation/coupling")),
    Row("GET", "/evaluation/vacancy", EVALUATORS, get(lambda s: "/evaluation/vacancy")),
    Row("GET", "/evaluation/cohort", EVALUATORS, get(lambda s: "/evaluation/cohort")),
    Row(
        "GET",
        "/evaluation/plots/survival.png",
        EVALUATORS,
        get(lambda s: "/evaluation/plots/survival.png"),
    ),
    Row(
        "GET",
        "/evaluation/plots/funnel.png",
        EVALUATORS,
        get(lambda s: "/evaluation/plots/funnel.png"),
    ),
]


def personal_data_routes(app: FastAPI) -> set[tuple[str, str]]:
    """The routes that declare they answer with personal data (they take `PersonalData`)."""
    found: set[tuple[str, str]] = set()

    def declares(dependant: Dependant) -> bool:
        return any(d.call is personal_data or declares(d) for d in dependant.dependencies)

    def walk(routes: Sequence[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                if declares(route.dependant):
                    found.update((m, route.path) for m in route.methods or ())
            elif (inner := getattr(route, "original_router", None)) is not None:
                walk(inner.routes)

    walk(app.routes)
    return found


def access_entries(api: Api, person: str, route: str) -> list[Any]:
    with api.services.core.engine.connect() as conn:
        query = select(access_log).where(access_log.c.person == person, access_log.c.route == route)
        return list(conn.execute(query.order_by(access_log.c.id)).all())


def endpoints(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, through included routers, without HEAD."""
    found: set[tuple[str, str]] = set()

    def walk(routes: Sequence[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, PageRoute | Mount):
                continue  # pages have their own table (PAGES, below); static files no data
            if isinstance(route, Route):
                found.update((m, route.path) for m in route.methods or () if m != "HEAD")
                continue
            # FastAPI keeps an included router as one route that wraps the original router.
            inner = getattr(route, "original_router", None)
            assert inner is not None, f"a kind of route this test does not know: {route!r}"
            walk(inner.routes)

    walk(app.routes)
    documented = {
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    }
    assert documented <= found, documented - found
    return found


# --- what each role must never receive ---------------------------------------------------


def leaks(role: str, s: Scenario, body: Any, text: str) -> list[str]:
    """What in this answer the role may not see."""
    found: list[str] = []
    hospital_only = (INTERVIEW_NOTES, "interview_score", "primary_care_interest")
    if role in (MUNICIPALITY_OWN, MUNICIPALITY_OTHER, FORUM):
        found += [f"hospital data {w!r}" for w in hospital_only if w in text]
        found += [f"unshared candidate {w!r}" for w in s.hidden if w in text]
    if role != MUNICIPALITY_OWN and RANA_HOOK in text:
        found.append("Rana's webhook subscription")
    if role == MUNICIPALITY_OWN:
        found += [f"Vefsn's terms ({VEFSN_SUPERVISOR})"] if VEFSN_SUPERVISOR in text else []
    if role == MUNICIPALITY_OTHER:
        found += [f"Rana's terms ({RANA_SUPERVISOR})"] if RANA_SUPERVISOR in text else []
    if role in (MUNICIPALITY_OWN, MUNICIPALITY_OTHER):
        _, mine, _ = ROLES[role]
        for item in _objects(body):
            if "terms" in item and item.get("municipality") != mine and item["terms"] is not None:
                found.append(f"terms of {item.get('municipality')}'s offer")
            if item.get("recruited_by") not in (None, mine):
                found.append(f"recruited_by {item['recruited_by']}")
    if role == HOSPITAL:
        for word in ("training_share", "pay_model", RANA_SUPERVISOR, VEFSN_SUPERVISOR):
            found += [f"LIS3 terms {word!r}"] if word in text else []
    if role == EVALUATOR:
        found += [f"hospital data {w!r}" for w in hospital_only if w in text]
        found += [f"personal data {w!r}" for w in s.hidden if w in text]
        found += [f"personal data {w!r}" for w in ("@ex.no", "@example.no", "Lege ") if w in text]
    return found


def _objects(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value, *(o for v in value.values() for o in _objects(v))]
    if isinstance(value, list):
        return [o for v in value for o in _objects(v)]
    return []


# --- the test ------------------------------------------------------------------------------


async def test_every_endpoint_for_every_role(api: Api) -> None:
    served = endpoints(api.app)
    table = {(row.method, row.route) for row in TABLE}
    assert len(table) == len(TABLE), "a route has two rows"
    assert served - table == set(), "routes without a row in the access table"
    assert table - served == set(), "rows for routes the app does not serve"

    personal = personal_data_routes(api.app)
    assert personal <= table, personal - table
    # The walk finds the declarations (were it blind, every check below would pass vacuously).
    assert {("GET", "/candidates/{candidate_id}"), ("GET", "/forum/board")} <= personal
    s = prepare(api, fresh=SHARED_TARGETS)
    s.hidden = await hidden_people(api, s)
    s.people = everyone(api)
    headers = {
        role: api.auth(r, person=f"matrix-{role}", organisation=o, municipality=m)
        for role, (r, m, o) in ROLES.items()
    }

    problems: list[str] = []
    for row in TABLE:
        for variant in row.variants:
            call: Call | None = None
            for role in ROLES:
                # A target is used until a role succeeds with it: a refusal leaves it as it was.
                call = call or row.build(s, variant)
                before = api.log_position()
                person = f"matrix-{role}"
                logged = len(access_entries(api, person, row.route))
                response = await api.client.request(
                    row.method, call.path, json=call.body, headers=headers[role]
                )
                where = f"{row.method} {call.path} as {role}"
                problems += access_problems(
                    api, row, call, person, logged, response, (row.method, row.route) in personal
                )
                if response.is_success:
                    call = None
                expected = row.status if role in row.allowed else 403
                tried_with_token = row.method == "GET" or role not in row.allowed
                if row.route == "/logg-ut":
                    tried_with_token = True
                if tried_with_token and response.status_code != expected:
                    problems.append(
                        f"{where}: {response.status_code}, not {expected}: {response.text[:200]}"
                    )
                if role not in row.allowed and api.log_position() != before:
                    problems.append(f"{where}: refused, yet something was written")
                if response.status_code == 403 and response.headers["content-type"] != PROBLEM:
                    problems.append(f"{where}: a 403 that is not a problem document")
                text = response.content.decode("utf-8", "replace")
                is_json = "json" in response.headers.get("content-type", "")
                body = response.json() if is_json else None
                if row.data and not row.subject_access:
                    problems += [f"{where}: {leak}" for leak in leaks(role, s, body, text)]
                shown = [w for w in s.people if w in text]
                if row.data and (row.method, row.route) not in personal and shown:
                    problems.append(f"{where}: personal data {shown[:2]} from an undeclared route")
    assert problems == [], "\n".join(problems)

    # The forum and Rana do see what the others may not.
    board = (await api.client.get("/forum/board", headers=headers[FORUM])).text
    assert RANA_SUPERVISOR in board
    assert VEFSN_SUPERVISOR in board
    own = (await api.client.get("/forum/board", headers=headers[MUNICIPALITY_OWN])).text
    assert RANA_SUPERVISOR in own
    hooks = (
        await api.client.get("/webhooks/subscriptions", headers=headers[MUNICIPALITY_OWN])
    ).text
    assert RANA_HOOK in hooks
    timeline = (
        await api.client.get(f"/candidates/{s.kari}/timeline", headers=headers[HOSPITAL])
    ).text
    assert INTERVIEW_NOTES in timeline


def access_problems(
    api: Api,
    row: Row,
    call: Call,
    person: str,
    logged: int,
    response: httpx.Response,
    declared: bool,
) -> list[str]:
    """A route declaring personal data logs each successful read (one entry, naming the
    candidates read); a route that does not declare it shows nobody's name or e-mail."""
    where = f"{row.method} {call.path} as {person}"
    entries = access_entries(api, person, row.route)
    if not declared:
        if len(entries) != logged:
            return [f"{where}: an access-log entry from a route that does not declare it"]
        return []
    if not response.is_success:
        return [f"{where}: refused, yet logged"] if len(entries) != logged else []
    if len(entries) != logged + 1:
        return [f"{where}: {len(entries) - logged} access-log entries, not 1"]
    entry = entries[-1]
    found = []
    if not entry.candidate_ids:
        found.append(f"{where}: an access-log entry naming no candidate")
    named = [part for part in call.path.split("/") if len(part) == 36]
    if row.route.startswith("/candidates/{candidate_id}") and named[0] not in entry.candidate_ids:
        found.append(f"{where}: the entry does not name the candidate read")
    if entry.method != row.method:
        found.append(f"{where}: the entry's method is {entry.method}")
    return found


def everyone(api: Api) -> list[str]:
    """Every candidate's name and e-mail in the store."""
    with api.services.core.engine.connect() as conn:
        rows = conn.execute(select(candidates.c.name, candidates.c.email)).all()
    return [value for row in rows for value in row if value]


async def hidden_people(api: Api, s: Scenario) -> list[str]:
    """Names and e-mails of the candidates who were never shared."""
    found: list[str] = []
    for cid in s.fl.not_shared:
        candidate = await api.services.hospital.candidate(cid)
        assert candidate is not None
        assert candidate.name is not None
        assert candidate.email is not None
        found += [candidate.name, candidate.email]
    return found


# --- the pages ---------------------------------------------------------------------------
# The same rules as the API's, signed in through the demo sign-in: a page a role may not read
# is the Norwegian 403 page; a form a role may not send is refused and writes nothing.

PUBLIC_PAGES = {"/", "/logg-inn", "/meg", "/demo/logg-inn", "/logg-inn/oidc", "/logg-inn/tilbake"}
# Pages whose credential is a signed link, not a role: the candidate's answer page. Every role,
# and nobody signed in, gets the same answer for a link that is not valid (below); a valid
# link's journey is `tests/integration/test_answer_links.py`.
LINK_PAGES = {("GET", "/svar/{token}"), ("POST", "/svar/{token}")}
PageBuild = Callable[[Scenario], str]


@dataclass(frozen=True)
class PageRow:
    method: str
    route: str
    allowed: frozenset[str]
    path: PageBuild
    status: int = 200
    subject_access: bool = False  # the person's own data in full (see `Row`)


def _page(
    route: str, allowed: frozenset[str], path: PageBuild, subject_access: bool = False
) -> PageRow:
    return PageRow("GET", route, allowed, path, 200, subject_access)


def _form(route: str, allowed: frozenset[str], path: PageBuild, status: int = 303) -> PageRow:
    return PageRow("POST", route, allowed, path, status)


R = f"/kommune/{OWN}"


def candidate_form(action: str) -> PageBuild:
    return lambda s: f"/sykehus/kandidater/{s.candidate()}/{action}"


def rana_offer_page(s: Scenario, action: str) -> str:
    cid = s.shared()
    return f"{R}/kandidater/{cid}/tilbud/{s.rana_offer(cid)}/{action}"


PAGES = [
    _page("/sykehus/runder", RECRUITERS, lambda s: "/sykehus/runder"),
    _page("/sykehus/runder/{round_id}", RECRUITERS, lambda s: f"/sykehus/runder/{s.fl.round_id}"),
    _page("/sykehus/kandidater", RECRUITERS, lambda s: "/sykehus/kandidater?navn=a"),
    _page("/sykehus/kandidater/ny", RECRUITERS, lambda s: "/sykehus/kandidater/ny"),
    _page(
        "/sykehus/kandidater/{candidate_id}", RECRUITERS, lambda s: f"/sykehus/kandidater/{s.kari}"
    ),
    _page("/kommune", MUNICIPAL, lambda s: "/kommune"),
    _page("/kommune/{number}", OWN_MUNICIPALITY, lambda s: f"{R}?tidligere=ja"),
    _page(
        "/kommune/{number}/kandidater/{candidate_id}",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/kandidater/{s.ola}",
    ),
    _page("/kommune/{number}/tilbud", OWN_MUNICIPALITY, lambda s: f"{R}/tilbud"),
    _page("/kommune/{number}/rekruttert", OWN_MUNICIPALITY, lambda s: f"{R}/rekruttert"),
    _page("/kommune/{number}/leger", OWN_MUNICIPALITY, lambda s: f"{R}/leger"),
    _page(
        "/kommune/{number}/leger/{candidate_id}",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/leger/{s.kari}",
    ),
    _page("/kommune/{number}/fastlegehjemler", OWN_MUNICIPALITY, lambda s: f"{R}/fastlegehjemler"),
    _page("/forum-tavle", MUNICIPAL, lambda s: "/forum-tavle"),
    _page("/evaluering", EVALUATORS, lambda s: "/evaluering"),
    _page("/evaluering/overlevelse.png", EVALUATORS, lambda s: "/evaluering/overlevelse.png"),
    _page("/evaluering/kohort.csv", EVALUATORS, lambda s: "/evaluering/kohort.csv"),
    _page("/evaluering/rapport.html", EVALUATORS, lambda s: "/evaluering/rapport.html"),
    _form("/sykehus/runder", RECRUITERS, lambda s: "/sykehus/runder"),
    _form(
        "/sykehus/runder/{round_id}/videre",
        RECRUITERS,
        lambda s: f"/sykehus/runder/{s.round()}/videre",
    ),
    _form(
        "/sykehus/runder/{round_id}/endelig",
        RECRUITERS,
        lambda s: f"/sykehus/runder/{s.round()}/endelig",
    ),
    _form(
        "/sykehus/runder/{round_id}/til-forumet",
        RECRUITERS,
        lambda s: f"/sykehus/runder/{s.round(final=True)}/til-forumet",
    ),
    _form("/sykehus/kandidater", RECRUITERS, lambda s: "/sykehus/kandidater"),
    *(
        _form(
            f"/sykehus/kandidater/{{candidate_id}}/{action}",
            RECRUITERS,
            candidate_form(action),
        )
        for action in (
            "kontaktopplysninger",
            "kontakt",
            "soknad",
            "intervju",
            "tilbud",
            "tilbud/ja",
            "tilbud/nei",
            "trekk",
        )
    ),
    _form(
        "/kommune/{number}/kandidater/{candidate_id}/invitasjoner",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/kandidater/{s.ola}/invitasjoner",
    ),
    _form(
        "/kommune/{number}/kandidater/{candidate_id}/tilbud",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/kandidater/{s.ola}/tilbud",
    ),
    _form(
        "/kommune/{number}/kandidater/{candidate_id}/tilbud/{offer_id}/{action}",
        OWN_MUNICIPALITY,
        lambda s: rana_offer_page(s, "withdraw"),
    ),
    _form(
        "/kommune/{number}/kandidater/{candidate_id}/invitasjoner/{invitation_id}/svar",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/kandidater/{s.ola}/invitasjoner/{s.invitation()}/svar",
    ),
    _form(
        "/kommune/{number}/kandidater/{candidate_id}/invitasjoner/{invitation_id}/holdt",
        OWN_MUNICIPALITY,
        lambda s: (
            f"{R}/kandidater/{s.ola}/invitasjoner/{s.invitation(InvitationAnswer.ACCEPTED)}/holdt"
        ),
    ),
    _form("/sykehus/kandidater/{candidate_id}/samtykke", RECRUITERS, candidate_form("samtykke")),
    # webhook subscriptions: the municipality's own (they belong to its organisation)
    _page("/kommune/{number}/varsler", frozenset({MUNICIPALITY_OWN}), lambda s: f"{R}/varsler"),
    _form("/kommune/{number}/varsler", frozenset({MUNICIPALITY_OWN}), lambda s: f"{R}/varsler"),
    _form(
        "/kommune/{number}/varsler/{subscription_id}/slett",
        frozenset({MUNICIPALITY_OWN}),
        lambda s: f"{R}/varsler/{s.rana_subscription()}/slett",
    ),
    # privacy: erasure and the access log for administrators; the export as the API's
    _page("/personvern", frozenset({ADMIN}), lambda s: "/personvern"),
    _page(
        "/personvern/kandidater/{candidate_id}/sletting",
        frozenset({ADMIN}),
        lambda s: f"/personvern/kandidater/{s.kari}/sletting",
    ),
    _form(
        "/personvern/kandidater/{candidate_id}/sletting",
        frozenset({ADMIN}),
        lambda s: f"/personvern/kandidater/{s.candidate()}/sletting",
        200,
    ),
    _form(
        "/personvern/kandidater/{candidate_id}/sletting/bekreft",
        frozenset({ADMIN}),
        lambda s: f"/personvern/kandidater/{s.candidate()}/sletting/bekreft",
    ),
    _page(
        "/personvern/tilgangslogg",
        frozenset({ADMIN}),
        lambda s: f"/personvern/tilgangslogg?kandidat={s.kari}&fra={in_days(-1)}",
    ),
    _page(
        "/sykehus/kandidater/{candidate_id}/innsyn.{kind}",
        RECRUITERS,
        lambda s: f"/sykehus/kandidater/{s.kari}/innsyn.html",
        subject_access=True,
    ),
    _form(
        "/kommune/{number}/leger/{candidate_id}/milepeler",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/leger/{s.kari}/milepeler",
    ),
    _form(
        "/kommune/{number}/leger/{candidate_id}/korrigering",
        OWN_MUNICIPALITY,
        lambda s: f"{R}/leger/{s.kari}/korrigering",
    ),
    _form("/kommune/{number}/fastlegehjemler", OWN_MUNICIPALITY, lambda s: f"{R}/fastlegehjemler"),
    _form("/logg-ut", EVERYONE, lambda s: "/logg-ut"),
]


def page_routes(app: FastAPI) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()

    def walk(routes: Sequence[BaseRoute]) -> None:
        for route in routes:
            if isinstance(route, PageRoute):
                found.update((m, route.path) for m in route.methods or () if m != "HEAD")
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)

    walk(app.routes)
    return found


async def test_every_page_for_every_role(api: Api) -> None:
    served = page_routes(api.app)
    table = {(row.method, row.route) for row in PAGES}
    assert len(table) == len(PAGES), "a page has two rows"
    public = {("GET", p) for p in PUBLIC_PAGES} | LINK_PAGES
    assert served - table - public == set(), "pages without a row"
    assert served >= LINK_PAGES
    assert table - served == set(), "rows for pages the app does not serve"

    s = prepare(api, fresh=4)
    s.hidden = await hidden_people(api, s)
    clients = {}
    for role, (r, number, _) in ROLES.items():
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api.app), base_url="http://test"
        )
        query = f"rolle={r}" + (f"&kommune={number}" if number else "")
        signed_in = await client.get(f"/demo/logg-inn?{query}")
        assert signed_in.status_code == 303, signed_in.text
        clients[role] = client

    problems: list[str] = []
    try:
        for row in PAGES:
            path = row.path(s)  # allowed roles only try a form without its token: refused
            for role, client in clients.items():
                before = api.log_position()
                if row.method == "GET":
                    response = await client.get(path, headers={"accept": "text/html"})
                else:
                    # A form without its CSRF token is refused for everyone, writing nothing.
                    response = await client.post(path, data={})
                    if response.status_code != 403:
                        problems.append(
                            f"POST {path} as {role} without CSRF: {response.status_code}"
                        )
                    page = await client.get("/", headers={"accept": "text/html"})
                    token = page.text.split('name="csrf" value="')[1].split('"')[0]
                    if role not in row.allowed or row.route == "/logg-ut":
                        response = await client.post(path, data={"csrf": token})
                where = f"{row.method} {path} as {role}"
                expected = row.status if role in row.allowed else 403
                if row.method == "GET" and row.route == "/kommune" and role == MUNICIPALITY_OWN:
                    expected = 303
                if row.method == "GET" and row.route == "/kommune" and role == MUNICIPALITY_OTHER:
                    expected = 303
                tried_with_token = row.method == "GET" or role not in row.allowed
                if row.route == "/logg-ut":
                    tried_with_token = True
                if tried_with_token and response.status_code != expected:
                    problems.append(f"{where}: {response.status_code}, not {expected}")
                if role not in row.allowed:
                    if api.log_position() != before:
                        problems.append(f"{where}: refused, yet something was written")
                    if "Ingen tilgang" not in response.text or 'lang="nb"' not in response.text:
                        problems.append(f"{where}: not the Norwegian 403 page")
                if (
                    row.method == "GET"
                    and not row.subject_access
                    and response.headers.get("content-type", "").startswith(
                        ("text/html", "text/csv")
                    )
                ):
                    problems += [f"{where}: {leak}" for leak in leaks(role, s, None, response.text)]
                if row.route == "/logg-ut":  # signed out: sign in again for the next rows
                    r, number, _ = ROLES[role]
                    query = f"rolle={r}" + (f"&kommune={number}" if number else "")
                    await client.get(f"/demo/logg-inn?{query}")
    finally:
        for client in clients.values():
            await client.aclose()
    assert problems == [], "\n".join(problems)

    # Without a session a page sends the browser to sign in; the API still answers 401.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://test"
    ) as anonymous:
        page = await anonymous.get("/sykehus/runder")
        assert page.status_code == 303
        assert page.headers["location"] == "/logg-inn"
        assert (await anonymous.get("/rounds")).status_code == 401
        missing = await anonymous.get("/finnes-ikke", headers={"accept": "text/html"})
        assert missing.status_code == 404
        assert "Fant ikke siden" in missing.text
        api_missing = await anonymous.get("/finnes-ikke", headers={"accept": "application/json"})
        assert api_missing.headers["content-type"] == PROBLEM


async def test_the_answer_page_takes_a_signed_link_not_a_role(api: Api) -> None:
    """A role, a session or an unsigned link opens nothing: the page answers 400 to all."""
    forged = "v1.eyJjIjoiMSIsImkiOiIyIiwibSI6IjE4MzMiLCJwIjoib2ZmZXIiLCJ4Ijo5OTk5OTk5OTk5fQ.AAAA"
    signed_in: list[tuple[str, str | None]] = [
        (f"rolle={r}" + (f"&kommune={number}" if number else ""), role)
        for role, (r, number, _) in ROLES.items()
    ]
    for query, role in [*signed_in, ("", "anonymous")]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api.app), base_url="http://test"
        ) as client:
            if query:
                assert (await client.get(f"/demo/logg-inn?{query}")).status_code == 303
            before = api.log_position()
            opened = await client.get(f"/svar/{forged}", headers={"accept": "text/html"})
            assert opened.status_code == 400, role
            assert "Lenken er ugyldig" in opened.text
            if query:  # the sign-out form carries the session's CSRF token
                page = await client.get("/", headers={"accept": "text/html"})
                token = page.text.split('name="csrf" value="')[1].split('"')[0]
                sent = await client.post(f"/svar/{forged}", data={"csrf": token, "svar": "accept"})
                assert sent.status_code == 400, role
            else:
                sent = await client.post(f"/svar/{forged}", data={"svar": "accept"})
                assert sent.status_code == 403  # no CSRF token: refused before the link
            assert api.log_position() == before, f"{role}: refused, yet something was written"
