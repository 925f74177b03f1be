"""Erasure (GDPR art. 17) leaves no byte of the person anywhere the system wrote.

A doctor with a distinctive name, address, phone and free texts goes through the whole journey
over HTTP (contact, application, interview, LIS1, forum list, invitation, LIS3 offer, career
milestones); the notifications service mails them through demo mode's SMTP server into the
data folder. Then an admin erases them. Afterwards the database (the SQLite file with its WAL
and shared memory, or a `pg_dump` of the test's schema) and the whole data folder hold none of
their texts in any encoding a store, a JSON document or a mail could use; the evaluation's
figures are what they were; the timeline and the log's public view say "erased".
Before the erasure the same search finds them, so the search can fail.
"""

from __future__ import annotations

import base64
import contextlib
import json
import quopri
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from helgeland_contracts.codec import decode
from helgeland_contracts.log import LogReader
from helgeland_contracts.personal import ERASED
from helgeland_notifications.demo_smtp import start_demo_smtp
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import Worker
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings
from helgeland_platform import engines
from helgeland_platform.keystore import KeyStore

from tests.e2e.api import Api, iso_days
from tests.integration.notify_support import free_port, run_until_settled

NAME = "Ærlige Øystein Åsheim-Zqx"
EMAIL = "aasheim.zqx@eksempel.no"
PHONE = "+47 987 65 432"
NOTES = "Intervjunotat om Zqx: ønsker fastlegehjemmel på Træna, «sterk» motivasjon"
INTERVIEWER = "Overlege Zqxø Intervjuersen"
SUPERVISOR = "Fastlege Zqxæ Veiledersen"
GROUP = "Veiledningsgruppe Zqxå"
LEFT_NOTE = "Flyttet til Zqxø for familiens skyld"
SECRETS = [NAME, EMAIL, PHONE, NOTES, INTERVIEWER, SUPERVISOR, GROUP, LEFT_NOTE]

OTHER_NAME, OTHER_EMAIL = "Kontroll Kandidatsen", "kontroll.kandidatsen@eksempel.no"
RANA = "1833"
FIGURES = ["/evaluation/funnel", "/evaluation/retention", "/evaluation/cohort"]


def forms(value: str) -> set[bytes]:
    """Every way the text's bytes may be stored or sent."""
    raw = value.encode("utf-8")
    found = {
        raw,
        value.encode("utf-16-le"),
        value.encode("utf-16-be"),
        json.dumps(value).encode()[1:-1],  # \\u-escaped JSON
        json.dumps(value).encode()[1:-1].replace(b"\\", b"\\\\"),  # the same in COPY text
        raw.hex().encode(),  # PostgreSQL's bytea in a dump
        raw.hex().upper().encode(),
        quopri.encodestring(raw).rstrip(b"\n"),
        quopri.encodestring(raw, header=True).rstrip(b"\n"),  # RFC 2047 "Q"
    }
    with contextlib.suppress(UnicodeEncodeError):
        found.add(value.encode("latin-1"))
    for pad in range(3):  # base64 (also RFC 2047 "B") at each of the three alignments
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * pad + raw)
            found.add(encoded[(pad * 4 + 2) // 3 : -4])
    return {form for form in found if len(form) >= 8}


def unfolded(data: bytes) -> list[bytes]:
    """The data as it is, without quoted-printable soft breaks, and without any line breaks."""
    return [data, data.replace(b"=\r\n", b"").replace(b"=\n", b""), data.replace(b"\r\n", b"")]


def found_in(data: bytes, secrets: list[str]) -> list[str]:
    views = unfolded(data)
    return [s for s in secrets if any(f in view for f in forms(s) for view in views)]


def dump(settings: Settings) -> dict[str, bytes]:
    """The whole data folder (with the SQLite database, WAL and shared memory), and on
    PostgreSQL a dump of the test's schema."""
    files = {
        str(path): path.read_bytes()
        for path in sorted(Path(settings.data_dir).rglob("*"))
        if path.is_file()
    }
    if engines.is_postgres(settings.database_url):
        assert settings.database_schema is not None
        dumped = subprocess.run(
            ["pg_dump", "--schema", settings.database_schema, settings.database_url],
            capture_output=True,
            check=True,
            timeout=120,
        )
        files["pg_dump"] = dumped.stdout
    return files


def leaks(settings: Settings, secrets: list[str]) -> dict[str, list[str]]:
    return {
        name: found for name, data in dump(settings).items() if (found := found_in(data, secrets))
    }


@pytest.fixture
def mail_server(settings: Settings) -> Iterator[int]:
    port = free_port()
    controller = start_demo_smtp(Path(settings.data_dir) / "mail", port=port)
    yield port
    controller.stop()


@pytest.fixture
async def worker(api: Api, settings: Settings, mail_server: int) -> AsyncIterator[Worker]:
    built = Worker(
        NotifySettings(
            database_url=settings.database_url,
            database_schema=settings.database_schema,
            data_dir=settings.data_dir,
            demo=True,
            smtp_port=mail_server,
            start_quiet=False,
            retry_schedule_seconds=[0.05, 0.05, 0.05],
            poll_seconds=0.05,
        )
    )
    yield built
    await built.close()


async def call(api: Api, path: str, body: dict[str, Any], role: Role, **who: Any) -> Any:
    response = await api.client.post(path, json=body, headers=api.auth(role, **who))
    assert response.is_success, (path, response.text)
    return response.json()


async def journey(api: Api) -> tuple[str, str]:
    """The whole journey of the person, and of another who stays."""
    hospital = Role.HOSPITAL_RECRUITER
    rana = {"municipality": RANA, "organisation": "Rana kommune", "person": "kommuneoverlege"}
    round_body = {
        "name": "LIS1 vår 2027",
        "positions": {"rana": 2},
        "coupled_positions": 1,
        "application_deadline": iso_days(30),  # no LIS1 start: LIS3 may be recorded today
    }
    round_id = (await call(api, "/rounds", round_body, hospital))["id"]
    person = {"name": NAME, "email": EMAIL, "phone": PHONE}
    registered = await api.client.post(
        "/candidates", json=person, headers=api.auth() | {"Idempotency-Key": "erasure-test-1"}
    )
    assert registered.status_code == 201, registered.text
    cid = registered.json()["id"]
    other = (await call(api, "/candidates", {"name": OTHER_NAME, "email": OTHER_EMAIL}, hospital))[
        "id"
    ]
    await call(
        api, f"/candidates/{cid}/contacts", {"kind": "placement", "municipality": RANA}, hospital
    )
    for candidate in (cid, other):
        application = {
            "round_id": round_id,
            "preference": "general_practice",
            "local_connection": ["grew_up"],
            "consent_to_share": True,
        }
        await call(api, f"/candidates/{candidate}/application", application, hospital)
        interview = {"interviewer": INTERVIEWER, "primary_care_interest": 5, "notes": NOTES}
        if candidate == other:
            interview = {"interviewer": "Overlege Annen", "primary_care_interest": 4}
        await call(api, f"/candidates/{candidate}/interviews", interview, hospital)
    await call(api, f"/rounds/{round_id}/advance", {"status": "offering"}, hospital)
    for candidate, coupled in ((cid, True), (other, False)):
        offer = {"unit": "rana", "coupled": coupled, "answer_by": iso_days(14)}
        await call(api, f"/candidates/{candidate}/offer", offer, hospital)
        await call(api, f"/candidates/{candidate}/offer/accept", {}, hospital)
    await call(api, f"/rounds/{round_id}/finalise", {}, hospital)
    await call(api, f"/rounds/{round_id}/forum-list", {}, hospital)
    invitation = {"kind": "tour", "proposed_times": ["2027-01-20T10:00:00+01:00"]}
    await call(api, f"/forum/candidates/{cid}/invitations", invitation, Role.MUNICIPALITY, **rana)
    lis3 = {
        "start_date": iso_days(60 + 600),
        "expires_on": iso_days(30),
        "terms": {
            "supervisor": SUPERVISOR,
            "supervision_group": GROUP,
            "pay_model": "fixed_salary",
            "list_length": 700,
            "out_of_hours_share": 15,
            "training_share": 20,
        },
    }
    offer_id = (
        await call(api, f"/forum/candidates/{cid}/offers", lis3, Role.MUNICIPALITY, **rana)
    )["item_id"]
    await call(
        api, f"/forum/candidates/{cid}/offers/{offer_id}/accept", {}, Role.MUNICIPALITY, **rana
    )
    milestones: list[tuple[dict[str, Any], Role]] = [
        ({"kind": "lis1_started"}, hospital),
        ({"kind": "lis3_started"}, Role.MUNICIPALITY),
        ({"kind": "supervisor_assigned", "supervisor": SUPERVISOR}, Role.MUNICIPALITY),
        ({"kind": "supervision_group_joined", "group": GROUP}, Role.MUNICIPALITY),
        (
            {"kind": "left", "reason": "family", "note": LEFT_NOTE, "destination": "abroad"},
            Role.MUNICIPALITY,
        ),
    ]
    for body, role in milestones:
        who = rana if role == Role.MUNICIPALITY else {}
        await call(api, f"/candidates/{cid}/milestones", body, role, **who)
    return cid, other


async def figures(api: Api, as_of: str) -> dict[str, Any]:
    """The figures as of a moment, as known now (after an erasure: with it)."""
    found = {}
    for path in FIGURES:
        response = await api.client.get(
            path, params={"as_of": as_of}, headers=api.auth(Role.EVALUATOR)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        if isinstance(body, dict):
            body.pop("known_at")
        found[path] = body
    return found


def checkpoint(settings: Settings) -> None:
    """Our own checkpoint again, until no reader of an old snapshot holds it back."""
    engine = engines.sync_engine(settings.database_url, settings.database_schema)
    try:
        for _ in range(50):
            if engines.checkpoint(engine):
                return
        pytest.fail("the write-ahead log could not be checkpointed")
    finally:
        engine.dispose()


async def test_after_erasure_no_byte_of_the_person_is_left(
    api: Api, worker: Worker, settings: Settings
) -> None:
    cid, other = await journey(api)
    await run_until_settled(worker)
    mails = list((Path(settings.data_dir) / "mail").glob("*.eml"))
    assert any(found_in(m.read_bytes(), [NAME]) for m in mails), "no mail reached the person"
    as_of = datetime.now(UTC).isoformat()
    before = await figures(api, as_of)
    checkpoint(settings)
    found = leaks(settings, SECRETS)
    # Everything but the leaving note (which only the log holds, sealed) is in a read model or
    # a mail before the erasure: the search finds what is there.
    assert {s for names in found.values() for s in names} == set(SECRETS) - {LEFT_NOTE}, found

    # A reason that names the person is refused, and nothing is written.
    position = api.log_position()
    admin = api.auth(Role.ADMIN, person="personvernombud", organisation="Helgelandssykehuset HF")
    naming = await api.client.post(
        f"/candidates/{cid}/erasure", json={"reason": f"{NAME} ba om det"}, headers=admin
    )
    assert naming.status_code == 422, naming.text
    assert api.log_position() == position
    erased = await api.client.post(
        f"/candidates/{cid}/erasure",
        json={"reason": "Kandidaten ba om sletting, sak 2027/113"},
        headers=admin,
    )
    assert erased.status_code == 200, erased.text
    assert erased.json()["already_erased"] is False
    assert erased.json()["read_models_pending"] == []
    assert erased.json()["purged"]["idempotency_keys"] >= 1

    await run_until_settled(worker)  # the notifications service reads `Erased` and purges
    checkpoint(settings)
    assert leaks(settings, SECRETS) == {}
    assert found_in(b"".join(dump(settings).values()), [OTHER_NAME, OTHER_EMAIL]) == [
        OTHER_NAME,
        OTHER_EMAIL,
    ], "the other candidate's data must stay"

    # The facts stay: the evaluation's figures are what they were.
    assert await figures(api, as_of) == before

    # Every view says erased.
    shown = await api.read(f"/candidates/{cid}")
    assert (shown["name"], shown["email"], shown["phone"]) == (ERASED, None, None)
    assert shown["stage"] == "accepted"
    timeline = await api.read(f"/candidates/{cid}/timeline")
    interview = next(e for e in timeline if e["event_type"] == "Lis1InterviewHeld")
    assert interview["details"]["notes"] == ERASED
    assert interview["details"]["interviewer"] == ERASED
    assert timeline[-1]["event_type"] == "Erased"
    reader = LogReader(settings.database_url, settings.database_schema, keys=worker.keys.key_by_id)
    try:
        envelopes, _ = reader.read(0, 10_000)
        # Contact details are not streamed (minimisation); asked for, an erased person has none.
        assert not [e for e in envelopes if e.type == "Candidate.ContactDetailsRecorded"]
        assert reader.contact_details(cid) is None
        [stored] = [
            e
            for e in reader.recorder.select_events(UUID(cid))
            if e.topic.endswith(":Candidate.ContactDetailsRecorded")
        ]
        contact = decode(
            stored.topic,
            stored.state,
            0,
            stored.originator_id,
            stored.originator_version,
            worker.keys.key_by_id,
        )
    finally:
        reader.close()
    assert contact is not None
    assert contact.erased
    assert contact.data.model_dump() == {"name": ERASED, "email": ERASED, "phone": None}

    # Erased means erased: no command about the person records personal data again, and asking
    # again re-runs the purge.
    again = await api.client.put(
        f"/candidates/{cid}/contact-details",
        json={"name": NAME, "email": EMAIL},
        headers=api.auth(),
    )
    assert again.status_code == 409, again.text
    repeat = await api.client.post(
        f"/candidates/{cid}/erasure", json={"reason": "Gjentatt"}, headers=admin
    )
    assert repeat.status_code == 200, repeat.text
    assert repeat.json()["already_erased"] is True
    keys = KeyStore(engines.sync_engine(settings.database_url, settings.database_schema))
    try:
        assert keys.is_erased(cid)
        assert not keys.is_erased(other)
    finally:
        keys.engine.dispose()
