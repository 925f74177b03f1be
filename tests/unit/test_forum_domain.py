"""The municipal side's rules: the forum list, invitations and coupled LIS3 offers. No storage."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from eventsourcing.domain import Aggregate
from helgeland_pipeline.domain.candidates import Candidate, CareerPreference
from helgeland_pipeline.domain.common import (
    DomainError,
    InvalidInput,
    InvariantViolated,
    Stamp,
)
from helgeland_pipeline.domain.forum import (
    MIN_TRAINING_SHARE,
    ForumCandidacy,
    InvitationAnswer,
    InvitationKind,
    NotYours,
    PayModel,
    UnknownItem,
    candidacy_id,
)
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus

from tests.factories import NOW, RANA, VEFSN, in_days, lis3_terms, municipal, stamp

LIS1_ENDS = date(2028, 9, 1)
START = LIS1_ENDS + timedelta(days=1)  # the first day a coupled LIS3 post may start
EXPIRES = in_days(14)
OTHER = "1813"  # Brønnøy
OSLO_WINTER = timezone(timedelta(hours=1))
TOKYO = timezone(timedelta(hours=9))
ENDED = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}


def by(number: str, at: datetime = NOW) -> Stamp:
    """A municipality's chief physician did it at `at` (recorded then, or at NOW if later)."""
    return Stamp(municipal(number), at, max(at, NOW))


def on(day: int) -> Stamp:
    """Something that happened (and was recorded) `day` days after NOW."""
    return stamp(NOW + timedelta(days=day))


def shared(lis1_ends_on: date | None = LIS1_ENDS) -> ForumCandidacy:
    candidacy = ForumCandidacy(str(uuid.uuid4()), str(uuid.uuid4()), lis1_ends_on, stamp())
    candidacy.collect_events()
    return candidacy


def offered(*municipalities: str, expires_on: date = EXPIRES) -> tuple[ForumCandidacy, list[str]]:
    """A shared candidate with one open offer from each of `municipalities`."""
    candidacy = shared()
    offer_ids = [
        candidacy.offer_lis3(m, START, lis3_terms(), expires_on, by(m)) for m in municipalities
    ]
    candidacy.collect_events()
    return candidacy, offer_ids


def invited(answer: InvitationAnswer | None = None) -> tuple[ForumCandidacy, str]:
    """A shared candidate invited by Rana, answered with `answer` if given."""
    candidacy = shared()
    invitation = candidacy.invite(
        RANA, InvitationKind.INTERVIEW, [NOW + timedelta(days=3)], by(RANA)
    )
    if answer is not None:
        new_time = NOW + timedelta(days=5) if answer == InvitationAnswer.NEW_TIME_PROPOSED else None
        candidacy.answer_invitation(invitation, answer, new_time, None, stamp())
    candidacy.collect_events()
    return candidacy, invitation


def assert_refused(
    aggregate: Aggregate, error: type[DomainError], match: str, command: Callable[[], object]
) -> None:
    """The command raises `error` and leaves the aggregate as it was, with nothing to save."""
    version = aggregate.version
    with pytest.raises(error, match=match):
        command()
    assert aggregate.collect_events() == []
    assert aggregate.version == version


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


# --- sharing ---------------------------------------------------------------------------------


def test_the_candidacy_id_follows_from_the_candidate_so_there_is_one_per_candidate() -> None:
    candidate_id = str(uuid.uuid4())
    first = ForumCandidacy(candidate_id, str(uuid.uuid4()), LIS1_ENDS, stamp())
    again = ForumCandidacy(candidate_id, str(uuid.uuid4()), None, stamp())
    other = ForumCandidacy(str(uuid.uuid4()), str(uuid.uuid4()), None, stamp())
    assert first.id == again.id == candidacy_id(uuid.UUID(candidate_id))
    assert other.id != first.id
    assert first.candidate_id == candidate_id
    assert first.lis1_ends_on == LIS1_ENDS
    assert (first.invitations, first.offers, first.accepted_offer) == ({}, {}, None)
    assert first.consent_withdrawn is False
    assert event_names(first) == ["Shared"]


# --- invitations -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(InvitationKind))
def test_a_municipality_invites_with_proposed_times_kept_in_order(kind: InvitationKind) -> None:
    candidacy = shared()
    later, sooner = NOW + timedelta(days=9), NOW + timedelta(days=2)
    invitation_id = candidacy.invite(RANA, kind, [later, sooner], by(RANA))
    invitation = candidacy.invitations[invitation_id]
    assert (invitation.municipality, invitation.kind, invitation.state) == (RANA, kind, "proposed")
    assert invitation.proposed_times == [sooner, later]
    events = candidacy.collect_events()
    assert [type(e).__name__ for e in events] == ["InvitationSent"]
    assert events[0].proposed_times == [sooner, later]  # type: ignore[attr-defined]


def test_every_invitation_gets_its_own_id() -> None:
    candidacy = shared()
    ids = {candidacy.invite(RANA, InvitationKind.TOUR, [NOW], by(RANA)) for _ in range(3)}
    ids.add(candidacy.invite(VEFSN, InvitationKind.TOUR, [NOW], by(VEFSN)))
    assert len(ids) == 4
    assert {i.municipality for i in candidacy.invitations.values()} == {RANA, VEFSN}


@pytest.mark.parametrize("count", [1, 5])
def test_proposes_between_one_and_five_times(count: int) -> None:
    candidacy = shared()
    times = [NOW + timedelta(days=d) for d in range(count)]
    invitation_id = candidacy.invite(RANA, InvitationKind.TOUR, times, by(RANA))
    assert len(candidacy.invitations[invitation_id].proposed_times) == count


@pytest.mark.parametrize("count", [0, 6])
def test_refuses_no_time_or_more_than_five(count: int) -> None:
    candidacy = shared()
    times = [NOW + timedelta(days=d) for d in range(count)]
    assert_refused(
        candidacy,
        InvalidInput,
        "between one and five",
        lambda: candidacy.invite(RANA, InvitationKind.TOUR, times, by(RANA)),
    )


def test_refuses_a_proposed_time_without_a_time_zone() -> None:
    candidacy = shared()
    times = [NOW, (NOW + timedelta(days=1)).replace(tzinfo=None)]
    assert_refused(
        candidacy,
        InvalidInput,
        "time zone",
        lambda: candidacy.invite(RANA, InvitationKind.TOUR, times, by(RANA)),
    )


@pytest.mark.parametrize("answer", list(InvitationAnswer))
def test_records_the_candidates_answer(answer: InvitationAnswer) -> None:
    candidacy, invitation = invited()
    new_time = NOW + timedelta(days=6) if answer == InvitationAnswer.NEW_TIME_PROPOSED else None
    candidacy.answer_invitation(invitation, answer, new_time, RANA, by(RANA))
    assert candidacy.invitations[invitation].state == answer
    events = candidacy.collect_events()
    assert [type(e).__name__ for e in events] == ["InvitationAnswered"]
    assert events[0].new_time == new_time  # type: ignore[attr-defined]


def test_a_new_time_needs_the_time() -> None:
    candidacy, invitation = invited()
    assert_refused(
        candidacy,
        InvalidInput,
        "new time",
        lambda: candidacy.answer_invitation(
            invitation, InvitationAnswer.NEW_TIME_PROPOSED, None, RANA, by(RANA)
        ),
    )


def test_a_new_time_needs_a_time_zone_like_the_proposed_ones() -> None:
    # The proposed times are checked for a zone; the candidate's new time must be too: the read
    # model stores only zoned times, so a naive one would stop the forum projection for good.
    candidacy, invitation = invited()
    naive = (NOW + timedelta(days=6)).replace(tzinfo=None)
    assert_refused(
        candidacy,
        InvalidInput,
        "zone",
        lambda: candidacy.answer_invitation(
            invitation, InvitationAnswer.NEW_TIME_PROPOSED, naive, RANA, by(RANA)
        ),
    )


@pytest.mark.parametrize("answer", [InvitationAnswer.ACCEPTED, InvitationAnswer.NEW_TIME_PROPOSED])
def test_an_answer_may_change_until_the_invitation_is_over(answer: InvitationAnswer) -> None:
    candidacy, invitation = invited(answer)
    candidacy.answer_invitation(invitation, InvitationAnswer.DECLINED, None, RANA, by(RANA))
    assert candidacy.invitations[invitation].state == "declined"


@pytest.mark.parametrize("answer", list(InvitationAnswer))
def test_a_declined_invitation_takes_no_further_answer(answer: InvitationAnswer) -> None:
    candidacy, invitation = invited(InvitationAnswer.DECLINED)
    assert_refused(
        candidacy,
        InvariantViolated,
        "over",
        lambda: candidacy.answer_invitation(invitation, answer, NOW, RANA, by(RANA)),
    )


def test_a_meeting_is_held_once_the_invitation_is_accepted() -> None:
    candidacy, invitation = invited(InvitationAnswer.ACCEPTED)
    candidacy.record_meeting_held(invitation, RANA, by(RANA))
    assert candidacy.invitations[invitation].state == "held"
    assert event_names(candidacy) == ["MeetingHeld"]
    # Over: no second meeting, no later answer.
    assert_refused(
        candidacy,
        InvariantViolated,
        "accepted invitation",
        lambda: candidacy.record_meeting_held(invitation, RANA, by(RANA)),
    )
    assert_refused(
        candidacy,
        InvariantViolated,
        "over",
        lambda: candidacy.answer_invitation(
            invitation, InvitationAnswer.ACCEPTED, None, RANA, by(RANA)
        ),
    )


@pytest.mark.parametrize(
    "answer",
    [None, InvitationAnswer.DECLINED, InvitationAnswer.NEW_TIME_PROPOSED],
    ids=["unanswered", "declined", "new-time-proposed"],
)
def test_no_meeting_is_held_unless_the_invitation_was_accepted(
    answer: InvitationAnswer | None,
) -> None:
    candidacy, invitation = invited(answer)
    assert_refused(
        candidacy,
        InvariantViolated,
        "only an accepted invitation",
        lambda: candidacy.record_meeting_held(invitation, RANA, by(RANA)),
    )


def test_a_municipality_answers_and_holds_its_own_invitations_only() -> None:
    candidacy, invitation = invited()
    assert_refused(
        candidacy,
        NotYours,
        "another municipality",
        lambda: candidacy.answer_invitation(
            invitation, InvitationAnswer.ACCEPTED, None, VEFSN, by(VEFSN)
        ),
    )
    candidacy.answer_invitation(invitation, InvitationAnswer.ACCEPTED, None, RANA, by(RANA))
    candidacy.collect_events()
    assert_refused(
        candidacy,
        NotYours,
        "another municipality",
        lambda: candidacy.record_meeting_held(invitation, VEFSN, by(VEFSN)),
    )
    # The forum (acting for no one municipality) may record it for any.
    candidacy.record_meeting_held(invitation, None, stamp())
    assert candidacy.invitations[invitation].state == "held"


def test_an_unknown_invitation_is_unknown_whoever_asks() -> None:
    candidacy, _ = invited()
    missing = str(uuid.uuid4())
    for acting_for in (RANA, VEFSN, None):
        assert_refused(
            candidacy,
            UnknownItem,
            "no invitation",
            lambda a=acting_for: candidacy.answer_invitation(  # type: ignore[misc]
                missing, InvitationAnswer.ACCEPTED, None, a, stamp()
            ),
        )
        assert_refused(
            candidacy,
            UnknownItem,
            "no invitation",
            lambda a=acting_for: candidacy.record_meeting_held(  # type: ignore[misc]
                missing, a, stamp()
            ),
        )


# --- coupled LIS3 offers ---------------------------------------------------------------------


def test_a_municipality_offers_a_coupled_lis3_post() -> None:
    candidacy = shared()
    terms = lis3_terms(training_share=25, pay_model=PayModel.FEE_BASED, supervisor=None)
    offer_id = candidacy.offer_lis3(RANA, START, terms, EXPIRES, by(RANA))
    offer = candidacy.offers[offer_id]
    assert (offer.municipality, offer.start_date, offer.expires_on) == (RANA, START, EXPIRES)
    assert offer.state == "open"
    events = candidacy.collect_events()
    assert [type(e).__name__ for e in events] == ["Lis3Offered"]
    assert events[0].terms == {  # type: ignore[attr-defined]
        "supervisor": None,
        "supervision_group": "ALIS Helgeland",
        "pay_model": "fee_based",
        "list_length": 700,
        "out_of_hours_share": 15,
        "training_share": 25,
    }


@pytest.mark.parametrize("training_share", [MIN_TRAINING_SHARE, 50, 100])
def test_training_time_of_at_least_twenty_per_cent_is_accepted(training_share: int) -> None:
    candidacy = shared()
    terms = lis3_terms(training_share=training_share)
    offer_id = candidacy.offer_lis3(RANA, START, terms, EXPIRES, by(RANA))
    assert candidacy.offers[offer_id].state == "open"


@pytest.mark.parametrize("training_share", [0, 10, 19])
def test_refuses_less_than_twenty_per_cent_training_time(training_share: int) -> None:
    assert MIN_TRAINING_SHARE == 20
    candidacy = shared()
    terms = lis3_terms(training_share=training_share)
    assert_refused(
        candidacy,
        InvalidInput,
        "training time must be at least 20 %",
        lambda: candidacy.offer_lis3(RANA, START, terms, EXPIRES, by(RANA)),
    )


@pytest.mark.parametrize(
    ("training", "out_of_hours", "list_length", "match"),
    [
        (101, 15, 700, "at most 100"),
        (20, -1, 700, "out-of-hours"),
        (20, 101, 700, "out-of-hours"),
        (20, 15, -1, "patient list"),
        (20, 15, 3001, "patient list"),
    ],
)
def test_refuses_terms_out_of_range(
    training: int, out_of_hours: int, list_length: int, match: str
) -> None:
    candidacy = shared()
    terms = lis3_terms(
        training_share=training, out_of_hours_share=out_of_hours, list_length=list_length
    )
    assert_refused(
        candidacy,
        InvalidInput,
        match,
        lambda: candidacy.offer_lis3(RANA, START, terms, EXPIRES, by(RANA)),
    )


@pytest.mark.parametrize("days_before_lis1_ends", [0, 1, 400])
def test_the_lis3_post_starts_after_lis1_ends(days_before_lis1_ends: int) -> None:
    candidacy = shared(LIS1_ENDS)
    start = LIS1_ENDS - timedelta(days=days_before_lis1_ends)
    assert_refused(
        candidacy,
        InvalidInput,
        "after LIS1 ends",
        lambda: candidacy.offer_lis3(RANA, start, lis3_terms(), EXPIRES, by(RANA)),
    )


def test_without_a_known_lis1_end_the_lis3_post_starts_in_the_future() -> None:
    candidacy = shared(lis1_ends_on=None)
    today = NOW.date()
    assert_refused(
        candidacy,
        InvalidInput,
        "future",
        lambda: candidacy.offer_lis3(RANA, today, lis3_terms(), EXPIRES, by(RANA)),
    )
    tomorrow = today + timedelta(days=1)  # answered by the day it starts, at the latest
    offer_id = candidacy.offer_lis3(RANA, tomorrow, lis3_terms(), tomorrow, by(RANA))
    assert candidacy.offers[offer_id].state == "open"


def test_an_offer_cannot_expire_in_the_past() -> None:
    candidacy = shared()
    yesterday = NOW.date() - timedelta(days=1)
    assert_refused(
        candidacy,
        InvalidInput,
        "expire in the past",
        lambda: candidacy.offer_lis3(RANA, START, lis3_terms(), yesterday, by(RANA)),
    )
    # Expiring today is allowed: it is open to the end of the day.
    offer_id = candidacy.offer_lis3(RANA, START, lis3_terms(), NOW.date(), by(RANA))
    assert candidacy.offers[offer_id].is_open_on(NOW.date())
    assert not candidacy.offers[offer_id].is_open_on(NOW.date() + timedelta(days=1))


def test_a_back_dated_offer_is_judged_on_the_day_it_was_made() -> None:
    candidacy = shared()
    made = NOW - timedelta(days=10)
    expires = made.date() + timedelta(days=2)  # already past today, not on the day it was made
    offer_id = candidacy.offer_lis3(RANA, START, lis3_terms(), expires, stamp(made))
    assert candidacy.offers[offer_id].expires_on == expires


def test_one_open_offer_per_municipality() -> None:
    candidacy, [first] = offered(RANA)
    assert_refused(
        candidacy,
        InvariantViolated,
        "already has an open offer",
        lambda: candidacy.offer_lis3(RANA, START, lis3_terms(), EXPIRES, by(RANA)),
    )
    # Another municipality competes with an offer of its own.
    second = candidacy.offer_lis3(VEFSN, START, lis3_terms(), EXPIRES, by(VEFSN))
    assert {candidacy.offers[o].state for o in (first, second)} == {"open"}


@pytest.mark.parametrize("ending", ["withdraw", "decline", "expire"])
def test_a_municipality_may_offer_again_once_its_offer_is_no_longer_open(ending: str) -> None:
    candidacy, [first] = offered(RANA, expires_on=in_days(2))
    when = by(RANA)
    if ending == "withdraw":
        candidacy.withdraw_lis3_offer(first, RANA, when)
    elif ending == "decline":
        candidacy.decline_lis3_offer(first, RANA, when)
    else:
        when = on(3)
    second = candidacy.offer_lis3(RANA, START, lis3_terms(), in_days(20), when)
    assert second != first
    assert candidacy.offers[second].state == "open"


def test_a_municipality_withdraws_its_open_offer_once() -> None:
    candidacy, [offer] = offered(RANA)
    candidacy.withdraw_lis3_offer(offer, RANA, by(RANA))
    assert candidacy.offers[offer].state == "withdrawn"
    assert event_names(candidacy) == ["Lis3OfferWithdrawn"]
    for command in (
        lambda: candidacy.withdraw_lis3_offer(offer, RANA, by(RANA)),
        lambda: candidacy.decline_lis3_offer(offer, RANA, by(RANA)),
        lambda: candidacy.accept_lis3_offer(offer, RANA, by(RANA)),
    ):
        assert_refused(candidacy, InvariantViolated, "withdrawn", command)


def test_the_candidate_declines_an_open_offer() -> None:
    candidacy, [offer, other] = offered(RANA, VEFSN)
    candidacy.decline_lis3_offer(offer, None, stamp())
    assert event_names(candidacy) == ["Lis3OfferDeclined"]
    assert candidacy.offers[offer].state == "declined"
    assert candidacy.offers[other].state == "open"
    assert candidacy.accepted_offer is None
    for command in (
        lambda: candidacy.decline_lis3_offer(offer, RANA, by(RANA)),
        lambda: candidacy.accept_lis3_offer(offer, RANA, by(RANA)),
        lambda: candidacy.withdraw_lis3_offer(offer, RANA, by(RANA)),
    ):
        assert_refused(candidacy, InvariantViolated, "declined", command)


def test_an_expired_offer_can_be_neither_accepted_nor_declined() -> None:
    candidacy, [offer] = offered(RANA, expires_on=in_days(2))
    for command in (
        lambda: candidacy.accept_lis3_offer(offer, RANA, on(3)),
        lambda: candidacy.decline_lis3_offer(offer, RANA, on(3)),
    ):
        assert_refused(candidacy, InvariantViolated, "not open", command)
    # On its last day it still could.
    candidacy.accept_lis3_offer(offer, RANA, on(2))
    assert candidacy.offers[offer].state == "accepted"


def test_accepting_one_offer_closes_every_other_open_offer_as_accepted_elsewhere() -> None:
    candidacy, [rana, vefsn, other] = offered(RANA, VEFSN, OTHER)
    withdrawn = candidacy.offer_lis3("1832", START, lis3_terms(), EXPIRES, by("1832"))
    candidacy.withdraw_lis3_offer(withdrawn, "1832", by("1832"))
    declined = candidacy.offer_lis3("1820", START, lis3_terms(), EXPIRES, by("1820"))
    candidacy.decline_lis3_offer(declined, None, stamp())
    candidacy.collect_events()

    candidacy.accept_lis3_offer(vefsn, VEFSN, by(VEFSN))

    states = {offer_id: o.state for offer_id, o in candidacy.offers.items()}
    assert states == {
        rana: "accepted_elsewhere",
        vefsn: "accepted",
        other: "accepted_elsewhere",
        withdrawn: "withdrawn",
        declined: "declined",
    }
    assert candidacy.accepted_offer == vefsn
    events = candidacy.collect_events()
    assert [type(e).__name__ for e in events] == ["Lis3OfferAccepted"]
    accepted = events[0]
    assert accepted.municipality == VEFSN  # type: ignore[attr-defined]
    assert accepted.closed_offers == sorted([rana, other])  # type: ignore[attr-defined]


def test_accepting_does_not_relabel_an_expired_offer_as_accepted_elsewhere() -> None:
    # Only *open* offers close when the candidate accepts another: an offer that had already
    # expired was not closed by this acceptance and must not read "accepted_elsewhere".
    candidacy, [expired] = offered(VEFSN, expires_on=in_days(2))
    rana = candidacy.offer_lis3(RANA, START, lis3_terms(), in_days(20), by(RANA))
    candidacy.collect_events()
    candidacy.accept_lis3_offer(rana, RANA, on(5))
    events = candidacy.collect_events()
    assert events[0].closed_offers == []  # type: ignore[attr-defined]
    assert candidacy.offers[expired].state != "accepted_elsewhere"
    assert not candidacy.offers[expired].is_open_on(in_days(5))


def test_nothing_more_happens_to_offers_or_invitations_after_an_acceptance() -> None:
    candidacy, [rana, vefsn] = offered(RANA, VEFSN)
    candidacy.accept_lis3_offer(rana, RANA, by(RANA))
    candidacy.collect_events()
    refusals: list[tuple[str, Callable[[], object]]] = [
        ("accepted a LIS3 offer", lambda: candidacy.accept_lis3_offer(vefsn, None, stamp())),
        ("accepted a LIS3 offer", lambda: candidacy.accept_lis3_offer(rana, None, stamp())),
        (
            "accepted a LIS3 offer",
            lambda: candidacy.offer_lis3(OTHER, START, lis3_terms(), EXPIRES, by(OTHER)),
        ),
        (
            "accepted a LIS3 offer",
            lambda: candidacy.invite(OTHER, InvitationKind.TOUR, [NOW], by(OTHER)),
        ),
        ("accepted_elsewhere", lambda: candidacy.decline_lis3_offer(vefsn, VEFSN, by(VEFSN))),
        ("accepted_elsewhere", lambda: candidacy.withdraw_lis3_offer(vefsn, VEFSN, by(VEFSN))),
        ("accepted", lambda: candidacy.withdraw_lis3_offer(rana, RANA, by(RANA))),
        ("accepted", lambda: candidacy.decline_lis3_offer(rana, None, stamp())),
    ]
    for match, command in refusals:
        assert_refused(candidacy, InvariantViolated, match, command)
    assert candidacy.accepted_offer == rana


@pytest.mark.parametrize("action", ["accept", "decline", "withdraw"])
def test_a_municipality_acts_on_its_own_offers_only(action: str) -> None:
    candidacy, [rana, _] = offered(RANA, VEFSN)
    commands = {
        "accept": candidacy.accept_lis3_offer,
        "decline": candidacy.decline_lis3_offer,
        "withdraw": candidacy.withdraw_lis3_offer,
    }
    assert_refused(
        candidacy,
        NotYours,
        "another municipality",
        lambda: commands[action](rana, VEFSN, by(VEFSN)),
    )
    commands[action](rana, RANA, by(RANA))
    assert candidacy.offers[rana].state == ENDED[action]


@pytest.mark.parametrize("action", ["accept", "decline", "withdraw"])
def test_the_forum_acts_on_any_municipalitys_offer(action: str) -> None:
    candidacy, [_, vefsn] = offered(RANA, VEFSN)
    commands = {
        "accept": candidacy.accept_lis3_offer,
        "decline": candidacy.decline_lis3_offer,
        "withdraw": candidacy.withdraw_lis3_offer,
    }
    commands[action](vefsn, None, stamp())
    assert candidacy.offers[vefsn].state == ENDED[action]


@pytest.mark.parametrize("action", ["accept", "decline", "withdraw"])
def test_an_unknown_offer_is_unknown_whoever_asks(action: str) -> None:
    candidacy, _ = offered(RANA)
    commands = {
        "accept": candidacy.accept_lis3_offer,
        "decline": candidacy.decline_lis3_offer,
        "withdraw": candidacy.withdraw_lis3_offer,
    }
    missing = str(uuid.uuid4())
    for acting_for in (RANA, VEFSN, None):
        assert_refused(
            candidacy,
            UnknownItem,
            "no offer",
            lambda a=acting_for: commands[action](missing, a, stamp()),  # type: ignore[misc]
        )


def _verdict(command: Callable[[], object]) -> str:
    try:
        command()
    except DomainError as error:
        return f"refused: {error}"
    return "done"


def _judged(command: str, expires: date, when: Stamp) -> str:
    if command == "accept":
        candidacy, [offer] = offered(RANA, expires_on=expires)
        return _verdict(lambda: candidacy.accept_lis3_offer(offer, RANA, when))
    fresh = shared()
    return _verdict(lambda: fresh.offer_lis3(RANA, START, lis3_terms(), expires, when))


@pytest.mark.parametrize("command", ["accept", "offer"])
@pytest.mark.parametrize(
    ("utc_time", "verdict"),
    [((22, 30), "done"), ((23, 30), "refused: ")],
    ids=["23:30-in-Norway", "00:30-next-day-in-Norway"],
)
def test_expiry_is_the_norwegian_calendar_day_whatever_zone_the_time_is_written_in(
    command: str, utc_time: tuple[int, int], verdict: str
) -> None:
    expires = in_days(5)
    hour, minute = utc_time
    instant = datetime.combine(expires, datetime.min.time(), UTC) + timedelta(
        hours=hour, minutes=minute
    )
    recorded = instant + timedelta(hours=1)
    for written in (instant, instant.astimezone(OSLO_WINTER), instant.astimezone(TOKYO)):
        outcome = _judged(command, expires, stamp(written, recorded))
        assert outcome.startswith(verdict), (written.isoformat(), outcome)


# --- consent withdrawn -----------------------------------------------------------------------


def test_withdrawn_consent_closes_open_invitations_and_offers_but_keeps_the_facts() -> None:
    candidacy = shared()
    proposed = candidacy.invite(RANA, InvitationKind.TOUR, [NOW], by(RANA))
    accepted = candidacy.invite(RANA, InvitationKind.INTERVIEW, [NOW], by(RANA))
    candidacy.answer_invitation(accepted, InvitationAnswer.ACCEPTED, None, RANA, by(RANA))
    moved = candidacy.invite(VEFSN, InvitationKind.TERMS_TALK, [NOW], by(VEFSN))
    candidacy.answer_invitation(moved, InvitationAnswer.NEW_TIME_PROPOSED, NOW, VEFSN, by(VEFSN))
    held = candidacy.invite(VEFSN, InvitationKind.INTERVIEW, [NOW], by(VEFSN))
    candidacy.answer_invitation(held, InvitationAnswer.ACCEPTED, None, VEFSN, by(VEFSN))
    candidacy.record_meeting_held(held, VEFSN, by(VEFSN))
    declined = candidacy.invite(OTHER, InvitationKind.TOUR, [NOW], by(OTHER))
    candidacy.answer_invitation(declined, InvitationAnswer.DECLINED, None, OTHER, by(OTHER))
    open_offer = candidacy.offer_lis3(RANA, START, lis3_terms(), EXPIRES, by(RANA))
    withdrawn = candidacy.offer_lis3(VEFSN, START, lis3_terms(), EXPIRES, by(VEFSN))
    candidacy.withdraw_lis3_offer(withdrawn, VEFSN, by(VEFSN))
    candidacy.collect_events()

    candidacy.close_for_withdrawn_consent(stamp())

    assert candidacy.consent_withdrawn is True
    assert event_names(candidacy) == ["ConsentWithdrawn"]
    assert {i: v.state for i, v in candidacy.invitations.items()} == {
        proposed: "closed",
        accepted: "closed",
        moved: "closed",
        held: "held",
        declined: "declined",
    }
    assert {o: v.state for o, v in candidacy.offers.items()} == {
        open_offer: "closed",
        withdrawn: "withdrawn",
    }
    assert_refused(
        candidacy,
        InvariantViolated,
        "already withdrawn",
        lambda: candidacy.close_for_withdrawn_consent(stamp()),
    )


def test_an_accepted_offer_stays_accepted_when_consent_is_withdrawn() -> None:
    candidacy, [rana, vefsn] = offered(RANA, VEFSN)
    candidacy.accept_lis3_offer(rana, RANA, by(RANA))
    candidacy.close_for_withdrawn_consent(stamp())
    assert candidacy.offers[rana].state == "accepted"
    assert candidacy.offers[vefsn].state == "accepted_elsewhere"
    assert candidacy.accepted_offer == rana


def test_nothing_happens_after_consent_is_withdrawn() -> None:
    candidacy, [offer] = offered(RANA)
    invitation = candidacy.invite(VEFSN, InvitationKind.TOUR, [NOW], by(VEFSN))
    candidacy.answer_invitation(invitation, InvitationAnswer.ACCEPTED, None, VEFSN, by(VEFSN))
    candidacy.close_for_withdrawn_consent(stamp())
    candidacy.collect_events()
    refusals: list[tuple[str, Callable[[], object]]] = [
        (
            "withdrawn consent",
            lambda: candidacy.invite(OTHER, InvitationKind.TOUR, [NOW], by(OTHER)),
        ),
        (
            "withdrawn consent",
            lambda: candidacy.offer_lis3(OTHER, START, lis3_terms(), EXPIRES, by(OTHER)),
        ),
        ("withdrawn consent", lambda: candidacy.accept_lis3_offer(offer, RANA, by(RANA))),
        (
            "withdrawn consent",
            lambda: candidacy.answer_invitation(
                invitation, InvitationAnswer.DECLINED, None, VEFSN, by(VEFSN)
            ),
        ),
        (
            "withdrawn consent",
            lambda: candidacy.record_meeting_held(invitation, VEFSN, by(VEFSN)),
        ),
        ("closed", lambda: candidacy.decline_lis3_offer(offer, RANA, by(RANA))),
        ("closed", lambda: candidacy.withdraw_lis3_offer(offer, RANA, by(RANA))),
    ]
    for match, command in refusals:
        assert_refused(candidacy, InvariantViolated, match, command)


# --- the round sends its list ----------------------------------------------------------------


def _round(lis1_starts_on: date | None = None) -> Lis1Round:
    lis1_round = Lis1Round.open(
        "LIS1 høst 2027", {"rana": 4}, 2, in_days(30), stamp(), lis1_starts_on
    )
    lis1_round.collect_events()
    return lis1_round


def _round_with_answers(accepted: int, open_offers: int = 0) -> tuple[Lis1Round, list[str]]:
    """An offering round where `accepted` candidates accepted and `open_offers` have not."""
    lis1_round = _round()
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    ids = [str(uuid.uuid4()) for _ in range(accepted + open_offers)]
    for cid in ids:
        lis1_round.hold_offer(cid, "rana", False, in_days(2), stamp())
    for cid in ids[:accepted]:
        lis1_round.confirm_offer(cid, stamp())
    lis1_round.collect_events()
    return lis1_round, ids


def test_sends_the_final_list_once_in_a_stable_order() -> None:
    lis1_round, ids = _round_with_answers(3)
    lis1_round.finalise_list(stamp())
    lis1_round.collect_events()
    chosen = [ids[2], ids[0]]
    lis1_round.send_list_to_forum(chosen, stamp())
    assert lis1_round.forum_list == sorted(chosen)
    assert event_names(lis1_round) == ["ListSentToForum"]
    assert_refused(
        lis1_round,
        InvariantViolated,
        "already been sent",
        lambda: lis1_round.send_list_to_forum(chosen, stamp()),
    )
    assert_refused(
        lis1_round,
        InvariantViolated,
        "already been sent",
        lambda: lis1_round.send_list_to_forum([ids[1]], stamp()),
    )


def test_an_empty_list_may_be_sent() -> None:
    lis1_round, _ = _round_with_answers(1)
    lis1_round.finalise_list(stamp())
    lis1_round.send_list_to_forum([], stamp())
    assert lis1_round.forum_list == []


@pytest.mark.parametrize(
    "status", [RoundStatus.OPEN, RoundStatus.INTERVIEWING, RoundStatus.OFFERING]
)
def test_the_list_goes_to_the_forum_only_once_it_is_final(status: RoundStatus) -> None:
    lis1_round = _round()
    if status != RoundStatus.OPEN:
        lis1_round.advance_to(status, stamp())
        lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "not final",
        lambda: lis1_round.send_list_to_forum([], stamp()),
    )
    assert lis1_round.forum_list is None


def test_the_list_holds_only_candidates_who_accepted_lis1() -> None:
    lis1_round, ids = _round_with_answers(1, open_offers=1)
    # The open offer expires; the list becomes final without that candidate accepting.
    lis1_round.finalise_list(on(3))
    lis1_round.collect_events()
    for chosen in ([ids[1]], [ids[0], ids[1]], [ids[0], str(uuid.uuid4())]):
        assert_refused(
            lis1_round,
            InvariantViolated,
            "accepted LIS1",
            lambda c=chosen: lis1_round.send_list_to_forum(c, on(3)),  # type: ignore[misc]
        )
    lis1_round.send_list_to_forum([ids[0]], on(3))
    assert lis1_round.forum_list == [ids[0]]


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (date(2027, 9, 1), date(2029, 3, 1)),
        (date(2027, 7, 15), date(2029, 1, 15)),
        (date(2027, 3, 20), date(2028, 9, 20)),
        (date(2027, 8, 31), date(2029, 2, 28)),
    ],
)
def test_lis1_lasts_eighteen_months(starts_on: date, ends_on: date) -> None:
    assert _round(starts_on).lis1_ends_on() == ends_on


def test_lis1_end_is_unknown_without_a_start() -> None:
    assert _round().lis1_ends_on() is None


# --- which candidates are shared ----------------------------------------------------------------


def _candidate(
    preference: CareerPreference = CareerPreference.GENERAL_PRACTICE,
    consent: bool = True,
    answer: str | None = "accept",
) -> Candidate:
    """A candidate interviewed and offered LIS1, who answered with `answer` (or not yet)."""
    lis1_round = _round()
    candidate = Candidate(stamp())
    candidate.submit_lis1_application(lis1_round, preference, [], consent, stamp())
    candidate.record_lis1_interview(lis1_round, "Overlege Test", 4, "", stamp())
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    coupled = preference == CareerPreference.GENERAL_PRACTICE and consent  # the coupling rule
    candidate.offer_lis1(lis1_round, "rana", coupled, in_days(7), stamp())
    if answer == "accept":
        candidate.accept_lis1_offer(lis1_round, stamp())
    elif answer == "decline":
        candidate.decline_lis1_offer(lis1_round, stamp())
    candidate.collect_events()
    return candidate


def test_an_accepted_consenting_doctor_who_declared_general_practice_is_shared() -> None:
    assert _candidate(CareerPreference.GENERAL_PRACTICE).eligible_for_forum() is True


def test_an_undecided_doctor_is_shared_only_where_the_programme_widens_the_list() -> None:
    undecided = _candidate(CareerPreference.UNDECIDED)
    assert undecided.eligible_for_forum() is False
    assert undecided.eligible_for_forum(include_undecided=True) is True
    hospital_minded = _candidate(CareerPreference.HOSPITAL)
    assert hospital_minded.eligible_for_forum(include_undecided=True) is False


@pytest.mark.parametrize(
    ("preference", "consent", "answer"),
    [
        (CareerPreference.HOSPITAL, True, "accept"),
        (CareerPreference.GENERAL_PRACTICE, False, "accept"),
        (CareerPreference.UNDECIDED, False, "accept"),
        (CareerPreference.GENERAL_PRACTICE, True, None),
        (CareerPreference.GENERAL_PRACTICE, True, "decline"),
    ],
    ids=["hospital", "no-consent", "undecided-no-consent", "offer-open", "declined"],
)
def test_others_are_not_shared(
    preference: CareerPreference, consent: bool, answer: str | None
) -> None:
    assert _candidate(preference, consent, answer).eligible_for_forum() is False


def test_a_registered_candidate_is_not_shared() -> None:
    assert Candidate(stamp()).eligible_for_forum() is False


def test_withdrawn_consent_or_application_stops_sharing() -> None:
    candidate = _candidate()
    candidate.withdraw_consent(stamp())
    assert candidate.consent_withdrawn is True
    assert event_names(candidate) == ["ConsentWithdrawn"]
    assert candidate.eligible_for_forum() is False

    leaving = _candidate()
    leaving.withdraw_application(None, "Flytter sørover", stamp())
    assert leaving.eligible_for_forum() is False


def test_consent_is_withdrawn_once_and_only_if_it_was_given() -> None:
    candidate = _candidate()
    candidate.withdraw_consent(stamp())
    candidate.collect_events()
    assert_refused(
        candidate, InvariantViolated, "no consent", lambda: candidate.withdraw_consent(stamp())
    )
    never = _candidate(consent=False)
    assert_refused(never, InvariantViolated, "no consent", lambda: never.withdraw_consent(stamp()))


def test_an_offer_that_expires_after_its_post_starts_is_refused_naming_both_days() -> None:
    candidacy = shared()
    assert_refused(
        candidacy,
        InvalidInput,
        f"expires on {(START + timedelta(days=1)).isoformat()}, after the post starts on "
        f"{START.isoformat()}",
        lambda: candidacy.offer_lis3(
            RANA, START, lis3_terms(), START + timedelta(days=1), by(RANA)
        ),
    )


def test_a_lis3_post_starting_before_lis1_ends_is_refused_naming_both_days() -> None:
    candidacy = shared()
    assert_refused(
        candidacy,
        InvalidInput,
        f"starts after LIS1 ends on {LIS1_ENDS.isoformat()}, not on {LIS1_ENDS.isoformat()}",
        lambda: candidacy.offer_lis3(RANA, LIS1_ENDS, lis3_terms(), EXPIRES, by(RANA)),
    )


def test_a_doctor_who_accepted_may_drop_out_before_lis3_starts_and_only_once() -> None:
    candidacy, (offer,) = offered(RANA)
    candidacy.accept_lis3_offer(offer, RANA, by(RANA))
    candidacy.collect_events()
    candidacy.drop_out_before_lis3("family", "Flytter sørover", by(RANA))
    (event,) = candidacy.collect_events()
    assert type(event).__name__ == "DroppedOutBeforeLis3"
    assert (event.offer_id, event.municipality, event.reason) == (offer, RANA, "family")  # type: ignore[attr-defined]
    assert candidacy.offers[offer].state == "dropped_out"
    assert candidacy.accepted_and_not_started() is None
    assert_refused(
        candidacy,
        InvariantViolated,
        "no accepted LIS3 offer",
        lambda: candidacy.drop_out_before_lis3("family", "", by(RANA)),
    )


def test_without_an_accepted_offer_there_is_nothing_to_drop_out_of() -> None:
    candidacy, _ = offered(RANA)
    assert_refused(
        candidacy,
        InvariantViolated,
        "no accepted LIS3 offer",
        lambda: candidacy.drop_out_before_lis3("family", "", by(RANA)),
    )
