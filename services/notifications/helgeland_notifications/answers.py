"""Candidates answer for themselves: the signed link in their e-mails, the invitation's
calendar file, the offer's terms and reminder, and the municipality told of the answer.

The link is signed here with the key the pipeline checks it with (`HELGELAND_ANSWER_LINK_KEY`,
`helgeland_platform.answer_links`); nothing of it enters the log. An invitation's link expires
at its last proposed time, an offer's at the end of its answer-by day (Norwegian time).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from helgeland_contracts.events_v1 import Envelope
from helgeland_platform.answer_links import AnswerLink, Purpose, issue
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import Connection, select, update

from helgeland_notifications import store

if TYPE_CHECKING:
    from helgeland_notifications.messages import Deriver

OSLO = ZoneInfo("Europe/Oslo")
REMINDER_BEFORE = timedelta(days=3)  # before the answer-by day
REMINDER_AT = time(8, 0)  # in the morning, Norwegian time
MEETING_LENGTH = timedelta(hours=1)
PAY_MODELS_NB = {"fixed_salary": "fast lønn", "fee_based": "næringsdrift"}
ANSWERS_NB = {
    "accepted": "takker ja",
    "declined": "takker nei",
    "new_time_proposed": "foreslår en annen tid",
}
REMINDER = "reminder"  # the purpose that keys an offer's reminder apart from the offer e-mail


def link(
    deriver: Deriver,
    purpose: Purpose,
    candidate_id: str,
    item_id: str,
    municipality: str,
    expires_at: datetime,
) -> str | None:
    """The answer page's address for one item, or None without a key (no link is sent)."""
    if deriver.link_key is None:
        return None
    token = issue(
        deriver.link_key,
        AnswerLink(purpose, UUID(candidate_id), UUID(item_id), municipality, expires_at),
    )
    return f"{deriver.public_url}/svar/{token}"


def offer_deadline(expires_on: date) -> datetime:
    """The end of the answer-by day in Norway: when an offer's link stops working."""
    return datetime.combine(expires_on + timedelta(days=1), time(0, 0), tzinfo=OSLO)


def reminder_moment(expires_on: date) -> datetime:
    return datetime.combine(expires_on - REMINDER_BEFORE, REMINDER_AT, tzinfo=OSLO)


def local(moment: datetime) -> str:
    return moment.astimezone(OSLO).strftime("%d.%m.%Y kl. %H:%M")


def nb_date(day: str) -> str:
    return date.fromisoformat(day).strftime("%d.%m.%Y")


def terms_nb(terms: dict[str, Any] | None) -> dict[str, Any] | None:
    """The offer's terms as the e-mail states them."""
    if terms is None:
        return None
    supervision = [
        f"veileder {terms['supervisor']}" if terms.get("supervisor") else "veileder navngis",
        f"veiledningsgruppe {terms['supervision_group']}"
        if terms.get("supervision_group")
        else "veiledningsgruppe avtales",
    ]
    return {
        "training_share": terms["training_share"],
        "supervision": ", ".join(supervision),
        "pay_model": PAY_MODELS_NB.get(terms["pay_model"], terms["pay_model"]),
        "out_of_hours_share": terms["out_of_hours_share"],
        "list_length": terms["list_length"],
    }


def calendar(
    invitation_id: str,
    kind: str,
    municipality: str,
    contact: dict[str, str],
    times: list[datetime],
    location: str | None,
    stamp: datetime,
    domain: str,
) -> str:
    """The invitation as an iCalendar file: one tentative event per proposed time, organised
    by the municipality's chief physician (RFC 5545, METHOD:PUBLISH)."""
    cal = Calendar()
    cal.add("prodid", "-//Helgelandslegen//varsel//NB")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    for n, start in enumerate(times, 1):
        event = Event()
        event.add("uid", f"{invitation_id}-{n}@{domain}")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", start + MEETING_LENGTH)
        several = f" (forslag {n} av {len(times)})" if len(times) > 1 else ""
        event.add("summary", f"{kind.capitalize()}: {municipality} kommune{several}")
        event.add("status", "TENTATIVE")
        organiser = vCalAddress(f"mailto:{contact['email']}")
        organiser.params["cn"] = vText(f"Kommuneoverlegen i {contact['municipality']} kommune")
        event.add("organizer", organiser)
        event.add("location", location or f"{municipality} kommune")
        cal.add_component(event)
    return str(cal.to_ical().decode())


# --- the municipality hears the candidate's answer --------------------------------------------


def by_candidate(e: Envelope) -> bool:
    return e.actor.role == "candidate"


def on_invitation_answered(
    deriver: Deriver, conn: Connection, e: Envelope, d: dict[str, Any]
) -> None:
    if not by_candidate(e):
        return
    found = conn.execute(
        select(store.invitations).where(store.invitations.c.invitation_id == d["invitation_id"])
    ).first()
    if found is None:
        return
    new_time = local(datetime.fromisoformat(d["new_time"])) if d.get("new_time") else None
    kind = deriver.kind_nb(found.kind)
    tell_municipality(
        deriver, conn, e, found.municipality, f"invitasjonen til {kind}", d["answer"], new_time
    )


def tell_municipality(
    deriver: Deriver,
    conn: Connection,
    e: Envelope,
    municipality: str,
    what: str,
    answer: str,
    new_time: str | None = None,
) -> None:
    """An e-mail to the municipality's chief physician: the candidate answered them."""
    candidate = deriver.candidate(conn, str(e.aggregate_id))
    address = deriver.recipients.municipalities.get(municipality)
    if candidate is None or address is None:
        return  # consent withdrawn: the municipality hears nothing more of them
    deriver.email(
        address,
        "municipality",
        candidate.candidate_id,
        "candidate_answered",
        candidate=candidate.name or "Kandidaten",
        what=what,
        answer=ANSWERS_NB.get(answer, answer),
        new_time=new_time,
        municipality=deriver.recipients.name(municipality),
        link=f"{deriver.public_url}/kommune/{municipality}/tilbud"
        if "tilbud" in what
        else f"{deriver.public_url}/kommune/{municipality}",
        service_url=deriver.public_url,
    )


def on_offer_closed(deriver: Deriver, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
    """Declined or withdrawn: no reminder; a candidate's own decline is told to the offerer."""
    cancel_reminders(conn, [d["offer_id"]])
    if e.type.endswith("Declined") and by_candidate(e):
        owner = _owner(conn, d["offer_id"])
        if owner is not None:
            tell_municipality(deriver, conn, e, owner, "LIS3-tilbudet", "declined")


def on_offer_accepted(deriver: Deriver, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
    cancel_reminders(conn, [d["offer_id"], *d["closed_offers"]])
    if by_candidate(e):
        tell_municipality(deriver, conn, e, d["municipality"], "LIS3-tilbudet", "accepted")


def on_candidacy_closed(deriver: Deriver, conn: Connection, e: Envelope, d: dict[str, Any]) -> None:
    """Consent withdrawn: every open offer closed, so no reminder goes out."""
    offers = conn.execute(
        select(store.offers.c.offer_id).where(store.offers.c.candidacy_id == str(e.aggregate_id))
    ).all()
    cancel_reminders(conn, [o.offer_id for o in offers])


def cancel_reminders(conn: Connection, offer_ids: list[str]) -> None:
    """An answered or closed offer gets no reminder (one still pending is cancelled)."""
    keys = conn.execute(
        select(store.offers.c.reminder_key).where(store.offers.c.offer_id.in_(offer_ids))
    ).all()
    wanted = [k.reminder_key for k in keys if k.reminder_key]
    if wanted:
        conn.execute(
            update(store.deliveries)
            .where(store.deliveries.c.key.in_(wanted), store.deliveries.c.status == "pending")
            .values(status="cancelled", last_error="the offer was answered or closed")
        )


def _owner(conn: Connection, offer_id: str) -> str | None:
    found = conn.execute(
        select(store.offers.c.municipality).where(store.offers.c.offer_id == offer_id)
    ).first()
    return str(found.municipality) if found is not None else None
