"""The notifications service end to end, on SQLite and on PostgreSQL.

The pipeline's own commands write the log (a forum list, an invitation, two competing LIS3
offers, an acceptance); the notifications worker reads it through the contracts and delivers
to a real SMTP server (aiosmtpd) and a real HTTP receiver that checks every signature with the
Standard Webhooks reference implementation.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from helgeland_notifications.messages import Recipients
from helgeland_notifications.worker import Worker
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.domain.forum import InvitationKind
from helgeland_pipeline.settings import Settings

from tests.factories import (
    FORUM,
    RANA,
    RECRUITER,
    VEFSN,
    Clock,
    ForumList,
    forum_list,
    lis3_terms,
    municipal,
)
from tests.integration.notify_support import (
    SmtpSink,
    WebhookReceiver,
    deliveries,
    notify_settings,
    run_until_settled,
    smtp_server,
    webhook_receiver,
)

BRONNOY = "1813"
ROUND_NAME = "LIS1 vår 2027"  # what `forum_list` opens
EVENT_TYPES = ["forum_list_sent", "invitation_sent", "lis3_offer_accepted"]
RECIPIENTS = Recipients.load(None)
KEY = re.compile(r"msg_[0-9a-f]{40}")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver() as running:
        yield running


@pytest.fixture
async def worker(services: Services, settings: Settings, smtp: SmtpSink) -> AsyncIterator[Worker]:
    built = Worker(notify_settings(settings, smtp))
    yield built
    await built.close()


def subscribe(
    services: Services, receiver: WebhookReceiver, actor: Actor, path: str, types: list[str]
) -> None:
    _, secret = services.app.subscribe_webhook(actor, receiver.url(path), types)
    receiver.expect(path, secret)


def offer(services: Services, fl: ForumList, cid: UUID, number: str) -> str:
    _, offer_id = services.app.offer_lis3(
        municipal(number),
        cid,
        number,
        fl.lis3_start,
        lis3_terms(),
        (services.app.clock() + timedelta(days=30)).date(),
    )
    return offer_id


def invite(services: Services, cid: UUID, number: str) -> None:
    at = services.app.clock() + timedelta(days=7)
    services.app.invite(municipal(number), cid, number, InvitationKind.TOUR, [at])


def named(services: Services, cid: UUID, name: str) -> str:
    """Give a candidate a known name and address (a correction, as the recruiter makes it)."""
    email = name.lower().replace(" ", ".") + "@example.no"
    services.app.record_contact_details(RECRUITER, cid, name, email)
    return email


async def test_messages_reach_each_recipient_signed_and_filtered(
    services: Services, worker: Worker, smtp: SmtpSink, receiver: WebhookReceiver
) -> None:
    fl = forum_list(services.app, shared=2, send=False)
    kari, per = fl.shared
    kari_email = named(services, kari, "Kari Nordmann")
    per_email = named(services, per, "Per Hansen")
    for actor, path in (
        (municipal(RANA), "/rana"),
        (municipal(VEFSN), "/vefsn"),
        (municipal(BRONNOY), "/bronnoy"),
        (FORUM, "/forum"),
    ):
        subscribe(services, receiver, actor, path, EVENT_TYPES)

    services.app.send_list_to_forum(RECRUITER, fl.round_id)
    invite(services, kari, RANA)
    rana_offer = offer(services, fl, kari, RANA)
    vefsn_offer = offer(services, fl, kari, VEFSN)
    services.app.accept_lis3_offer(FORUM, kari, rana_offer)

    await run_until_settled(worker)

    # --- e-mail: one list message per municipality and the forum -----------------------------
    derived = deliveries(worker)
    # Offer reminders were due later; the acceptance cancelled them (`test_answer_links.py`).
    reminders = [r for r in derived if (r.subject or "").startswith("Påminnelse")]
    assert {r.status for r in reminders} <= {"cancelled"}
    rows = [r for r in derived if r not in reminders]
    assert rows, "the worker derived nothing"
    assert {r.status for r in rows} == {"delivered"}
    assert {r.attempts for r in rows} == {1}
    mails = smtp.snapshot()
    assert len({m.key for m in mails}) == len(mails), "an e-mail was sent twice"
    email_rows = {r.key: r for r in rows if r.channel == "email"}
    assert {m.key for m in mails} == set(email_rows)

    list_subject = f"Helgelandslegen: LIS1-listen for {ROUND_NAME} er sendt til forumet"
    list_mails = [m for m in mails if m.subject == list_subject]
    addresses = [*RECIPIENTS.municipalities.values(), RECIPIENTS.forum]
    assert len(addresses) == 19
    assert sorted(m.to for m in list_mails) == sorted(addresses)
    for mail in list_mails:
        assert mail.message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in mail.message.iter_parts()] == [
            "text/plain",
            "text/html",
        ]
        assert "Kommuneoverlegeforum Helgeland (2 kandidater)" in mail.part("plain")
        assert '<html lang="nb">' in mail.part("html")
        assert "(2 kandidater)" in mail.part("html")
        assert KEY.fullmatch(mail.key)
        assert mail.message["X-Idempotency-Key"] == mail.key
        row = email_rows[mail.key]
        assert (row.recipient, row.subject) == (mail.to, list_subject)
        assert str(mail.message["To"]) == mail.to

    # --- e-mail: the candidate hears of the invitation and both offers -----------------------
    to_kari = sorted(m.subject for m in smtp.to(kari_email))
    assert to_kari == [
        "Invitasjon fra Rana kommune",
        "Tilbud om LIS3-stilling i Rana kommune",
        "Tilbud om LIS3-stilling i Vefsn kommune",
    ]
    invitation = next(m for m in smtp.to(kari_email) if m.subject.startswith("Invitasjon"))
    assert "Hei Kari Nordmann!" in invitation.part("plain")
    assert "inviterer deg til omvisning" in invitation.part("plain")
    assert smtp.to(per_email) == []

    # --- e-mail: the forum hears of the acceptance; no municipality does ----------------------
    forum_subjects = sorted(m.subject for m in smtp.to(RECIPIENTS.forum))
    assert forum_subjects == sorted([list_subject, "Helgelandslegen: et LIS3-tilbud er akseptert"])
    accepted = next(m for m in smtp.to(RECIPIENTS.forum) if m.subject != list_subject)
    assert "LIS3-tilbudet fra Rana kommune" in accepted.part("plain")
    assert "er lukket (Vefsn)" in accepted.part("plain")
    for address in RECIPIENTS.municipalities.values():
        assert [m.subject for m in smtp.to(address)] == [list_subject]
    assert len(mails) == 19 + 3 + 1

    # --- webhooks: signed, each verified by the reference implementation ---------------------
    assert receiver.unverified == []
    hooks = receiver.snapshot()
    webhook_rows = {r.key: r for r in rows if r.channel == "webhook"}
    assert sorted(h.key for h in hooks) == sorted(webhook_rows)
    for hook in hooks:
        assert KEY.fullmatch(hook.key)
        assert webhook_rows[hook.key].recipient == receiver.url(hook.path)
        assert set(hook.payload) == {"type", "data", "timestamp"}

    def types(path: str) -> list[str]:
        return sorted(h.type for h in receiver.at(path))

    assert types("/rana") == ["forum_list_sent", "invitation_sent", "lis3_offer_accepted"]
    assert types("/forum") == ["forum_list_sent", "invitation_sent", "lis3_offer_accepted"]
    # Vefsn did not invite: it hears of the list and that its offer closed, nothing more.
    assert types("/vefsn") == ["forum_list_sent", "lis3_offer_accepted"]
    assert types("/bronnoy") == ["forum_list_sent"]

    def one(path: str, kind: str) -> dict[str, Any]:
        [hook] = [h for h in receiver.at(path) if h.type == kind]
        return hook.data

    for path in ("/rana", "/vefsn", "/bronnoy", "/forum"):
        assert one(path, "forum_list_sent") == {
            "round_id": str(fl.round_id),
            "round_name": ROUND_NAME,
            "count": 2,
        }
    invited = one("/rana", "invitation_sent")
    assert (invited["candidate_id"], invited["municipality"], invited["kind"]) == (
        str(kari),
        RANA,
        "tour",
    )
    assert one("/forum", "invitation_sent") == invited

    won = {
        "candidate_id": str(kari),
        "offer_id": rana_offer,
        "municipality": RANA,
        "outcome": "accepted",
    }
    assert one("/rana", "lis3_offer_accepted") == won
    assert one("/forum", "lis3_offer_accepted") == won
    lost = one("/vefsn", "lis3_offer_accepted")
    assert lost == {
        "candidate_id": str(kari),
        "offer_id": vefsn_offer,
        "outcome": "accepted_elsewhere",
    }
    [lost_hook] = [h for h in receiver.at("/vefsn") if h.type == "lis3_offer_accepted"]
    for leak in (RANA, rana_offer, "Rana", '"municipality"'):
        assert leak not in lost_hook.body.decode()


async def test_after_consent_is_withdrawn_no_municipality_hears_of_the_candidate(
    services: Services, worker: Worker, smtp: SmtpSink, receiver: WebhookReceiver
) -> None:
    fl = forum_list(services.app, shared=2, send=False)
    kari, per = fl.shared
    per_email = named(services, per, "Per Hansen")
    types = [*EVENT_TYPES, "lis3_offered"]
    for actor, path in ((municipal(RANA), "/rana"), (municipal(VEFSN), "/vefsn"), (FORUM, "/f")):
        subscribe(services, receiver, actor, path, types)
    services.app.send_list_to_forum(RECRUITER, fl.round_id)
    await run_until_settled(worker)
    before = len(receiver.snapshot())
    assert before == 3

    # Per is invited and offered; the messages are derived but not yet sent …
    invite(services, per, RANA)
    offer(services, fl, per, VEFSN)
    worker.derive_all()
    about_per = [r for r in deliveries(worker) if r.candidate_id == str(per)]
    municipal_rows = [r for r in about_per if r.audience != "candidate"]
    assert Counter((r.audience, r.status) for r in municipal_rows) == {
        ("municipality", "pending"): 2,  # Rana's invitation, Vefsn's offer
        ("forum", "pending"): 2,
    }
    # The invitation, the offer and the offer's reminder (due later).
    to_per = [r for r in about_per if r.audience == "candidate"]
    assert [r.recipient for r in to_per] == [per_email] * 3
    [reminder] = [r for r in to_per if r.subject.startswith("Påminnelse")]

    # … when Per withdraws consent: what would reach a municipality or the forum is cancelled,
    # and so is the reminder of an offer that consent closed.
    services.app.withdraw_consent(RECRUITER, per)
    worker.derive_all()
    cancelled = {r.key for r in deliveries(worker) if r.status == "cancelled"}
    assert cancelled == {r.key for r in municipal_rows} | {reminder.key}
    cancelled -= {reminder.key}

    # Later events about Per (a corrected address) and others (Kari is invited) go on.
    named(services, per, "Per Olav Hansen")
    invite(services, kari, VEFSN)
    await run_until_settled(worker)

    rows = deliveries(worker)
    per_rows = [r for r in rows if r.candidate_id == str(per) and r.audience != "candidate"]
    assert {r.key for r in per_rows} == cancelled
    assert {r.status for r in per_rows} == {"cancelled"}
    assert receiver.unverified == []
    after = receiver.snapshot()[before:]
    # Kari's invitation reached Vefsn and the forum; nothing about Per reached anyone.
    assert sorted((h.path, h.type, h.data["candidate_id"]) for h in after) == [
        ("/f", "invitation_sent", str(kari)),
        ("/vefsn", "invitation_sent", str(kari)),
    ]
    assert all(str(per) not in h.body.decode() for h in receiver.snapshot())
    for address in [*RECIPIENTS.municipalities.values(), RECIPIENTS.forum]:
        assert len(smtp.to(address)) == 1, "only the list reached the municipalities and forum"
