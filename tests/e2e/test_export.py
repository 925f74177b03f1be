"""A person's export (GDPR art. 15): complete, readable, and only for those who may make it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from eventsourcing.domain import DomainEvent
from helgeland_contracts.personal import ERASED
from helgeland_notifications.api import create_api
from helgeland_notifications.auth import Verifier
from helgeland_notifications.worker import Worker
from helgeland_pipeline.app_career import (
    Correction,
    left,
    lis1_part_completed,
    lis1_part_started,
)
from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.domain.candidates import Candidate, ConsentPurpose, ContactKind
from helgeland_pipeline.domain.career import (
    Career,
    Destination,
    LeavingReason,
    Lis1Part,
    career_id,
)
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.domain.forum import (
    ForumCandidacy,
    InvitationAnswer,
    InvitationKind,
    candidacy_id,
)
from helgeland_pipeline.privacy.deliveries import DeliveriesClient
from helgeland_pipeline.settings import Settings

from tests.e2e.api import HOSPITAL, PROBLEM, Api
from tests.factories import (
    FORUM,
    RECRUITER,
    ForumList,
    forum_list,
    lis3_terms,
    municipal,
)
from tests.integration.notify_support import (
    SmtpSink,
    notify_settings,
    run_until_settled,
    smtp_server,
)
from tests.processes import cli_env

RANA, VEFSN, BRONNOY = "1833", "1824", "1813"


def event_types(aggregate: type[Any]) -> set[str]:
    """Every event class the aggregate declares, as `Aggregate.Event` names."""
    return {
        f"{aggregate.__name__}.{name}"
        for name, value in vars(aggregate).items()
        if isinstance(value, type)
        and issubclass(value, DomainEvent)
        and name not in {"Event", "Created", "Snapshot"}
    }


ALL_TYPES = event_types(Candidate) | event_types(ForumCandidacy) | event_types(Career)


def full_journey(app: PipelineApplication) -> tuple[ForumList, UUID]:
    """Kari goes all the way: contact to LIS1, shared, invited, three LIS3 offers (withdrawn,
    declined, accepted), every career milestone and a correction. Ola accepts a LIS3 offer and drops
    out during LIS1, then withdraws consent and his application.
    The forum list's `declined` candidate declined LIS1 and was then erased. Together: every
    event type. The round does not know when LIS1 starts, so LIS3 may start today (the API's
    clock is the real one)."""
    fl = forum_list(app, shared=2, knows_lis1_start=False)
    kari, ola = fl.shared
    app.record_student_contact(RECRUITER, kari, ContactKind.PLACEMENT, RANA)
    app.record_contact_details(RECRUITER, kari, "Kari Nordmann", "kari@example.no", "+4791234567")
    app.give_consent(RECRUITER, kari, ConsentPurpose.EVALUATION_CONTACT, 1)
    when = app.clock() + timedelta(days=3)
    _, invitation = app.invite(municipal(RANA), kari, RANA, InvitationKind.TOUR, [when])
    app.answer_invitation(municipal(RANA), kari, invitation, InvitationAnswer.ACCEPTED)
    app.record_meeting_held(municipal(RANA), kari, invitation)
    offers = {}
    for number in (RANA, VEFSN, BRONNOY):
        expires = (app.clock() + timedelta(days=30)).date()
        _, offers[number] = app.offer_lis3(
            municipal(number), kari, number, fl.lis3_start, lis3_terms(), expires
        )
    app.withdraw_lis3_offer(municipal(BRONNOY), kari, offers[BRONNOY])
    app.decline_lis3_offer(FORUM, kari, offers[VEFSN])
    app.accept_lis3_offer(FORUM, kari, offers[RANA])
    # Approved as specialist two days ago, so that she may be re-certified today.
    before = app.clock() - timedelta(days=2)
    app.start_lis1(RECRUITER, kari, before)
    for milestone in (
        lis1_part_completed(Lis1Part.HOSPITAL),
        lis1_part_started(Lis1Part.MUNICIPAL),
        lis1_part_completed(Lis1Part.MUNICIPAL),
    ):
        app.record_milestone(RECRUITER, kari, milestone, before)
    app.start_lis3(municipal(RANA), kari, before)
    rana = municipal(RANA)
    app.record_milestone(rana, kari, lambda c, s: c.assign_supervisor("Dr. Veileder", s), before)
    app.record_milestone(rana, kari, lambda c, s: c.join_supervision_group("ALIS nord", s), before)
    app.record_milestone(rana, kari, lambda c, s: c.complete_institution_service(s), before)
    app.record_milestone(rana, kari, lambda c, s: c.approve_specialist(s), before)
    app.record_milestone(rana, kari, lambda c, s: c.start_leave(s))
    app.record_milestone(rana, kari, lambda c, s: c.return_from_leave(s))
    app.record_milestone(rana, kari, lambda c, s: c.move_within_helgeland(VEFSN, s))
    vefsn = municipal(VEFSN)
    app.record_milestone(
        vefsn, kari, left(LeavingReason.FAMILY, "flyttet sørover", Destination.ELSEWHERE_IN_NORWAY)
    )
    app.record_milestone(FORUM, kari, lambda c, s: c.return_to(RANA, s), in_municipality=RANA)
    app.record_milestone(rana, kari, lambda c, s: c.make_education_plan(s))
    app.record_milestone(rana, kari, lambda c, s: c.review_education_plan(s))
    app.record_milestone(rana, kari, lambda c, s: c.recertify(s))
    app.correct_milestone(FORUM, kari, 2, Correction(app.clock().date(), None, "Feil dato"))
    # Ola accepts Vefsn's LIS3 offer, starts LIS1 and drops out before LIS3.
    expires = (app.clock() + timedelta(days=30)).date()
    _, ola_offer = app.offer_lis3(vefsn, ola, VEFSN, fl.lis3_start, lis3_terms(), expires)
    app.accept_lis3_offer(FORUM, ola, ola_offer)
    app.start_lis1(RECRUITER, ola)
    app.drop_out(vefsn, ola, LeavingReason.OTHER_SPECIALTY, "valgte sykehus")
    app.withdraw_consent(RECRUITER, ola)
    app.withdraw_application(RECRUITER, ola, "valgte sykehus")
    admin = Actor("personvernombud", "Helgelandssykehuset HF", Role.ADMIN)
    app.erase_candidate(admin, fl.declined, "Avslo LIS1 og ba om sletting (sak 2027/7)")
    return fl, kari


async def export(api: Api, cid: UUID, **headers: str) -> httpx.Response:
    return await api.client.get(f"/candidates/{cid}/export", headers=api.auth() | headers)


def stored_types(app: PipelineApplication, aggregate_ids: list[UUID]) -> list[str]:
    return sorted(
        e.topic.rpartition(":")[2] for a in aggregate_ids for e in app.recorder.select_events(a)
    )


async def test_the_export_holds_every_event_type_of_a_full_journey(api: Api) -> None:
    app = api.services.core.app
    fl, kari = full_journey(app)
    api.services.core.catch_up()
    seen: set[str] = set()
    for cid in (kari, *fl.shared[1:], fl.declined):
        answer = await export(api, cid)
        assert answer.status_code == 200, answer.text
        document = answer.json()
        own = [e for e in document["events"] if e["aggregate"] != "Lis1Round"]
        # Exactly what the log holds for the person's aggregates, each event once.
        aggregates = [cid, candidacy_id(cid), career_id(cid)]
        assert sorted(e["type"] for e in own) == stored_types(app, aggregates)
        assert UUID(document["candidate_id"]) == cid
        seen |= {e["type"] for e in own}
    assert seen == ALL_TYPES, ALL_TYPES ^ seen

    # The erased candidate's export holds their events, their personal fields read as erased.
    erased = (await export(api, fl.declined)).json()
    contacts = [e for e in erased["events"] if e["type"].endswith("ContactDetailsRecorded")]
    assert contacts
    assert all(c["data"]["name"] == ERASED and c["data"]["email"] == ERASED for c in contacts)
    assert any(e["type"] == "Candidate.Erased" for e in erased["events"])

    document = (await export(api, kari)).json()
    kinds = {e["type"] for e in document["events"]}
    # Her round's events that name her: the position her offer held, the list she was on.
    assert {"Lis1Round.OfferHeld", "Lis1Round.OfferConfirmed", "Lis1Round.ListSentToForum"} <= kinds
    contacts = [e for e in document["events"] if e["type"].endswith("ContactDetailsRecorded")]
    contact = contacts[-1]  # the correction, after the registration
    assert contact["data"]["phone"] == "+4791234567"
    assert contact["actor"]["organisation"] == RECRUITER.organisation
    assert contact["occurred_at"]
    assert contact["recorded_at"]
    interview = next(e for e in document["events"] if e["type"].endswith("Lis1InterviewHeld"))
    assert interview["data"]["interviewer"] == "Overlege Test"
    assert set(document["consents"]) == {"forum_sharing", "evaluation_contact"}
    assert document["consents"]["evaluation_contact"]["text"].startswith("Jeg samtykker")
    rows = document["read_models"]
    assert any(r.get("name") == "Kari Nordmann" for t, r_ in rows.items() for r in r_)
    assert all(t.startswith(("hospital_", "forum_", "municipal_", "evaluation_")) for t in rows)
    assert any(t.startswith("evaluation_") and r_ for t, r_ in rows.items())
    assert document["deliveries"]["available"] is False  # no notifications service configured


async def test_the_export_lists_who_read_the_person_and_itself(api: Api) -> None:
    cid = await api.register("Kari Nordmann")
    await api.read(f"/candidates/{cid}")
    await api.read(f"/candidates/{cid}/timeline")
    admin = api.auth(Role.ADMIN, person="personvernombud", organisation="Helgelandssykehuset HF")
    answer = await api.client.get(f"/candidates/{cid}/export", headers=admin)
    assert answer.status_code == 200, answer.text
    log = answer.json()["access_log"]
    assert [(e["person"], e["route"]) for e in log] == [
        ("e2e-recruiter", "/candidates/{candidate_id}"),
        ("e2e-recruiter", "/candidates/{candidate_id}/timeline"),
        ("personvernombud", "/candidates/{candidate_id}/export"),
    ]
    assert all(e["candidate_ids"] == [cid] for e in log)


async def test_the_export_reads_in_norwegian_as_html_with_stored_text_escaped(api: Api) -> None:
    _, kari = full_journey(api.services.core.app)
    api.services.core.app.record_contact_details(
        RECRUITER, kari, "Kari <script>alert(1)</script> Nordmann", "kari@example.no"
    )
    api.services.core.catch_up()
    for answer in (
        await export(api, kari, accept="text/html"),
        await api.client.get(f"/candidates/{kari}/export?format=html", headers=api.auth()),
    ):
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/html")
        page = answer.text
        assert '<html lang="nb">' in page
        assert "Innsyn etter personvernforordningen" in page
        assert "Samtykker som gjelder nå" in page
        assert "Tilbud om LIS3/ALIS" in page
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    as_json = await api.client.get(f"/candidates/{kari}/export?format=json", headers=api.auth())
    assert as_json.headers["content-type"] == "application/json"


async def test_only_admins_and_the_rounds_own_recruiters_export(api: Api) -> None:
    fl = forum_list(api.services.core.app, shared=1)
    (kari,) = fl.shared
    api.services.core.catch_up()
    before = await api.services.access_log.entries(candidate=kari)
    other = api.auth(organisation="Nordlandssykehuset HF")
    refused = await api.client.get(f"/candidates/{kari}/export", headers=other)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"] == PROBLEM
    for role in (Role.FORUM, Role.EVALUATOR):
        assert (
            await api.client.get(f"/candidates/{kari}/export", headers=api.auth(role))
        ).status_code == 403
    unknown = await api.client.get(
        "/candidates/6f1c1b9e-7d1e-4e0b-9c2a-000000000000/export", headers=api.auth()
    )
    assert unknown.status_code == 404
    assert await api.services.access_log.entries(candidate=kari) == before  # nothing logged
    own = await api.client.get(
        f"/candidates/{kari}/export", headers=api.auth(organisation=HOSPITAL)
    )
    assert own.status_code == 200


@pytest.fixture
def smtp() -> Any:
    with smtp_server() as sink:
        yield sink


@pytest.fixture
async def notifications(api: Api, smtp: SmtpSink) -> AsyncIterator[Worker]:
    """The notifications service beside the pipeline: its worker on the same log, its own API
    answering over HTTP (ASGI), which the pipeline's export asks with an admin token."""
    worker = Worker(notify_settings(api.settings, smtp))
    verifier = Verifier(
        api.settings.auth_issuer, api.settings.auth_audience, api.settings.demo_jwks_file, None
    )
    transport = httpx.ASGITransport(app=create_api(worker, verifier))
    token = api.token(Role.ADMIN, person="helgeland-pipeline", organisation="Helgelandslegen")
    api.services.deliveries = DeliveriesClient("http://notifications", token, transport)
    yield worker
    await worker.close()


async def test_the_export_holds_the_messages_the_notifications_service_sent_about_the_person(
    api: Api, notifications: Worker, smtp: SmtpSink
) -> None:
    app = api.services.core.app
    fl = forum_list(app, shared=2)
    kari, ola = fl.shared
    app.record_contact_details(RECRUITER, kari, "Kari Nordmann", "kari@example.no")
    when = app.clock() + timedelta(days=3)
    app.invite(municipal(RANA), kari, RANA, InvitationKind.TOUR, [when])
    app.invite(municipal(RANA), ola, RANA, InvitationKind.TOUR, [when])
    await run_until_settled(notifications)
    api.services.core.catch_up()

    document = (await export(api, kari)).json()
    deliveries = document["deliveries"]
    assert deliveries["available"] is True
    mails = [d for d in deliveries["items"] if d["channel"] == "email"]
    assert [d["recipient"] for d in mails] == ["kari@example.no"]
    assert mails[0]["status"] == "delivered"
    assert "Kari Nordmann" in mails[0]["body_text"]
    assert all(d["candidate_id"] == str(kari) for d in deliveries["items"])
    assert any(m.to == "kari@example.no" for m in smtp.mails)  # it was really sent

    # The notifications API gives a person's deliveries to administrators only.
    transport = api.services.deliveries.transport
    async with httpx.AsyncClient(transport=transport, base_url="http://notifications") as client:
        for role in (Role.FORUM, Role.MUNICIPALITY, Role.HOSPITAL_RECRUITER):
            number = RANA if role == Role.MUNICIPALITY else None
            headers = {"Authorization": f"Bearer {api.token(role, municipality=number)}"}
            nobody = await client.get(f"/deliveries/about/{kari}", headers=headers)
            assert nobody.status_code == 403, role


async def test_an_unreachable_notifications_service_is_a_503_not_a_partial_export(
    api: Api,
) -> None:
    cid = await api.register("Kari Nordmann")
    api.services.deliveries = DeliveriesClient("http://127.0.0.1:9", "token")  # discard port
    before = await api.services.access_log.entries(candidate=UUID(cid))
    answer = await export(api, UUID(cid))
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert await api.services.access_log.entries(candidate=UUID(cid)) == before


def test_the_cli_writes_the_same_export_to_a_private_file(
    settings: Settings, tmp_path: Path
) -> None:
    services = build_services(settings, migrate=True)
    try:
        fl = forum_list(services.app, shared=1)
        services.catch_up()
    finally:
        services.close()
    (kari,) = fl.shared
    env = cli_env(settings)
    out = tmp_path / "innsyn" / "kari.json"
    done = subprocess.run(
        [".venv/bin/helgeland", "export", str(kari), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_mode & 0o777 == 0o600
    document = json.loads(out.read_text("utf-8"))
    assert UUID(document["candidate_id"]) == kari
    assert "Candidate.Lis1OfferAccepted" in {e["type"] for e in document["events"]}
    assert document["access_log"][-1]["route"] == "helgeland export"
    assert document["access_log"][-1]["person"].startswith("cli:")

    page = tmp_path / "kari.html"
    done = subprocess.run(
        [".venv/bin/helgeland", "export", str(kari), "--out", str(page)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Innsyn etter personvernforordningen" in page.read_text("utf-8")

    missing = tmp_path / "missing.json"
    for argument in ("6f1c1b9e-7d1e-4e0b-9c2a-000000000000", "not-an-id"):
        refused = subprocess.run(
            [".venv/bin/helgeland", "export", argument, "--out", str(missing)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert refused.returncode == 2
        assert refused.stderr.strip().count("\n") == 0, refused.stderr
        assert not missing.exists()
