"""Candidates answer for themselves: the signed link, the domain's once-only rule, the calendar.

No storage here; the journey through real e-mail and HTTP is
`tests/integration/test_answer_links.py`.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from helgeland_notifications.answers import calendar, offer_deadline, reminder_moment
from helgeland_pipeline.domain.common import Actor, InvariantViolated, Role, Stamp
from helgeland_pipeline.domain.forum import (
    ForumCandidacy,
    InvitationAnswer,
    InvitationKind,
    NotYours,
)
from helgeland_platform.answer_links import AnswerLink, LinkRefused, Purpose, issue, verify
from icalendar import Calendar

from tests.factories import NOW, RANA, lis3_terms, municipal, stamp

KEY = secrets.token_bytes(32)
LINK = AnswerLink(Purpose.OFFER, uuid.uuid4(), uuid.uuid4(), RANA, NOW + timedelta(days=7))


# --- the link ---------------------------------------------------------------------------------


def test_a_link_verifies_to_what_it_was_issued_for() -> None:
    assert verify(KEY, issue(KEY, LINK), NOW) == LINK


def test_an_expired_link_is_refused_from_its_expiry_on() -> None:
    token = issue(KEY, LINK)
    assert verify(KEY, token, LINK.expires_at - timedelta(seconds=1)) == LINK
    with pytest.raises(LinkRefused) as refused:
        verify(KEY, token, LINK.expires_at)
    assert refused.value.reason == "expired"


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), id="signature"),
        pytest.param(lambda t: t + "A", id="longer-signature"),
        pytest.param(lambda t: t.replace("v1.", "v2.", 1), id="version"),
        pytest.param(lambda t: t.split(".")[0] + "." + t.split(".")[1], id="unsigned"),
        pytest.param(lambda t: "v1.x" + t[4:], id="claims"),
        pytest.param(lambda t: t + "%", id="garbage"),
    ],
)
def test_a_tampered_link_is_refused(tamper: object) -> None:
    token = tamper(issue(KEY, LINK))  # type: ignore[operator]
    with pytest.raises(LinkRefused) as refused:
        verify(KEY, token, NOW)
    assert refused.value.reason == "tampered"


def test_a_link_for_another_item_or_from_another_key_is_refused() -> None:
    with pytest.raises(LinkRefused):
        verify(secrets.token_bytes(32), issue(KEY, LINK), NOW)
    # Claims of one link under another's signature: the signature covers every claim.
    other = AnswerLink(Purpose.INVITATION, LINK.candidate_id, uuid.uuid4(), RANA, LINK.expires_at)
    version, claims, _ = issue(KEY, other).split(".")
    signature = issue(KEY, LINK).split(".")[2]
    with pytest.raises(LinkRefused):
        verify(KEY, f"{version}.{claims}.{signature}", NOW)


def test_an_offer_link_works_to_the_end_of_its_answer_by_day_in_norway() -> None:
    deadline = offer_deadline(datetime(2027, 2, 1).date())
    assert deadline.astimezone(UTC) == datetime(2027, 2, 1, 23, 0, tzinfo=UTC)  # midnight
    assert reminder_moment(datetime(2027, 2, 1).date()).astimezone(UTC) == datetime(
        2027, 1, 29, 7, 0, tzinfo=UTC
    )


# --- the domain: the candidate as actor -------------------------------------------------------


def candidate_actor(candidacy: ForumCandidacy) -> Stamp:
    return stamp_for(Actor(candidacy.candidate_id, "Kandidaten", Role.CANDIDATE))


def stamp_for(actor: Actor) -> Stamp:
    return Stamp(actor, NOW, NOW)


def invited() -> tuple[ForumCandidacy, str]:
    candidacy = ForumCandidacy(str(uuid.uuid4()), str(uuid.uuid4()), None, stamp())
    invitation = candidacy.invite(
        RANA, InvitationKind.INTERVIEW, [NOW + timedelta(days=3)], Stamp(municipal(RANA), NOW, NOW)
    )
    return candidacy, invitation


def test_the_candidate_answers_an_invitation_once() -> None:
    candidacy, invitation = invited()
    candidacy.answer_invitation(
        invitation, InvitationAnswer.ACCEPTED, None, None, candidate_actor(candidacy)
    )
    [answered] = candidacy.collect_events()[-1:]
    assert answered.stamp.actor.role == Role.CANDIDATE  # type: ignore[attr-defined]
    with pytest.raises(InvariantViolated, match="already answered"):
        candidacy.answer_invitation(
            invitation, InvitationAnswer.DECLINED, None, None, candidate_actor(candidacy)
        )


def test_a_candidate_answers_for_themselves_only_and_only_answers() -> None:
    candidacy, invitation = invited()
    stranger = stamp_for(Actor(str(uuid.uuid4()), "Kandidaten", Role.CANDIDATE))
    with pytest.raises(NotYours):
        candidacy.answer_invitation(invitation, InvitationAnswer.ACCEPTED, None, None, stranger)
    me = candidate_actor(candidacy)
    with pytest.raises(NotYours):
        candidacy.invite(RANA, InvitationKind.TOUR, [NOW + timedelta(days=1)], me)
    with pytest.raises(NotYours):
        candidacy.offer_lis3(RANA, NOW.date() + timedelta(days=400), lis3_terms(), NOW.date(), me)


def test_the_candidate_accepts_or_declines_an_offer_once() -> None:
    candidacy, _ = invited()
    offer = candidacy.offer_lis3(
        RANA,
        NOW.date() + timedelta(days=400),
        lis3_terms(),
        NOW.date() + timedelta(days=10),
        Stamp(municipal(RANA), NOW, NOW),
    )
    candidacy.decline_lis3_offer(offer, None, candidate_actor(candidacy))
    with pytest.raises(InvariantViolated):
        candidacy.decline_lis3_offer(offer, None, candidate_actor(candidacy))
    with pytest.raises(NotYours):
        candidacy.withdraw_lis3_offer(offer, None, candidate_actor(candidacy))


# --- the calendar file ------------------------------------------------------------------------


def test_the_calendar_file_parses_back_with_every_proposed_time() -> None:
    times = [NOW + timedelta(days=3), NOW + timedelta(days=4)]
    contact = {"municipality": "Rana", "email": "kommuneoverlege@rana.example"}
    text = calendar(
        "inv-1", "intervju", "Rana", contact, times, "Rana legekontor", NOW, "varsel.test"
    )
    parsed = Calendar.from_ical(text)
    assert str(parsed["method"]) == "PUBLISH"
    events = parsed.walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == times
    assert {str(e["uid"]) for e in events} == {"inv-1-1@varsel.test", "inv-1-2@varsel.test"}
    assert {str(e["location"]) for e in events} == {"Rana legekontor"}
    assert {str(e["organizer"]) for e in events} == {"mailto:kommuneoverlege@rana.example"}
    assert str(events[0]["summary"]) == "Intervju: Rana kommune (forslag 1 av 2)"
