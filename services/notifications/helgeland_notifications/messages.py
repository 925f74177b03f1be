"""From public events to messages: who hears what, filtered to what each recipient may see.

Municipalities hear only of candidates on a forum list who still consent; a municipality whose
offer closed hears "accepted elsewhere", never where. Candidates hear of their own invitations
and offers. Everything here runs in the transaction that also moves the service's position.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from email import policy
from email.parser import BytesParser
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from helgeland_contracts.events_v1 import Envelope
from helgeland_platform.answer_links import Purpose
from helgeland_platform.keystore import KeyStore
from sqlalchemy import Connection, delete, select, update

from helgeland_notifications import answers, store
from helgeland_notifications.templates import KIND_NB, render

RECERTIFICATION_NOTICE = timedelta(days=90)
OSLO = ZoneInfo("Europe/Oslo")
Handler = Callable[[Connection, Envelope, dict[str, Any]], None]
SHARING = "forum_sharing"


@dataclass(frozen=True)
class Person:
    """Who a message to a candidate goes to: asked of the log when a message needs it."""

    candidate_id: str
    name: str
    email: str


# candidate id -> (name, e-mail) now, or None: the only personal data this service reads
ContactLookup = Callable[[str], tuple[str, str] | None]


def _nobody(candidate_id: str) -> tuple[str, str] | None:
    return None


@dataclass(frozen=True)
class Recipients:
    """Who the service writes to: the forum and each municipality's chief physician
    (kommuneoverlege). A candidate invited or offered a post by a municipality is given that
    chief physician as the contact, so they can answer directly."""

    forum: str
    municipalities: dict[str, str]
    names: dict[str, str]

    @classmethod
    def load(cls, path: Path | None) -> Recipients:
        source = path or Path(__file__).with_name("recipients.json")
        raw = json.loads(source.read_text("utf-8"))
        return cls(raw["forum"], dict(raw["municipalities"]), dict(raw["names"]))

    def name(self, municipality: str) -> str:
        return self.names.get(municipality, municipality)

    def contact(self, municipality: str) -> dict[str, str]:
        """The municipality's chief physician, as a candidate's mail names them; the forum's
        address stands in for a municipality without one of its own."""
        email = self.municipalities.get(municipality, self.forum)
        return {"municipality": self.name(municipality), "email": email}


@dataclass(frozen=True)
class Effect:
    channel: str  # "email" or "webhook"
    recipient: str  # an address or a URL
    audience: str  # candidate, municipality, forum or hospital
    candidate_id: str | None = None
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    payload: dict[str, Any] | None = None
    subscription_id: str | None = None
    not_before: datetime | None = None
    purpose: str | None = None  # a second message to one recipient from one event (a reminder)

    def key(self, position: int) -> str:
        """The idempotency key: the event's position, the channel and the recipient (for a
        webhook its subscription: two subscriptions may share a URL), and any purpose."""
        recipient = self.subscription_id or self.recipient
        purpose = f"|{self.purpose}" if self.purpose else ""
        digest = hashlib.sha256(f"{position}|{self.channel}|{recipient}{purpose}".encode())
        return "msg_" + digest.hexdigest()[:40]


@dataclass
class Deriver:
    recipients: Recipients
    public_url: str = "http://127.0.0.1:8000"  # the pipeline, linked from e-mails
    contacts: ContactLookup = _nobody
    effects: list[Effect] = field(default_factory=list)
    keys: KeyStore | None = None  # evicts an erased person's key from this process's cache
    mail_dir: Path | None = None  # demo mode's mail folder, purged of an erased person's mail
    erased: list[str] = field(default_factory=list)  # people erased in the page being derived
    link_key: bytes | None = None  # signs candidates' answer links (`answers.py`); none: no link
    domain: str = "helgelandslegen.example"  # of calendar events' ids

    def derive(self, conn: Connection, event: Envelope) -> list[Effect]:
        self.effects = []
        handler = self.handlers().get(event.type)
        if handler is not None:
            handler(conn, event, event.data.model_dump(mode="json"))
        return self.effects

    def handlers(self) -> dict[str, Handler]:
        return {
            "Candidate.ConsentGiven": self.on_candidate_consent_given,
            "Lis1Round.Opened": self.on_round_opened,
            "ForumCandidacy.Shared": self.on_candidacy_shared,
            "Career.Lis1Started": self.on_career_lis1_started,
            "Career.Lis3Started": self.on_career_lis3_started,
            "Career.MovedWithinHelgeland": self.on_career_moved,
            "Career.Returned": self.on_career_returned,
            "Career.Left": self.on_career_left,
            "WebhookSubscription.Subscribed": self.on_webhook_subscribed,
            "WebhookSubscription.Unsubscribed": self.on_webhook_unsubscribed,
            "Lis1Round.ListSentToForum": self.on_round_list_sent_to_forum,
            "ForumCandidacy.InvitationSent": self.on_candidacy_invitation_sent,
            "ForumCandidacy.Lis3Offered": self.on_candidacy_lis3_offered,
            "ForumCandidacy.Lis3OfferAccepted": self.on_candidacy_lis3_offer_accepted,
            "Candidate.ConsentWithdrawn": self.on_candidate_consent_withdrawn,
            "Candidate.Erased": self.on_candidate_erased,
            "Career.SpecialistApproved": self.on_career_certified,
            "Career.Recertified": self.on_career_certified,
            "Career.MilestoneCorrected": self.on_career_milestone_corrected,
            "ForumCandidacy.InvitationAnswered": partial(answers.on_invitation_answered, self),
            "ForumCandidacy.Lis3OfferDeclined": partial(answers.on_offer_closed, self),
            "ForumCandidacy.Lis3OfferWithdrawn": partial(answers.on_offer_closed, self),
            "ForumCandidacy.ConsentWithdrawn": partial(answers.on_candidacy_closed, self),
        }

    # --- remembering what later messages need -------------------------------------------------

    def on_candidate_consent_given(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        if d["purpose"] == SHARING:
            _upsert(
                conn, store.people, "candidate_id", str(e.aggregate_id), consent_withdrawn=False
            )

    def on_round_opened(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        conn.execute(store.rounds.insert().values(round_id=str(e.aggregate_id), name=d["name"]))

    def on_candidacy_shared(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        conn.execute(
            store.candidacies.insert().values(
                candidacy_id=str(e.aggregate_id), candidate_id=d["candidate_id"]
            )
        )

    def on_career_lis1_started(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        conn.execute(
            store.careers.insert().values(
                career_id=str(e.aggregate_id), candidate_id=d["candidate_id"]
            )
        )

    def on_career_lis3_started(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        self._career_municipality(conn, e, d["municipality"])

    def on_career_moved(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        self._career_municipality(conn, e, d["to_municipality"])
        self._readdress_notice(conn, e, d["to_municipality"])

    def on_career_returned(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        self._career_municipality(conn, e, d["municipality"])
        self._readdress_notice(conn, e, d["municipality"])

    def on_career_left(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        self._readdress_notice(conn, e, None)

    def _career_municipality(self, conn: Connection, e: Envelope, municipality: str) -> None:
        conn.execute(
            update(store.careers)
            .where(store.careers.c.career_id == str(e.aggregate_id))
            .values(municipality=municipality)
        )

    def on_webhook_subscribed(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        conn.execute(
            store.subscriptions.insert().values(
                subscription_id=str(e.aggregate_id),
                organisation=d["organisation"],
                role=d["role"],
                municipality=d["municipality"],
                url=d["url"],
                event_types=d["event_types"],
                secret=d["sealed_secret"],  # stays sealed at rest; unsealed only to sign
                active=True,
            )
        )

    def on_webhook_unsubscribed(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        conn.execute(
            update(store.subscriptions)
            .where(store.subscriptions.c.subscription_id == str(e.aggregate_id))
            .values(active=False)
        )

    # --- step 5: the forum list -----------------------------------------------------------------

    def on_round_list_sent_to_forum(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        name = conn.execute(
            select(store.rounds.c.name).where(store.rounds.c.round_id == str(e.aggregate_id))
        ).scalar_one()
        fields = {
            "round": name,
            "count": len(d["candidate_ids"]),
            "link": f"{self.public_url}/forum/candidates",
            "service_url": self.public_url,
        }
        for address in self.recipients.municipalities.values():
            self._email(address, "municipality", None, "forum_list_sent", **fields)
        self._email(self.recipients.forum, "forum", None, "forum_list_sent", **fields)
        payload = {"round_id": str(e.aggregate_id), "round_name": name, "count": fields["count"]}
        self._webhooks(
            conn,
            "forum_list_sent",
            payload,
            None,
            roles=("municipality", "forum", "hospital_recruiter"),
        )

    # --- steps 6 and 7: invitations and offers --------------------------------------------------

    def on_candidacy_invitation_sent(
        self, conn: Connection, e: Envelope, d: dict[str, Any]
    ) -> None:
        conn.execute(
            store.invitations.insert().values(
                invitation_id=d["invitation_id"],
                candidacy_id=str(e.aggregate_id),
                municipality=d["municipality"],
                kind=d["kind"],
            )
        )
        candidate = self._candidate(conn, str(e.aggregate_id))
        if candidate is None:
            return
        municipality = self.recipients.name(d["municipality"])
        if candidate.email:
            contact = self.recipients.contact(d["municipality"])
            times = [datetime.fromisoformat(t) for t in d["proposed_times"]]
            kind = self.kind_nb(d["kind"])
            ics = answers.calendar(
                d["invitation_id"],
                kind,
                municipality,
                contact,
                times,
                d.get("location"),
                e.recorded_at,
                self.domain,
            )
            self._email(
                candidate.email,
                "candidate",
                candidate.candidate_id,
                "invitation",
                reply_to=contact["email"],
                attachments=[{"filename": "invitasjon.ics", "calendar": ics}],
                name=candidate.name,
                municipality=municipality,
                kind=kind,
                times=", ".join(_local_time(t) for t in d["proposed_times"]),
                location=d.get("location"),
                calendar=True,
                contact=contact,
                answer_link=answers.link(
                    self,
                    Purpose.INVITATION,
                    candidate.candidate_id,
                    d["invitation_id"],
                    d["municipality"],
                    max(times),
                ),
                answer_by=answers.local(max(times)),
            )
        payload = {"candidate_id": candidate.candidate_id, **d}
        self._webhooks(
            conn,
            "invitation_sent",
            payload,
            candidate.candidate_id,
            roles=("forum",),
            municipality=d["municipality"],
        )

    def on_candidacy_lis3_offered(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        conn.execute(
            store.offers.insert().values(
                offer_id=d["offer_id"],
                candidacy_id=str(e.aggregate_id),
                municipality=d["municipality"],
            )
        )
        candidate = self._candidate(conn, str(e.aggregate_id))
        if candidate is None:
            return
        if candidate.email:
            self._offer_emails(conn, e, d, candidate)
        payload = {"candidate_id": candidate.candidate_id, **d}
        self._webhooks(
            conn,
            "lis3_offered",
            payload,
            candidate.candidate_id,
            roles=("forum",),
            municipality=d["municipality"],
        )

    def _offer_emails(
        self, conn: Connection, e: Envelope, d: dict[str, Any], candidate: Person
    ) -> None:
        """The offer with its terms and answer link, and a reminder before its answer-by day."""
        contact = self.recipients.contact(d["municipality"])
        expires_on = date.fromisoformat(d["expires_on"])
        fields: dict[str, Any] = {
            "reply_to": contact["email"],
            "name": candidate.name,
            "start": answers.nb_date(d["start_date"]),
            "expires": answers.nb_date(d["expires_on"]),
            "terms": answers.terms_nb(d.get("terms")),
            "municipality": self.recipients.name(d["municipality"]),
            "contact": contact,
            "answer_link": answers.link(
                self,
                Purpose.OFFER,
                candidate.candidate_id,
                d["offer_id"],
                d["municipality"],
                answers.offer_deadline(expires_on),
            ),
            "answer_by": answers.nb_date(d["expires_on"]),
        }
        self._email(candidate.email, "candidate", candidate.candidate_id, "lis3_offer", **fields)
        remind_at = answers.reminder_moment(expires_on)
        if remind_at <= e.occurred_at:
            return  # too short an offer for a reminder
        self._email(
            candidate.email,
            "candidate",
            candidate.candidate_id,
            "lis3_offer_reminder",
            not_before=remind_at,
            purpose=answers.REMINDER,
            **fields,
        )
        reminder = self.effects[-1].key(e.position)
        conn.execute(
            update(store.offers)
            .where(store.offers.c.offer_id == d["offer_id"])
            .values(reminder_key=reminder)
        )

    def kind_nb(self, kind: str) -> str:
        return KIND_NB.get(kind, kind)

    def on_candidacy_lis3_offer_accepted(
        self, conn: Connection, e: Envelope, d: dict[str, Any]
    ) -> None:
        answers.on_offer_accepted(self, conn, e, d)
        candidate = self._candidate(conn, str(e.aggregate_id))
        if candidate is None:
            return
        cid, winner = candidate.candidate_id, d["municipality"]
        closed = [
            self.recipients.names.get(m, m) for m in self._offer_owners(conn, d["closed_offers"])
        ]
        self._email(
            self.recipients.forum,
            "forum",
            None,
            "offer_accepted",
            municipality=self.recipients.name(winner),
            closed=", ".join(closed) or "ingen",
            link=f"{self.public_url}/forum/board",
            service_url=self.public_url,
        )
        full = {
            "candidate_id": cid,
            "offer_id": d["offer_id"],
            "municipality": winner,
            "outcome": "accepted",
        }
        self._webhooks(
            conn, "lis3_offer_accepted", full, cid, roles=("forum", "hospital_recruiter")
        )
        self._webhooks(conn, "lis3_offer_accepted", full, cid, roles=(), municipality=winner)
        for offer_id, owner in zip(
            d["closed_offers"], self._offer_owners(conn, d["closed_offers"]), strict=True
        ):
            elsewhere = {"candidate_id": cid, "offer_id": offer_id, "outcome": "accepted_elsewhere"}
            self._webhooks(
                conn, "lis3_offer_accepted", elsewhere, cid, roles=(), municipality=owner
            )

    def on_candidate_consent_withdrawn(
        self, conn: Connection, e: Envelope, d: dict[str, Any]
    ) -> None:
        if d["purpose"] != SHARING:
            return  # other consents do not change what municipalities hear
        cid = str(e.aggregate_id)
        _upsert(conn, store.people, "candidate_id", cid, consent_withdrawn=True)
        # Nothing more about this candidate reaches a municipality: pending messages are cancelled,
        # except the re-certification notice to their employer (sharing is not employment).
        d_ = store.deliveries
        pending = conn.execute(
            select(d_.c.key, d_.c.payload).where(
                d_.c.candidate_id == cid, d_.c.audience != "candidate", d_.c.status == "pending"
            )
        ).all()
        cancelled = [r.key for r in pending if _recertification_of(r) is None]
        if cancelled:
            conn.execute(update(d_).where(d_.c.key.in_(cancelled)).values(status="cancelled"))
        shared = conn.execute(
            select(store.candidacies.c.candidacy_id).where(store.candidacies.c.candidate_id == cid)
        ).first()
        if shared is not None:
            self._webhooks(
                conn,
                "consent_withdrawn",
                {"candidate_id": cid},
                None,
                roles=("municipality", "forum"),
            )

    def on_candidate_erased(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        """Everything this service holds about the person goes: their address and name, the
        messages to them (sent, queued or dead-lettered) and, in demo mode, their mail files.
        Messages about them to others (webhooks name only the candidate's id) that are still
        queued are cancelled; e-mails to others that named them keep no text."""
        cid = str(e.aggregate_id)
        if self.keys is not None:
            self.keys.evict(cid)
        self.erased.append(cid)
        person = conn.execute(
            select(store.people.c.email).where(store.people.c.candidate_id == cid)
        ).first()
        d_ = store.deliveries
        theirs = conn.execute(
            select(d_.c.key, d_.c.recipient).where(
                d_.c.candidate_id == cid, d_.c.audience == "candidate"
            )
        ).all()
        # E-mails to others that name them (a municipality told of their answer).
        naming = conn.execute(
            select(d_.c.key).where(
                d_.c.candidate_id == cid, d_.c.audience != "candidate", d_.c.channel == "email"
            )
        ).all()
        if self.mail_dir is not None:
            addresses = {r.recipient for r in theirs} | ({person.email} if person else set())
            purge_mail(self.mail_dir, {r.key for r in [*theirs, *naming]}, addresses)
        conn.execute(delete(d_).where(d_.c.candidate_id == cid, d_.c.audience == "candidate"))
        # The employer's re-certification notices name the person: gone, sent or not.
        conn.execute(
            delete(d_).where(
                d_.c.candidate_id == cid,
                d_.c.audience == "municipality",
                d_.c.channel == "email",
            )
        )
        conn.execute(
            update(d_)
            .where(d_.c.key.in_([r.key for r in naming]))
            .values(subject="[slettet]", body_text=None, body_html=None)
        )
        conn.execute(
            update(d_)
            .where(d_.c.candidate_id == cid, d_.c.status == "pending")
            .values(status="cancelled", last_error="the person's data was erased")
        )
        conn.execute(delete(store.people).where(store.people.c.candidate_id == cid))

    # --- retention ------------------------------------------------------------------------------

    def on_career_certified(self, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
        """Approved or re-certified: the next re-certification's notices, 90 days before it is
        due, to the doctor and to the municipality that employs them, cycle after cycle."""
        due = datetime.fromisoformat(d["recertification_due"]).date()
        self._schedule_recertification(conn, str(e.aggregate_id), due)

    def on_career_milestone_corrected(
        self, conn: Connection, e: Envelope, d: dict[str, Any]
    ) -> None:
        """The last approval or re-certification re-dated: its notices move with it."""
        if d.get("recertification_due"):
            due = datetime.fromisoformat(d["recertification_due"]).date()
            self._schedule_recertification(conn, str(e.aggregate_id), due)

    def _schedule_recertification(self, conn: Connection, career_id: str, due: date) -> None:
        """The notices of the cycle ending `due`; those of an earlier cycle (or an earlier date
        for this one) that have not gone out are cancelled."""
        career = conn.execute(
            select(store.careers).where(store.careers.c.career_id == career_id)
        ).one()
        pending = [
            r.key for r in self._recertification_notices(conn, career_id) if r.status == "pending"
        ]
        if pending:
            conn.execute(
                update(store.deliveries)
                .where(store.deliveries.c.key.in_(pending))
                .values(status="cancelled", last_error="a later re-certification or date")
            )
        when = datetime.combine(due - RECERTIFICATION_NOTICE, time(8, 0), tzinfo=UTC)
        meta = {"recertification_of": career_id, "due": due.isoformat(), "at": when.isoformat()}
        person = self._person(career.candidate_id)
        if person is not None and person.email:
            self._email(
                person.email,
                "candidate",
                career.candidate_id,
                "recertification_due",
                not_before=when,
                meta=meta,
                name=person.name,
                due=due.isoformat(),
            )
        self._tell_municipality(conn, career_id, career.municipality, due, when)

    def _recertification_notices(self, conn: Connection, career_id: str) -> list[Any]:
        rows = conn.execute(
            select(store.deliveries).where(store.deliveries.c.payload.is_not(None))
        ).all()
        return [r for r in rows if _recertification_of(r) == career_id]

    def _tell_municipality(
        self, conn: Connection, career_id: str, municipality: str | None, due: date, when: datetime
    ) -> None:
        """The employer's notice names its employee (the webhook only the due date); `_meta`
        (never sent) lets a later move re-address it."""
        if municipality not in self.recipients.municipalities:
            return
        candidate_id = conn.execute(
            select(store.careers.c.candidate_id).where(store.careers.c.career_id == career_id)
        ).scalar_one()
        person = self._person(candidate_id)
        meta = {"recertification_of": career_id, "due": due.isoformat(), "at": when.isoformat()}
        self._email(
            self.recipients.municipalities[municipality],
            "municipality",
            candidate_id,
            "recertification_due_municipality",
            not_before=when,
            meta=meta,
            due=due.isoformat(),
            name=person.name if person is not None else "",
            municipality=self.recipients.name(municipality),
            service_url=self.public_url,
        )
        self._webhooks(
            conn,
            "recertification_due",
            {"due": due.isoformat()},
            None,
            roles=(),
            municipality=municipality,
            not_before=when,
            meta=meta,
        )

    def _readdress_notice(self, conn: Connection, e: Envelope, municipality: str | None) -> None:
        """A doctor moved, left or came back before the notice went out: it goes to the
        municipality they work in now, or to none."""
        career_id = str(e.aggregate_id)
        rows = conn.execute(
            select(store.deliveries).where(store.deliveries.c.audience == "municipality")
        ).all()
        notices = [r for r in rows if _recertification_of(r) == career_id]
        if not notices:
            return
        latest = max(r.position for r in notices)
        current = [r for r in notices if r.position == latest]
        if any(r.status in {"delivered", "dead"} for r in current):
            return  # it has gone out (or was tried to the end): nothing to re-address
        conn.execute(
            update(store.deliveries)
            .where(
                store.deliveries.c.key.in_([r.key for r in current]),
                store.deliveries.c.status == "pending",
            )
            .values(status="cancelled", last_error="the doctor no longer works there")
        )
        meta = current[0].payload["_meta"]
        due, when = date.fromisoformat(meta["due"]), datetime.fromisoformat(meta["at"])
        self._tell_municipality(conn, career_id, municipality, due, when)

    # --- helpers --------------------------------------------------------------------------------

    def _candidate(self, conn: Connection, candidacy_id: str) -> Person | None:
        """The shared candidate behind a candidacy, unless they withdrew consent."""
        query = (
            select(store.candidacies.c.candidate_id, store.people.c.consent_withdrawn)
            .outerjoin(
                store.people, store.people.c.candidate_id == store.candidacies.c.candidate_id
            )
            .where(store.candidacies.c.candidacy_id == candidacy_id)
        )
        found = conn.execute(query).first()
        if found is None or found.consent_withdrawn:
            return None
        return self._person(found.candidate_id) or Person(found.candidate_id, "", "")

    def _person(self, candidate_id: str) -> Person | None:
        contact = self.contacts(candidate_id)
        return Person(candidate_id, *contact) if contact is not None else None

    def _offer_owners(self, conn: Connection, offer_ids: list[str]) -> list[str]:
        owners = dict(
            conn.execute(
                select(store.offers.c.offer_id, store.offers.c.municipality).where(
                    store.offers.c.offer_id.in_(offer_ids)
                )
            ).all()
        )
        return [owners[o] for o in offer_ids]

    def _email(
        self,
        address: str,
        audience: str,
        candidate_id: str | None,
        template: str,
        not_before: datetime | None = None,
        meta: dict[str, str] | None = None,
        reply_to: str | None = None,
        attachments: list[dict[str, str]] | None = None,
        purpose: str | None = None,
        **fields: object,
    ) -> None:
        message = render(template, "nb", **fields)
        # Kept with the delivery: `_meta` is the service's own note, `reply_to` a header,
        # `attachments` files the message carries (a calendar file).
        kept = (("_meta", meta), ("reply_to", reply_to), ("attachments", attachments))
        payload: dict[str, Any] = {k: v for k, v in kept if v}
        self.effects.append(
            Effect(
                "email",
                address,
                audience,
                candidate_id,
                message.subject,
                message.text,
                message.html,
                payload=payload or None,
                not_before=not_before,
                purpose=purpose,
            )
        )

    # The answers module's way in (`answers.py`).
    email = _email
    candidate = _candidate

    def _webhooks(
        self,
        conn: Connection,
        event_type: str,
        payload: dict[str, Any],
        candidate_id: str | None,
        roles: tuple[str, ...],
        municipality: str | None = None,
        not_before: datetime | None = None,
        meta: dict[str, str] | None = None,
    ) -> None:
        subs = conn.execute(
            select(store.subscriptions).where(store.subscriptions.c.active.is_(True))
        ).all()
        for sub in subs:
            if event_type not in sub.event_types:
                continue
            if not (
                sub.role in roles or (municipality is not None and sub.municipality == municipality)
            ):
                continue
            audience = "municipality" if sub.role == "municipality" else sub.role.split("_")[0]
            body: dict[str, Any] = {"type": event_type, "data": payload}
            if meta:
                body["_meta"] = meta  # the service's own note; senders leave it out
            self.effects.append(
                Effect(
                    "webhook",
                    sub.url,
                    audience,
                    candidate_id,
                    payload=body,
                    subscription_id=sub.subscription_id,
                    not_before=not_before,
                )
            )


def _recertification_of(delivery: Any) -> str | None:
    """The career a re-certification notice is about (from the service's own note), or None."""
    meta = (delivery.payload or {}).get("_meta") or {}
    found = meta.get("recertification_of") if isinstance(meta, dict) else None
    return found if isinstance(found, str) else None


def purge_mail(folder: Path, keys: set[str], addresses: set[str]) -> int:
    """Delete the mail files (demo mode's .eml) of these deliveries or to these addresses."""
    removed = 0
    for path in sorted(folder.glob("*.eml")):
        try:
            with path.open("rb") as file:
                headers = BytesParser(policy=policy.default).parse(file, headersonly=True)
        except OSError:
            continue
        message_id = str(headers.get("Message-ID", "")).strip().strip("<>")
        key = message_id.partition("@")[0]
        to = {a.addr_spec.casefold() for a in getattr(headers.get("To"), "addresses", ())}
        if key in keys or to & {a.casefold() for a in addresses}:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _local_time(moment: str) -> str:
    """A proposed time as a candidate in Norway reads it: `20.01.2027 kl. 10:00`."""
    local = datetime.fromisoformat(moment).astimezone(OSLO)
    return local.strftime("%d.%m.%Y kl. %H:%M")


def _upsert(conn: Connection, table: Any, key: str, key_value: str, **values: Any) -> None:
    column = table.c[key]
    if conn.execute(select(column).where(column == key_value)).first() is None:
        conn.execute(table.insert().values({key: key_value, **values}))
    else:
        conn.execute(update(table).where(column == key_value).values(**values))
