"""Candidates answer for themselves, as they would: from the real e-mail to the real page.

The pipeline is served by uvicorn on a free port; the notifications worker delivers to the demo
SMTP server, which writes each message as an .eml file. The test takes the answer link from the
candidate's e-mail, opens it with an HTTP client (cookies, the form's CSRF token), answers, and
finds the event in the log with the candidate as actor and the municipality's e-mail in the
folder. Expired, reused and tampered links get a Norwegian refusal page and a 4xx status; the
invitation's calendar file is parsed back with `icalendar`; the offer's reminder goes once.
On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import base64
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast
from uuid import UUID, uuid4

import httpx
import pytest
import uvicorn
from helgeland_contracts.events_v1 import Envelope
from helgeland_contracts.log import LogReader
from helgeland_notifications import store
from helgeland_notifications.demo_smtp import start_demo_smtp
from helgeland_notifications.messages import Recipients
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import Worker
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.application import PipelineApplication, Saved
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.domain.forum import InvitationKind
from helgeland_pipeline.settings import Settings
from icalendar import Calendar
from sqlalchemy import select

from tests.factories import NOW, RANA, RECRUITER, VEFSN, Clock, forum_list, lis3_terms, municipal
from tests.integration.notify_support import free_port

OSLO_OFFICE = "Rana legekontor, Ole Tobias Olsens gate 10, Mo i Rana"
RANA_MAIL = Recipients.load(None).municipalities[RANA]
KARI = "kari.nordmann@example.no"
BRONNOY = "1813"
LINK = re.compile(r"https?://[^\s]+/svar/[A-Za-z0-9._-]+")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


# --- the running parts ------------------------------------------------------------------------


@dataclass
class Running:
    url: str
    services: ApiServices
    clock: Clock
    worker: Worker
    mail: Path
    settings: Settings

    @property
    def app(self) -> PipelineApplication:
        return self.services.core.app

    def visible(self, saved: Saved) -> None:
        assert self.services.core.wait_for(saved, ["forum"]) == [], "the forum lags"

    def deliver(self) -> None:
        asyncio.run(self.worker.run(asyncio.Event(), until_idle=True))

    def mails(self, to: str, subject: str = "") -> list[EmailMessage]:
        found = []
        for path in sorted(self.mail.glob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            if str(message["To"]) == to and str(message["Subject"]).startswith(subject):
                found.append(message)
        return found

    def events(self, kind: str) -> list[Envelope]:
        reader = LogReader(self.settings.database_url, self.settings.database_schema)
        try:
            envelopes, _ = reader.read(0, 10_000)
        finally:
            reader.close()
        return [e for e in envelopes if e.type == kind]


def text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(cast("EmailMessage", body).get_content())


def answer_link(message: EmailMessage) -> str:
    [link] = set(LINK.findall(text(message)))
    return str(link)


@pytest.fixture
def running(settings: Settings, tmp_path: Path) -> Iterator[Running]:
    clock = Clock(NOW)
    mail, smtp_port, port = tmp_path / "mail", free_port(), free_port()
    smtp = start_demo_smtp(mail, port=smtp_port)
    app = create_app(settings, clock=clock)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.1)
    notify = NotifySettings(
        demo=True,  # its mail folder is `data_dir/mail`, purged of an erased person's mail
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        data_dir=settings.data_dir,
        smtp_port=smtp_port,
        start_quiet=False,
        auto_migrate=True,
        notify_public_url=url,
        webhook_sealing_key=settings.webhook_sealing_key_bytes().hex(),
        answer_link_key=settings.answer_link_key_bytes().hex(),
    )
    worker = Worker(notify, clock=clock)
    try:
        yield Running(url, app.state.services, clock, worker, mail, settings)
    finally:
        asyncio.run(worker.close())
        server.should_exit = True
        thread.join(timeout=60)
        smtp.stop()


def shared_kari(running: Running) -> UUID:
    fl = forum_list(running.app, shared=1)
    [kari] = fl.shared
    running.app.record_contact_details(RECRUITER, kari, "Kari Nordmann", KARI)
    return kari


def open_form(client: httpx.Client, link: str) -> str:
    """Open the answer page; return its form's CSRF token."""
    page = client.get(link)
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    found = CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def refused(response: httpx.Response, status: int, title: str) -> None:
    assert response.status_code == status, response.text
    assert f"<h1>{title}</h1>" in response.text
    assert '<html lang="nb">' in response.text


# --- invitations ------------------------------------------------------------------------------


def test_the_candidate_answers_an_invitation_from_the_e_mail_once(running: Running) -> None:
    kari = shared_kari(running)
    times = [NOW + timedelta(days=5), NOW + timedelta(days=6, hours=2)]
    saved, invitation = running.app.invite(
        municipal(RANA), kari, RANA, InvitationKind.INTERVIEW, times, location=OSLO_OFFICE
    )
    running.visible(saved)
    running.deliver()

    [mail] = running.mails(KARI, "Invitasjon")
    # The calendar file: one tentative event per proposed time, organised by Rana's chief
    # physician, at the office.
    [attached] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert attached.get_filename() == "invitasjon.ics"
    calendar = Calendar.from_ical(attached.get_content())
    assert str(calendar["method"]) == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == times
    assert {str(e["organizer"]) for e in events} == {f"mailto:{RANA_MAIL}"}
    assert {str(e["location"]) for e in events} == {OSLO_OFFICE}
    assert all(str(e["summary"]).startswith("Intervju") for e in events)

    link = answer_link(mail)
    assert link.startswith(f"{running.url}/svar/")
    with httpx.Client(timeout=60) as client:
        csrf = open_form(client, link)
        # Without the form's CSRF token nothing is recorded.
        refused(client.post(link, data={"svar": "declined"}), 403, "Ingen tilgang")
        # A new time is asked for when the candidate proposes one.
        asked = client.post(link, data={"csrf": csrf, "svar": "new_time_proposed"})
        assert asked.status_code == 422
        assert "Skriv inn tidspunktet du foreslår" in asked.text
        done = client.post(
            link, data={"csrf": csrf, "svar": "new_time_proposed", "ny_tid": "2027-01-25T10:00"}
        )
        assert done.status_code == 200, done.text
        assert "Takk, svaret ditt er registrert" in done.text
        assert "25.01.2027 kl. 10:00" in done.text

        # The answer is the candidate's own event.
        [answered] = running.events("ForumCandidacy.InvitationAnswered")
        assert answered.actor.role == "candidate"
        assert answered.actor.person_id == str(kari)
        data = answered.data.model_dump()
        assert (str(data["invitation_id"]), data["answer"]) == (invitation, "new_time_proposed")
        assert data["new_time"] == datetime(2027, 1, 25, 9, 0, tzinfo=UTC)

        # Reused: the page and a second answer are refused; nothing more is recorded.
        refused(client.get(link), 409, "Du har allerede svart")
        again = client.post(link, data={"csrf": csrf, "svar": "accepted"})
        refused(again, 409, "Du har allerede svart")
        assert len(running.events("ForumCandidacy.InvitationAnswered")) == 1

        # Tampered: another invitation's id under this link's signature, or the signature
        # changed.
        version, claims, signature = link.rsplit("/", 1)[1].split(".")
        other = base64.urlsafe_b64encode(
            base64.urlsafe_b64decode(claims + "==").replace(
                invitation.encode(), str(uuid4()).encode()
            )
        )
        forged = f"{running.url}/svar/{version}.{other.decode().rstrip('=')}.{signature}"
        refused(client.get(forged), 400, "Lenken er ugyldig")
        flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
        refused(
            client.get(f"{running.url}/svar/{version}.{claims}.{flipped}"), 400, "Lenken er ugyldig"
        )

    # Rana's chief physician hears the answer.
    running.deliver()
    [told] = running.mails(RANA_MAIL, "Svar fra kandidat")
    assert "Kari Nordmann har svart på invitasjonen til intervju" in text(told)
    assert "foreslår en annen tid" in text(told)
    assert "Foreslått ny tid: 25.01.2027 kl. 10:00" in text(told)

    # Erased, she is named nowhere: not in the municipality's mail file, not in the service.
    running.app.erase_candidate(RECRUITER, kari, "Kandidaten ba om sletting")
    running.deliver()
    assert running.mails(RANA_MAIL, "Svar fra kandidat") == []
    with running.worker.engine.connect() as conn:
        kept = conn.execute(select(store.deliveries)).all()
    assert "Kari Nordmann" not in repr(kept)


# --- offers -----------------------------------------------------------------------------------


def test_the_candidate_is_reminded_once_and_accepts_an_offer_from_the_e_mail(
    running: Running,
) -> None:
    kari = shared_kari(running)
    fl_start = NOW.date() + timedelta(days=800)
    app = running.app
    terms = lis3_terms(training_share=25, out_of_hours_share=10, list_length=600)
    app.offer_lis3(municipal(RANA), kari, RANA, fl_start, terms, NOW.date() + timedelta(days=10))
    app.offer_lis3(
        municipal(VEFSN), kari, VEFSN, fl_start, lis3_terms(), NOW.date() + timedelta(days=2)
    )
    _, bronnoy_offer = app.offer_lis3(
        municipal(BRONNOY), kari, BRONNOY, fl_start, lis3_terms(), NOW.date() + timedelta(days=10)
    )
    saved = app.withdraw_lis3_offer(municipal(BRONNOY), kari, bronnoy_offer)
    running.visible(saved)
    running.deliver()

    offers = running.mails(KARI, "Tilbud om LIS3")
    assert len(offers) == 3
    rana = next(m for m in offers if "Rana" in str(m["Subject"]))
    vefsn = next(m for m in offers if "Vefsn" in str(m["Subject"]))
    bronnoy = next(m for m in offers if "Brønnøy" in str(m["Subject"]))
    for line in (
        "Tid til utdanning: 25 % av arbeidstiden",
        "Veiledning: veileder Fastlege Veileder, veiledningsgruppe ALIS Helgeland",
        "Lønnsmodell: fast lønn",
        "Legevakt: 10 % av arbeidstiden",
        "Listelengde: 600 pasienter",
    ):
        assert line in text(rana)
    assert answer_link(rana) != answer_link(vefsn)  # one link per message, one offer each

    with httpx.Client(timeout=60) as client:
        # Brønnøy withdrew its offer: the link is refused, and its reminder will not come.
        refused(client.get(answer_link(bronnoy)), 409, "Ikke lenger åpent")
        # Vefsn's offer runs out: its link is refused from the day after its answer-by day.
        running.clock.advance(days=3)
        refused(client.get(answer_link(vefsn)), 410, "Lenken er utløpt")

        # The reminder: three days before Rana's answer-by day, once.
        assert running.mails(KARI, "Påminnelse") == []
        running.clock.advance(days=4)  # day 7, 12:00 UTC: after 08:00 in Norway
        running.deliver()
        running.clock.advance(days=1)
        running.deliver()
        [reminder] = running.mails(KARI, "Påminnelse")
        assert "Du har ikke svart ennå" in text(reminder)
        assert "Tid til utdanning: 25 % av arbeidstiden" in text(reminder)

        link = answer_link(reminder)
        csrf = open_form(client, link)
        done = client.post(link, data={"csrf": csrf, "svar": "accept"})
        assert done.status_code == 200, done.text
        assert "Du har takket ja til LIS3-stillingen i Rana kommune" in done.text
        refused(client.get(link), 409, "Du har allerede svart")

    [accepted] = running.events("ForumCandidacy.Lis3OfferAccepted")
    assert (accepted.actor.role, accepted.actor.person_id) == ("candidate", str(kari))
    running.deliver()
    [told] = running.mails(RANA_MAIL, "Svar fra kandidat")
    assert "Kari Nordmann har svart på LIS3-tilbudet fra Rana kommune: takker ja" in " ".join(
        text(told).split()
    )
    assert len(running.mails(KARI, "Påminnelse")) == 1
