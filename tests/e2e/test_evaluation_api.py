"""NSDM's evaluation and the retention milestones over HTTP, on SQLite and on PostgreSQL.

The evaluation tests read the demo story (seeded once per backend, read-only afterwards) at two
dates; every body an evaluator receives is searched for the demo's names, e-mail addresses and
free-text notes. The milestone tests walk their own doctors there over HTTP.
"""

from __future__ import annotations

import copy
import csv
import io
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from asgi_lifespan import LifespanManager
from helgeland_contracts.evaluation_v1 import CohortRow
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.demo import seed_demo
from helgeland_pipeline.domain.career import career_id
from helgeland_pipeline.domain.common import Role, programme_day
from helgeland_pipeline.evaluation.anonymity import QUASI_IDENTIFIERS
from helgeland_pipeline.readside.hospital.tables import candidates as hospital_candidates
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.conftest import sqlite_settings
from tests.e2e.api import PROBLEM, Api, iso_days, settle_after_commands

PNG = b"\x89PNG\r\n\x1a\n"
MIN_CELL = 5  # HELGELAND_EVALUATION_MIN_CELL's default
EVALUATION = (
    "/evaluation/funnel",
    "/evaluation/retention",
    "/evaluation/cycles",
    "/evaluation/cohort",
    "/evaluation/plots/survival.png",
    "/evaluation/plots/funnel.png",
)
GROUPINGS = (
    "all",
    "round",
    "year",
    "municipality",
    "centrality_class",
    "population_group",
    "local_connection",
    "preference",
)
# Free text in the log: interview notes and interviewers, reasons for withdrawing, notes on
# leaving, supervisors. (A `reason` on a Career event is a coded leaving reason, not free text.)
FREE_TEXT = ("notes", "note", "reason", "interviewer", "supervisor")
RANA, VEFSN = "1833", "1824"
TERMS = {
    "supervisor": "Fastlege Veileder Hansen",
    "supervision_group": "ALIS Helgeland",
    "pay_model": "fixed_salary",
    "list_length": 700,
    "out_of_hours_share": 15,
    "training_share": 20,
}


def iso(moment: datetime) -> str:
    return moment.isoformat()


def evaluator(api: Api) -> dict[str, str]:
    return api.auth(Role.EVALUATOR, person="e2e-evaluator", organisation="NSDM")


def municipality(api: Api, number: str) -> dict[str, str]:
    return api.auth(
        Role.MUNICIPALITY, person=f"e2e-{number}", organisation=number, municipality=number
    )


# --- the demo, seeded once per backend ------------------------------------------------------


@dataclass(frozen=True)
class DemoStore:
    settings: Settings
    personal: frozenset[str]  # names, e-mail addresses, phone numbers and free text
    candidate_ids: frozenset[str]


def personal_data(services: Services) -> tuple[set[str], set[str]]:
    """What no evaluator may see: from the hospital's read model and the event log."""
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(
                hospital_candidates.c.candidate_id,
                hospital_candidates.c.name,
                hospital_candidates.c.email,
                hospital_candidates.c.phone,
            )
        ).all()
    personal = {v for r in rows for v in (r.name, r.email, r.phone) if v}
    app = services.app
    for notification in app.recorder.select_notifications(start=1, limit=1_000_000):
        event = app.mapper.to_domain_event(notification)
        for name in FREE_TEXT:
            if name == "reason" and type(event).__qualname__.startswith("Career."):
                continue
            value = getattr(event, name, None)
            if isinstance(value, str) and value.strip():
                personal.add(value)
        terms = getattr(event, "terms", None)
        if isinstance(terms, dict) and terms.get("supervisor"):
            personal.add(terms["supervisor"])
    return personal, {str(r.candidate_id) for r in rows}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoStore]:
    """A store holding the demo story, caught up; the tests below only read it."""
    data_dir = tmp_path_factory.mktemp("demo")
    schema: str | None = None
    url = ""
    if request.param == "sqlite":
        settings = sqlite_settings(data_dir)
    else:
        url = request.getfixturevalue("postgres_url")
        schema = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        settings = Settings(database_url=url, database_schema=schema, data_dir=data_dir, demo=True)
    services = build_services(settings)
    try:
        assert seed_demo(services.app)
        services.catch_up()
        personal, ids = personal_data(services)
    finally:
        services.close()
    yield DemoStore(settings, frozenset(personal), frozenset(ids))
    if schema is not None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def demo(demo_store: DemoStore) -> AsyncIterator[Api]:
    """The app over the seeded store, as `api` is over an empty one."""
    app = create_app(demo_store.settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            event_hooks={"response": [settle_after_commands(app)]},
        ) as client:
            yield Api(app, client, demo_store.settings)


def two_dates() -> tuple[datetime, datetime]:
    """Mid-way through the synthetic cohorts, and a month ago (after the demo rounds began)."""
    now = datetime.now(UTC)
    return datetime(now.year - 2, 6, 1, 12, tzinfo=UTC), now - timedelta(days=30)


async def evaluate(api: Api, path: str, **params: Any) -> httpx.Response:
    response = await api.get(path, headers=evaluator(api), **params)
    assert response.status_code == 200, response.text
    return response


def without_known_at(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "known_at"}
    return body


async def test_every_figure_is_as_things_stood_at_as_of(demo: Api) -> None:
    early, late = two_dates()
    for path, params in (
        ("/evaluation/funnel", {}),
        ("/evaluation/funnel", {"group_by": "year"}),
        ("/evaluation/retention", {}),
        ("/evaluation/retention", {"scope": "region", "group_by": "municipality"}),
        ("/evaluation/cycles", {}),
        ("/evaluation/cohort", {}),
    ):
        first = (await evaluate(demo, path, as_of=iso(early), **params)).json()
        other = (await evaluate(demo, path, as_of=iso(late), **params)).json()
        again = (await evaluate(demo, path, as_of=iso(early), **params)).json()
        assert without_known_at(first) != without_known_at(other), path
        assert without_known_at(again) == without_known_at(first), path
        if isinstance(first, dict):
            assert datetime.fromisoformat(first["as_of"]) == early
            # known_at defaults to now.
            known = datetime.fromisoformat(first["known_at"])
            assert abs(known - datetime.now(UTC)) < timedelta(minutes=5)

    funnel = {
        when: (await evaluate(demo, "/evaluation/funnel", as_of=iso(when), group_by="all")).json()
        for when in (early, late)
    }
    counts = {
        when: {s["step"]: s["count"] for s in body["groups"][0]["steps"]}
        for when, body in funnel.items()
    }
    # Where both dates show a count (a count of 1 to k-1 persons is withheld as null).
    shown_both = [s for s in counts[early] if None not in (counts[early][s], counts[late][s])]
    assert len(shown_both) >= len(counts[early]) - 2
    assert all(counts[early][step] <= counts[late][step] for step in shown_both)
    assert counts[early]["started_lis3"] < counts[late]["started_lis3"]
    assert counts[early]["started_lis3"] > 0

    cohorts = {
        when: (await evaluate(demo, "/evaluation/cohort", as_of=iso(when))).json()
        for when in (early, late)
    }
    early_rows = {r["pseudonym"]: r for r in cohorts[early]}
    late_rows = {r["pseudonym"]: r for r in cohorts[late]}
    assert set(early_rows) < set(late_rows)
    assert all(r["lis3_started_year"] <= early.year for r in early_rows.values())
    assert all(r["lis3_started"] is None for r in late_rows.values())  # never the day
    for name, row in early_rows.items():
        # The same doctor, stable pseudonym; longer in post (or left) by the later date.
        assert late_rows[name]["lis3_started_year"] == row["lis3_started_year"]
        assert late_rows[name]["municipality_years"] >= row["municipality_years"]
        assert late_rows[name]["left_municipality"] >= row["left_municipality"]


async def test_known_at_leaves_out_what_was_recorded_later(demo: Api) -> None:
    _, late = two_dates()
    long_ago = datetime(2019, 1, 1, tzinfo=UTC)
    cohort = await evaluate(demo, "/evaluation/cohort", as_of=iso(late), known_at=iso(long_ago))
    assert cohort.json() == []
    funnel = (
        await evaluate(demo, "/evaluation/funnel", as_of=iso(late), known_at=iso(long_ago))
    ).json()
    assert datetime.fromisoformat(funnel["known_at"]) == long_ago
    assert all(s["count"] == 0 for g in funnel["groups"] for s in g["steps"])
    now = await evaluate(demo, "/evaluation/cohort", as_of=iso(late))
    assert len(now.json()) > 0


async def test_retention_counts_agree_with_the_pseudonymised_cohort(demo: Api) -> None:
    _, late = two_dates()
    response = await evaluate(demo, "/evaluation/cohort", as_of=iso(late))
    rows = response.json()
    assert len(rows) >= 20
    assert response.headers["Helgeland-Withheld-Rows"] == "0"
    for scope, left in (("municipality", "left_municipality"), ("region", "left_region")):
        body = (await evaluate(demo, "/evaluation/retention", as_of=iso(late), scope=scope)).json()
        (group,) = body["groups"]
        assert group["doctors"] == len(rows)
        # Each cohort row is a doctor's first stay; a move or a return begins another stay,
        # which the survival analysis counts too (nobody in the demo leaves a second time).
        assert group["stays"] >= len(rows)
        assert group["left"] == sum(r[left] for r in rows)
        assert set(group["share_in_post"]) == {"1y", "2y", "5y"}
        assert group["curve"][0]["years"] == 0.0
        assert group["curve"][0]["at_risk"] == group["stays"]
        assert body["national"][0]["population_group"] == "all"
        assert body["national"][0]["our_doctors"] == len(rows)
        cox = body["cox"]
        assert cox["message"]
        assert cox["available"] == bool(cox["terms"])
    for r in rows:
        assert r["region_years"] >= r["municipality_years"]
        assert r["left_municipality"] or not r["left_region"]
    # Early in the first cohort's year nobody has left: no Cox model, and no number.
    first_year = min(r["lis3_started_year"] for r in rows if r["lis3_started_year"])
    soon = datetime(first_year, 1, 20, tzinfo=UTC)
    body = (await evaluate(demo, "/evaluation/retention", as_of=iso(soon))).json()
    assert body["cox"] == {
        "available": False,
        "message": "not enough events for a Cox model: 0 doctors left, at least 10 are needed",
        "terms": [],
    }


async def test_the_cohort_as_csv_holds_the_same_rows_as_json(demo: Api) -> None:
    _, late = two_dates()
    rows = (await evaluate(demo, "/evaluation/cohort", as_of=iso(late))).json()
    response = await evaluate(demo, "/evaluation/cohort", as_of=iso(late), format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(response.text))
    assert reader.fieldnames == list(CohortRow.model_fields)
    parsed = list(reader)

    def as_csv(value: Any) -> str:
        if isinstance(value, list):
            return ";".join(value)
        return "" if value is None else str(value)

    assert parsed == [{k: as_csv(v) for k, v in row.items()} for row in rows]


def shown(count: int | None) -> bool:
    """A count an evaluator may see: withheld (null), none, or at least k persons."""
    return count is None or count == 0 or count >= MIN_CELL


async def test_no_answer_describes_fewer_than_k_persons(demo: Api) -> None:
    early, late = two_dates()
    suppressed = []
    for as_of in (iso(early), iso(late)):
        for group_by in GROUPINGS:
            body = (
                await evaluate(demo, "/evaluation/funnel", as_of=as_of, group_by=group_by)
            ).json()
            assert body["disclosure"]["min_cell"] == MIN_CELL
            suppressed.append(body["disclosure"]["suppressed"])
            for group in body["groups"]:
                assert all(shown(s["count"]) for s in group["steps"]), (group_by, group)
            for scope in ("municipality", "region"):
                body = (
                    await evaluate(
                        demo, "/evaluation/retention", as_of=as_of, scope=scope, group_by=group_by
                    )
                ).json()
                for g in body["groups"]:
                    assert g["doctors"] >= MIN_CELL, (group_by, g["group"])
                    assert shown(g["left"])
                    assert all(p["at_risk"] >= MIN_CELL for p in g["curve"])
                assert all(shown(n["our_doctors"]) for n in body["national"])
        cycles = (await evaluate(demo, "/evaluation/cycles", as_of=as_of)).json()
        for c in cycles["rounds"]:
            assert all(shown(c[k]) for k in ("applicants", "recruited", "still_in_post")), c
        response = await evaluate(demo, "/evaluation/cohort", as_of=as_of)
        combinations = Counter(
            (tuple(r[f] for f in QUASI_IDENTIFIERS), tuple(r["generalised"]))
            for r in response.json()
        )
        assert min(combinations.values()) >= MIN_CELL
        assert all(r["lis3_started"] is None for r in response.json())
        assert response.headers["Helgeland-Min-Cell"] == str(MIN_CELL)
    # The demo has small municipalities and rounds: something was withheld, and said so.
    assert any(suppressed)


async def test_the_plots_are_pngs_drawn_as_of_the_date(demo: Api) -> None:
    early, late = two_dates()
    for path, params in (
        ("/evaluation/plots/survival.png", {}),
        ("/evaluation/plots/survival.png", {"scope": "region", "group_by": "centrality_class"}),
        ("/evaluation/plots/funnel.png", {}),
    ):
        pictures = []
        for when in (early, late):
            response = await evaluate(demo, path, as_of=iso(when), **params)
            assert response.headers["content-type"] == "image/png"
            assert response.content.startswith(PNG)
            assert len(response.content) > 5000
            pictures.append(response.content)
        assert pictures[0] != pictures[1], path


async def test_no_evaluation_response_holds_personal_data(demo: Api, demo_store: DemoStore) -> None:
    personal = demo_store.personal
    # The search is only worth something if it knows the demo's people and notes.
    assert {"Ingrid Solberg", "ingrid.solberg@example.no", "Syntetisk Lege 2021-000"} <= personal
    assert {"Interesse for allmennmedisin utforsket.", "Valgte annen region"} <= personal
    assert len(demo_store.candidate_ids) > 100
    _, late = two_dates()
    bodies: list[str] = []
    for as_of in ({}, {"as_of": iso(late)}):
        for group_by in GROUPINGS:
            bodies.append(
                (await evaluate(demo, "/evaluation/funnel", group_by=group_by, **as_of)).text
            )
        for scope in ("municipality", "region"):
            for group_by in ("all", "municipality", "local_connection", "preference", "round"):
                response = await evaluate(
                    demo, "/evaluation/retention", scope=scope, group_by=group_by, **as_of
                )
                bodies.append(response.text)
        bodies.append((await evaluate(demo, "/evaluation/cycles", **as_of)).text)
        bodies.append((await evaluate(demo, "/evaluation/cohort", **as_of)).text)
        bodies.append((await evaluate(demo, "/evaluation/cohort", format="csv", **as_of)).text)
    assert all(bodies)
    for body in bodies:
        for secret in personal | demo_store.candidate_ids:
            assert secret not in body, secret


# --- who may read, and when ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "number"),
    [(Role.HOSPITAL_RECRUITER, None), (Role.MUNICIPALITY, RANA), (Role.FORUM, None)],
)
async def test_only_evaluators_read_the_evaluation(
    api: Api, role: Role, number: str | None
) -> None:
    headers = api.auth(role, person=f"e2e-{role}", municipality=number)
    for path in (*EVALUATION, "/evaluation/cohort?format=csv"):
        response = await api.client.get(path, headers=headers)
        assert response.status_code == 403, (path, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["status"] == 403
        assert (await api.client.get(path)).status_code == 401
        assert (await api.client.get(path, headers=evaluator(api))).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"as_of": "2026-01-01T12:00:00"},
        {"known_at": "2026-01-01T12:00:00"},
        {"as_of": "not a time"},
        {"as_of": "future"},
        {"known_at": "future"},
        {"as_of": "2026-01-01T00:00:00"},
        {"as_of": "future-day"},
    ],
    ids=[
        "naive-as_of",
        "naive-known_at",
        "garbage-as_of",
        "future-as_of",
        "future-known_at",
        "naive-midnight-as_of",
        "future-day-as_of",
    ],
)
async def test_as_of_and_known_at_carry_a_zone_and_do_not_lie_in_the_future(
    api: Api, params: dict[str, str]
) -> None:
    future = iso(datetime.now(UTC) + timedelta(days=1))
    tomorrow = (programme_day(datetime.now(UTC)) + timedelta(days=2)).isoformat()
    given = {"future": future, "future-day": tomorrow}
    query = {k: given.get(v, v) for k, v in params.items()}
    for path in EVALUATION:
        response = await api.get(path, headers=evaluator(api), **query)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"] == PROBLEM


async def test_a_plain_date_means_the_end_of_that_day_in_norway_and_today_means_now(
    demo: Api,
) -> None:
    headers = evaluator(demo)
    by_date = await demo.get("/evaluation/cycles", headers=headers, as_of="2025-06-30")
    at_end = await demo.get(
        "/evaluation/cycles", headers=headers, as_of="2025-06-30T23:59:59+02:00"
    )
    assert by_date.status_code == at_end.status_code == 200, by_date.text
    assert by_date.json()["rounds"] == at_end.json()["rounds"]
    today = programme_day(datetime.now(UTC)).isoformat()
    assert (await demo.get("/evaluation/funnel", headers=headers, as_of=today)).status_code == 200


# --- retention milestones over HTTP ------------------------------------------------------------


@dataclass
class Doctors:
    """A round's LIS1 doctors: `a` accepted Rana's coupled LIS3 offer, `b` has an open offer
    from Rana, `c` was never offered LIS1."""

    api: Api
    a: str
    b: str
    c: str

    async def milestone(
        self, cid: str, headers: dict[str, str], expected: int, **body: Any
    ) -> httpx.Response:
        before = self.api.log_position()
        response = await self.api.post(f"/candidates/{cid}/milestones", body, headers=headers)
        assert response.status_code == expected, (body, response.text)
        if expected == 200:
            assert response.json()["id"] == str(career_id(uuid.UUID(cid)))
            assert response.json()["position"] > before
        else:
            assert response.headers["content-type"] == PROBLEM
            assert self.api.log_position() == before, "a refused request writes nothing"
        return response


def day(n: int) -> str:
    """Noon UTC `n` days ago."""
    today = datetime.now(UTC).date()
    return iso(datetime.combine(today - timedelta(days=n), time(12), tzinfo=UTC))


@pytest.fixture
async def doctors(api: Api) -> Doctors:
    round_id = await api.open_round(positions={"rana": 2, "mosjoen": 2}, coupled=2)
    a = await api.register("Kari Nordmann")
    b = await api.register("Per Hansen")
    c = await api.register("Lise Berg")
    for cid in (a, b, c):
        await api.apply(cid, round_id)
        await api.interview(cid)
    await api.advance(round_id, "offering")
    for cid in (a, b):
        await api.offer(cid, coupled=True)
        await api.command(f"/candidates/{cid}/offer/accept", {})
    await api.command(f"/rounds/{round_id}/finalise", {})
    await api.command(f"/rounds/{round_id}/forum-list", {}, expected=201)
    rana = municipality(api, RANA)
    offer = {"start_date": iso_days(700), "expires_on": iso_days(30), "terms": TERMS}
    offers = {}
    for cid in (a, b):
        response = await api.post(f"/forum/candidates/{cid}/offers", offer, headers=rana)
        assert response.status_code == 201, response.text
        offers[cid] = response.json()["item_id"]
    accepted = await api.post(f"/forum/candidates/{a}/offers/{offers[a]}/accept", {}, rana)
    assert accepted.status_code == 200, accepted.text
    return Doctors(api, a, b, c)


async def test_a_doctors_milestones_are_recorded_by_those_responsible(
    doctors: Doctors, api: Api
) -> None:
    hospital, forum = api.auth(), api.auth(Role.FORUM, person="e2e-forum")
    rana, vefsn = municipality(api, RANA), municipality(api, VEFSN)
    note = "Ektefellen fikk jobb i Tromsø; vurderer å komme tilbake"
    steps: list[tuple[dict[str, str], dict[str, Any]]] = [
        (hospital, {"kind": "lis1_started", "occurred_at": day(500)}),
        (hospital, {"kind": "lis1_part_completed", "part": "hospital", "occurred_at": day(135)}),
        (hospital, {"kind": "lis1_part_started", "part": "municipal", "occurred_at": day(134)}),
        (hospital, {"kind": "lis1_part_completed", "part": "municipal", "occurred_at": day(11)}),
        (rana, {"kind": "lis3_started", "occurred_at": day(10)}),
        (
            rana,
            {"kind": "supervisor_assigned", "supervisor": "Dr. Veileder", "occurred_at": day(9)},
        ),
        (forum, {"kind": "supervisor_assigned", "supervisor": "Dr. Ny", "occurred_at": day(9)}),
        (rana, {"kind": "supervision_group_joined", "group": "ALIS nord", "occurred_at": day(8)}),
        (rana, {"kind": "institution_service_completed", "occurred_at": day(7)}),
        (rana, {"kind": "specialist_approved", "occurred_at": day(6)}),
        (rana, {"kind": "leave_started", "occurred_at": day(5)}),
        (rana, {"kind": "returned_from_leave", "occurred_at": day(4)}),
        (rana, {"kind": "moved_within_helgeland", "to_municipality": VEFSN, "occurred_at": day(3)}),
        (
            vefsn,
            {
                "kind": "left",
                "reason": "family",
                "note": note,
                "destination": "elsewhere_in_norway",
                "occurred_at": day(2),
            },
        ),
        (hospital, {"kind": "returned", "municipality": RANA, "occurred_at": day(1)}),
        (rana, {"kind": "supervisor_assigned", "supervisor": "Dr. Igjen"}),  # now
    ]
    for headers, body in steps:
        await doctors.milestone(doctors.a, headers, 200, **body)

    # One doctor: over HTTP, with the default k, nothing about them is shown ...
    response = await evaluate(api, "/evaluation/cohort")
    assert response.json() == []
    assert response.headers["Helgeland-Withheld-Rows"] == "1"
    funnel = (await evaluate(api, "/evaluation/funnel", group_by="all")).json()
    counts = {s["step"]: s["count"] for s in funnel["groups"][0]["steps"]}
    assert (counts["accepted_lis3"], counts["started_lis3"], counts["specialist"]) == (
        None,
        None,
        None,
    )
    assert funnel["disclosure"]["suppressed"] is True
    # ... while the figures behind it (k = 1) follow each milestone.
    queries = copy.copy(api.services.evaluation)
    queries.min_cell = 1
    now = datetime.now(UTC)
    (row,) = (await queries.cohort(now, now, api.services.pseudonym_key)).rows
    assert (row.municipality, row.left_municipality, row.left_region) == (
        "Rana",
        True,  # moved to Vefsn
        True,  # then left Helgeland
    )
    assert row.lis3_started is not None
    assert row.lis3_started.isoformat() == day(10)[:10]
    assert row.municipality_years == round(7 / 365.25, 3)
    assert row.region_years == round(8 / 365.25, 3)
    figures = (await queries.funnel(now, now, "all")).groups[0].steps
    counts = {s.step: s.count for s in figures}
    assert (counts["accepted_lis3"], counts["started_lis3"], counts["specialist"]) == (1, 1, 1)
    secrets = (note, "Kari Nordmann", "kari.nordmann@example.no", "Dr. Veileder", doctors.a)
    for path, params in (
        ("/evaluation/cohort", {}),
        ("/evaluation/cohort", {"format": "csv"}),
        ("/evaluation/funnel", {}),
        ("/evaluation/retention", {}),
        ("/evaluation/cycles", {}),
    ):
        text = (await evaluate(api, path, **params)).text
        for secret in secrets:
            assert secret not in text, (path, secret)


async def test_milestones_out_of_order_or_after_leaving_are_refused(
    doctors: Doctors, api: Api
) -> None:
    hospital, rana = api.auth(), municipality(api, RANA)
    m = doctors.milestone
    await m(doctors.c, hospital, 409, kind="lis1_started")  # LIS1 offer never accepted
    await m(doctors.a, hospital, 200, kind="lis1_started", occurred_at=day(400))
    await m(doctors.a, hospital, 409, kind="lis1_started")  # already started
    await m(doctors.a, rana, 200, kind="lis3_started", occurred_at=day(10))
    await m(doctors.a, rana, 409, kind="lis3_started")  # already started
    await m(doctors.a, rana, 409, kind="supervisor_assigned", supervisor="X", occurred_at=day(20))
    await m(doctors.a, rana, 409, kind="returned_from_leave")  # not on leave
    await m(doctors.a, hospital, 409, kind="returned", municipality=RANA)  # never left
    await m(doctors.a, rana, 200, kind="specialist_approved", occurred_at=day(5))
    await m(doctors.a, rana, 409, kind="specialist_approved")  # only once
    await m(doctors.a, rana, 200, kind="leave_started", occurred_at=day(4))
    await m(doctors.a, rana, 409, kind="leave_started")  # already on leave
    await m(
        doctors.a,
        rana,
        200,
        kind="left",
        reason="workload",
        destination="hospital",
        occurred_at=day(3),
    )
    for body in (
        {"kind": "supervisor_assigned", "supervisor": "X"},
        {"kind": "institution_service_completed"},
        {"kind": "returned_from_leave"},
        {"kind": "moved_within_helgeland", "to_municipality": VEFSN},
        {"kind": "left", "reason": "other", "destination": "abroad"},
    ):
        response = await m(doctors.a, rana, 409, **body)
        assert "nothing follows leaving" in response.json()["detail"]
    await m(doctors.a, hospital, 409, kind="returned", municipality=RANA, occurred_at=day(4))
    await m(doctors.a, hospital, 200, kind="returned", municipality=RANA, occurred_at=day(2))
    # B was offered LIS3 but has not accepted: LIS1 starts, LIS3 does not.
    await m(doctors.b, hospital, 200, kind="lis1_started", occurred_at=day(400))
    response = await m(doctors.b, hospital, 409, kind="lis3_started")
    assert "accepted offer" in response.json()["detail"]


async def test_a_municipality_records_milestones_for_its_own_doctors_only(
    doctors: Doctors, api: Api
) -> None:
    hospital, forum = api.auth(), api.auth(Role.FORUM, person="e2e-forum")
    rana, vefsn = municipality(api, RANA), municipality(api, VEFSN)
    m = doctors.milestone
    await m(doctors.a, hospital, 200, kind="lis1_started", occurred_at=day(400))
    await m(doctors.a, vefsn, 403, kind="lis3_started", occurred_at=day(10))  # Rana's doctor
    await m(doctors.a, rana, 200, kind="lis3_started", occurred_at=day(10))
    for body in (
        {"kind": "supervisor_assigned", "supervisor": "X"},
        {"kind": "moved_within_helgeland", "to_municipality": VEFSN},
        {"kind": "left", "reason": "other", "destination": "abroad"},
    ):
        await m(doctors.a, vefsn, 403, **body)
    await m(doctors.a, forum, 200, kind="supervisor_assigned", supervisor="Y", occurred_at=day(9))
    await m(
        doctors.a, hospital, 200, kind="supervision_group_joined", group="G", occurred_at=day(8)
    )
    await m(doctors.a, rana, 200, kind="moved_within_helgeland", to_municipality=VEFSN)
    # Now Vefsn's doctor.
    await m(doctors.a, rana, 403, kind="institution_service_completed")
    await m(doctors.a, vefsn, 200, kind="institution_service_completed")
    evaluator_headers = evaluator(api)
    await m(doctors.a, evaluator_headers, 403, kind="institution_service_completed")


async def test_only_the_hospital_records_the_start_of_lis1(doctors: Doctors, api: Api) -> None:
    """The contract: "LIS1 starts (the hospital part). The hospital records it." A municipality
    has no doctor of its own before LIS3, and must not start anyone's LIS1; nor does the forum."""
    await doctors.milestone(doctors.a, municipality(api, VEFSN), 403, kind="lis1_started")
    forum = api.auth(Role.FORUM, person="e2e-forum")
    await doctors.milestone(doctors.a, forum, 403, kind="lis1_started")
    await doctors.milestone(doctors.a, api.auth(), 200, kind="lis1_started")


async def test_a_return_is_recorded_by_the_municipality_returned_to(
    doctors: Doctors, api: Api
) -> None:
    """After leaving Rana, the doctor comes back to Vefsn: Vefsn records it, Rana may not."""
    hospital, rana, vefsn = api.auth(), municipality(api, RANA), municipality(api, VEFSN)
    m = doctors.milestone
    await m(doctors.a, hospital, 200, kind="lis1_started", occurred_at=day(400))
    await m(doctors.a, rana, 200, kind="lis3_started", occurred_at=day(10))
    await m(
        doctors.a, rana, 200, kind="left", reason="family", destination="abroad", occurred_at=day(5)
    )
    await m(doctors.a, rana, 403, kind="returned", municipality=VEFSN, occurred_at=day(2))
    await m(doctors.a, vefsn, 200, kind="returned", municipality=VEFSN, occurred_at=day(2))
    await m(doctors.a, vefsn, 200, kind="supervisor_assigned", supervisor="Dr. Vefsn")


MALFORMED: dict[str, dict[str, Any]] = {
    "unknown kind": {"kind": "promoted"},
    "no kind": {},
    "the hospital part starts with LIS1": {"kind": "lis1_part_started", "part": "hospital"},
    "unknown municipality": {"kind": "moved_within_helgeland", "to_municipality": "9999"},
    "same municipality": {"kind": "moved_within_helgeland", "to_municipality": RANA},
    "uncoded reason": {"kind": "left", "reason": "boredom", "destination": "abroad"},
    "no destination": {"kind": "left", "reason": "family"},
    "note too long": {
        "kind": "left",
        "reason": "family",
        "destination": "abroad",
        "note": "x" * 1001,
    },
    "return outside Helgeland": {"kind": "returned", "municipality": "0301"},
    "empty supervisor": {"kind": "supervisor_assigned", "supervisor": ""},
    "blank supervisor": {"kind": "supervisor_assigned", "supervisor": "   "},
    "naive time": {"kind": "institution_service_completed", "occurred_at": "2027-01-01T12:00:00"},
    "future time": {"kind": "institution_service_completed", "occurred_at": "future"},
}


async def test_a_malformed_milestone_is_422(doctors: Doctors, api: Api) -> None:
    hospital, rana = api.auth(), municipality(api, RANA)
    await doctors.milestone(doctors.a, hospital, 200, kind="lis1_started", occurred_at=day(400))
    await doctors.milestone(doctors.a, rana, 200, kind="lis3_started", occurred_at=day(10))
    for label, malformed in MALFORMED.items():
        body = malformed
        if body.get("occurred_at") == "future":
            body = {**body, "occurred_at": iso(datetime.now(UTC) + timedelta(hours=1))}
        response = await doctors.milestone(doctors.a, rana, 422, **body)
        assert response.json()["status"] == 422, label
    # ... and the doctor's milestones still go on.
    await doctors.milestone(doctors.a, rana, 200, kind="institution_service_completed")


async def test_milestones_for_an_unknown_candidate_are_404(api: Api) -> None:
    before = api.log_position()
    response = await api.post(f"/candidates/{uuid.uuid4()}/milestones", {"kind": "lis1_started"})
    assert response.status_code == 404
    response = await api.post(
        f"/candidates/{uuid.uuid4()}/milestones", {"kind": "specialist_approved"}
    )
    assert response.status_code == 404
    assert api.log_position() == before
