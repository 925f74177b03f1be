"""The e-mails as a recipient's mail program gets them, on SQLite and on PostgreSQL.

The pipeline's commands write the log; the notifications worker delivers to the demo SMTP
server (aiosmtpd), which writes each message as an .eml file; the test parses those files with
the standard library: headers (`Date`, a stable `Message-ID`, `Reply-To`), a plain-text and an
HTML part, the chief physician to contact, the link to the service, hostile values escaped.
A retry of one delivery carries the same Message-ID.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import cast
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from helgeland_notifications.demo_smtp import start_demo_smtp
from helgeland_notifications.messages import Recipients
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import Worker
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.forum import InvitationKind
from helgeland_pipeline.settings import Settings

from tests.factories import FORUM, RANA, RECRUITER, VEFSN, Clock, forum_list, lis3_terms, municipal
from tests.integration.notify_support import (
    deliveries,
    free_port,
    notify_settings,
    smtp_server,
)

PUBLIC_URL = "https://helgelandslegen.test"
DOMAIN = "varsel.helgelandslegen.test"
SENT_AT = datetime(2027, 1, 20, 7, 30, tzinfo=UTC)  # 08:30 in Norway
HOSTILE_NAME = "<script>alert('x')</script> & \"Ola\""
HOSTILE_MUNICIPALITY = "Rana <img src=x onerror=alert(1)>"


class Page(HTMLParser):
    """An HTML part read back: its tags, its links and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.lang: str | None = None
        self.chunks: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "html":
            self.lang = dict(attrs).get("lang")
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())


class Eml:
    """One .eml file the demo SMTP server wrote."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.message: EmailMessage = BytesParser(policy=policy.default).parsebytes(
            path.read_bytes()
        )

    def header(self, name: str) -> str:
        value = self.message[name]
        assert value is not None, f"{self.path.name} has no {name} header"
        return str(value).strip()

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        assert body.get_content_type() == f"text/{subtype}"
        return str(cast("EmailMessage", body).get_content())

    @property
    def text(self) -> str:
        return " ".join(self.part("plain").split())

    @property
    def page(self) -> Page:
        return Page(self.part("html"))


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


@pytest.fixture
def maildrop(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    folder, port = tmp_path / "mail", free_port()
    controller = start_demo_smtp(folder, port=port)
    try:
        yield folder, port
    finally:
        controller.stop()


def mail_settings(settings: Settings, port: int, recipients: Path) -> NotifySettings:
    return NotifySettings(
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        data_dir=settings.data_dir,
        smtp_port=port,
        start_quiet=False,
        auto_migrate=True,
        notify_public_url=PUBLIC_URL + "/",  # a trailing slash is not doubled in the links
        message_id_domain=DOMAIN,
        recipients_file=recipients,
        webhook_sealing_key=settings.webhook_sealing_key_bytes().hex(),
        retry_schedule_seconds=[60.0],
    )


@pytest.fixture
def recipients(tmp_path: Path) -> Path:
    """The shipped addresses, with a municipality's name a hostile value."""
    shipped = Recipients.load(None)
    path = tmp_path / "recipients.json"
    names = shipped.names | {RANA: HOSTILE_MUNICIPALITY}
    raw = {"forum": shipped.forum, "municipalities": shipped.municipalities, "names": names}
    path.write_text(json.dumps(raw), "utf-8")
    return path


@pytest.fixture
async def worker(
    services: Services, settings: Settings, maildrop: tuple[Path, int], recipients: Path
) -> AsyncIterator[Worker]:
    built = Worker(mail_settings(settings, maildrop[1], recipients), clock=lambda: SENT_AT)
    yield built
    await built.close()


def named(services: Services, cid: UUID, name: str) -> str:
    email = "kari.nordmann@example.no"
    services.app.record_contact_details(RECRUITER, cid, name, email)
    return email


async def test_each_mail_is_dated_identified_in_two_parts_with_contact_and_link(
    services: Services, worker: Worker, maildrop: tuple[Path, int]
) -> None:
    fl = forum_list(services.app, shared=1)
    [kari] = fl.shared
    kari_email = named(services, kari, HOSTILE_NAME)
    at = services.app.clock() + timedelta(days=7)
    services.app.invite(municipal(RANA), kari, RANA, InvitationKind.TOUR, [at])
    expires = (services.app.clock() + timedelta(days=30)).date()
    _, offer_id = services.app.offer_lis3(
        municipal(RANA), kari, RANA, fl.lis3_start, lis3_terms(), expires
    )
    services.app.accept_lis3_offer(FORUM, kari, offer_id)

    await worker.run(asyncio.Event(), until_idle=True)
    emails = [r for r in deliveries(worker) if r.channel == "email"]
    # The offer's reminder was due later; the acceptance cancelled it.
    [reminder] = [r for r in emails if r.status == "cancelled"]
    assert reminder.subject.startswith("Påminnelse")
    rows = {r.key: r for r in emails if r is not reminder}
    assert {r.status for r in rows.values()} == {"delivered"}
    mails = [Eml(p) for p in sorted(maildrop[0].glob("*.eml"))]
    assert len(mails) == len(rows) == 19 + 2 + 1  # the list, invitation and offer, accepted

    for mail in mails:
        # Date: when it was handed to the relay, in Norwegian time.
        date = mail.header("Date")
        assert parsedate_to_datetime(date) == SENT_AT
        assert date.endswith("+0100")
        # Message-ID: the delivery's idempotency key at the configured domain.
        key = mail.header("X-Idempotency-Key")
        assert mail.header("Message-ID") == f"<{key}@{DOMAIN}>"
        assert rows[key].recipient == mail.header("To")
        # Two parts, text first: the mail program shows the richest it can (an invitation
        # has its calendar file attached beside them).
        alternative = mail.message
        if mail.header("Subject").startswith("Invitasjon"):
            assert mail.message.get_content_type() == "multipart/mixed"
            alternative, ics = mail.message.iter_parts()  # type: ignore[assignment]
            assert ics.get_content_type() == "text/calendar"
        assert alternative.get_content_type() == "multipart/alternative"
        parts = [p.get_content_type() for p in alternative.iter_parts()]
        assert parts == ["text/plain", "text/html"]
        page = mail.page
        assert page.lang == "nb"
        # No value brought markup of its own: only the templates' tags.
        assert page.tags <= {"html", "head", "meta", "title", "body", "p", "a", "hr", "small"}
        assert "<script>" not in mail.part("html")
        assert "<img" not in mail.part("html")
        assert all(link.startswith((PUBLIC_URL, "mailto:")) for link in page.links), page.links

    # The forum list: a link to the shared candidates in both parts.
    listed = [m for m in mails if "LIS1-listen" in m.header("Subject")]
    assert len(listed) == 19
    for mail in listed:
        assert f"invitere dem i Helgelandslegen: {PUBLIC_URL}/forum/candidates" in mail.text
        assert page_links(mail) == [f"{PUBLIC_URL}/forum/candidates", PUBLIC_URL]
        assert "Reply-To" not in mail.message

    # The candidate: the inviting (offering) municipality's chief physician to answer.
    rana = Recipients.load(None).municipalities[RANA]
    to_kari = [m for m in mails if m.header("To") == kari_email]
    assert sorted(m.header("Subject") for m in to_kari) == [
        f"Invitasjon fra {HOSTILE_MUNICIPALITY} kommune",
        f"Tilbud om LIS3-stilling i {HOSTILE_MUNICIPALITY} kommune",
    ]
    for mail in to_kari:
        assert mail.header("Reply-To") == rana
        contact = f"Kontakt: kommuneoverlegen i {HOSTILE_MUNICIPALITY} kommune, {rana}"
        assert contact in mail.text
        assert contact in mail.page.text
        assert mail.page.links == [f"mailto:{rana}"]
        # The hostile name: as it is in the text part, escaped in the HTML part.
        assert f"Hei {HOSTILE_NAME}!" in mail.part("plain")
        assert f"Hei {HOSTILE_NAME}!" in mail.page.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Ola&#34;" in (
            mail.part("html")
        )
    invitation = next(m for m in to_kari if m.header("Subject").startswith("Invitasjon"))
    local = at.astimezone(ZoneInfo("Europe/Oslo"))
    assert f"Foreslått tid: {local:%d.%m.%Y kl. %H:%M}." in invitation.text

    # The forum hears of the acceptance, with a link to its board.
    [accepted] = [m for m in mails if "akseptert" in m.header("Subject")]
    assert f"{PUBLIC_URL}/forum/board" in accepted.text
    assert page_links(accepted)[0] == f"{PUBLIC_URL}/forum/board"
    assert VEFSN not in accepted.text


def page_links(mail: Eml) -> list[str]:
    return mail.page.links


async def test_a_retried_mail_keeps_its_message_id_and_is_dated_anew(
    services: Services, settings: Settings, recipients: Path
) -> None:
    clock = Clock(SENT_AT)
    with smtp_server() as sink:
        config = notify_settings(settings, sink).model_copy(
            update={"message_id_domain": DOMAIN, "retry_schedule_seconds": [300.0]}
        )
        worker = Worker(config, clock=clock)
        try:
            forum = Recipients.load(None).forum
            sink.failing[forum] = 1  # the relay refuses the first attempt (451)
            forum_list(services.app, shared=1)
            worker.derive_all()
            await worker.deliver_due()
            [row] = [r for r in deliveries(worker) if r.recipient == forum]
            assert (row.status, row.attempts) == ("pending", 1)
            assert sink.to(forum) == []
            clock.advance(minutes=10)
            await worker.deliver_due()
        finally:
            await worker.close()
    [refused] = [m for m in sink.refused_mails if m.to == forum]
    [delivered] = sink.to(forum)
    first, second = refused.message, delivered.message
    assert str(first["Message-ID"]).strip() == str(second["Message-ID"]).strip()
    assert str(second["Message-ID"]).strip() == f"<{row.key}@{DOMAIN}>"
    assert parsedate_to_datetime(str(first["Date"])) == SENT_AT
    assert parsedate_to_datetime(str(second["Date"])) == SENT_AT + timedelta(minutes=10)
    # Everything else is the same message.
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_settings_refuse_a_bad_public_url_or_message_id_domain() -> None:
    for bad in ("helgelandslegen.no", "ftp://x.example", "https://x.example/?a=1", "https://"):
        with pytest.raises(ValueError, match="absolute http"):
            NotifySettings(notify_public_url=bad)
    for bad in ("a b.example", "x@y.example", "<x>", "-x.example"):
        with pytest.raises(ValueError, match="domain name"):
            NotifySettings(message_id_domain=bad)
    with pytest.raises(ValueError, match="has no domain"):
        NotifySettings(mail_from="Helgelandslegen <varsel>")
    assert NotifySettings().mail_domain() == "helgelandslegen.example"
