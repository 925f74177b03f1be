"""A candidate's journey and the rules it asks of the round. Aggregates only, no storage."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone

import pytest
from eventsourcing.domain import Aggregate
from helgeland_pipeline.domain.candidates import (
    Candidate,
    CareerPreference,
    ContactKind,
    LocalConnection,
    OfferState,
)
from helgeland_pipeline.domain.common import DomainError, InvalidInput, InvariantViolated, Stamp
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus

from tests.factories import NOW, RECRUITER, in_days, stamp

GP = CareerPreference.GENERAL_PRACTICE


def on(day: int) -> Stamp:
    """A stamp for something that happened (and was recorded) `day` days after NOW."""
    return stamp(NOW + timedelta(days=day))


def new_round(
    positions: dict[str, int] | None = None, coupled: int = 2, deadline_days: int = 30
) -> Lis1Round:
    lis1_round = Lis1Round.open(
        "LIS1 høst 2027",
        positions or {"rana": 2, "mosjoen": 2},
        coupled,
        in_days(deadline_days),
        stamp(),
    )
    lis1_round.collect_events()
    return lis1_round


def registered() -> Candidate:
    candidate = Candidate(stamp())
    candidate.record_contact_details("Kari Nordmann", "kari@example.no", None, stamp())
    candidate.collect_events()
    return candidate


def applied(
    lis1_round: Lis1Round, consent: bool = True, preference: CareerPreference = GP
) -> Candidate:
    candidate = registered()
    candidate.submit_lis1_application(lis1_round, preference, [], consent, stamp())
    candidate.collect_events()
    return candidate


def interviewed(lis1_round: Lis1Round, preference: CareerPreference = GP) -> Candidate:
    candidate = applied(lis1_round, preference=preference)
    candidate.record_lis1_interview(lis1_round, "Overlege Hansen", 4, "", stamp())
    candidate.collect_events()
    return candidate


def start_offering(lis1_round: Lis1Round) -> None:
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    lis1_round.collect_events()


def offer(
    candidate: Candidate,
    lis1_round: Lis1Round,
    unit: str = "rana",
    coupled: bool = False,
    answer_days: int = 3,
) -> Candidate:
    """Make an interviewed candidate an offer at NOW (the round starts offering if need be)."""
    if lis1_round.status == RoundStatus.OPEN:
        start_offering(lis1_round)
    candidate.offer_lis1(lis1_round, unit, coupled, in_days(answer_days), stamp())
    candidate.collect_events()
    lis1_round.collect_events()
    return candidate


def offered(
    lis1_round: Lis1Round, unit: str = "rana", coupled: bool = False, answer_days: int = 3
) -> Candidate:
    """A new candidate of an open round, interviewed and offered at NOW."""
    return offer(interviewed(lis1_round), lis1_round, unit, coupled, answer_days)


def assert_refused(
    aggregates: list[Aggregate],
    error: type[DomainError],
    match: str,
    command: Callable[[], object],
) -> None:
    """The command raises `error` and leaves every aggregate as it was, with nothing to save."""
    versions = [a.version for a in aggregates]
    with pytest.raises(error, match=match):
        command()
    assert [a.collect_events() for a in aggregates] == [[] for _ in aggregates]
    assert [a.version for a in aggregates] == versions


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


# --- contact details -------------------------------------------------------------------------


def test_records_trimmed_contact_details() -> None:
    candidate = Candidate(stamp())
    candidate.record_contact_details("  Kari Nordmann ", " kari@example.no ", "  ", stamp())
    events = candidate.collect_events()
    assert [type(e).__name__ for e in events] == ["Registered", "ContactDetailsRecorded"]
    recorded = events[1].__dict__
    assert (recorded["name"], recorded["email"], recorded["phone"]) == (
        "Kari Nordmann",
        "kari@example.no",
        None,
    )
    assert candidate.has_contact_details


@pytest.mark.parametrize("name", ["", "   "])
def test_refuses_contact_details_without_a_name(name: str) -> None:
    candidate = registered()
    assert_refused(
        [candidate],
        InvalidInput,
        "name is required",
        lambda: candidate.record_contact_details(name, "kari@example.no", None, stamp()),
    )


@pytest.mark.parametrize(
    "email",
    [
        "",
        "kari",
        "kari@",
        "@example.no",
        "kari@example",
        "kari nordmann@example.no",
        "kari@example.no\nBcc: x@example.no",
        "kari\t@example.no",
    ],
)
def test_refuses_a_malformed_email(email: str) -> None:
    candidate = registered()
    assert_refused(
        [candidate],
        InvalidInput,
        "not an e-mail address",
        lambda: candidate.record_contact_details("Kari Nordmann", email, None, stamp()),
    )


def test_names_and_emails_appear_only_in_contact_details_events() -> None:
    name, corrected = "Kari Testesen Nordmann", "Kari Testesen Nordmann-Berg"
    email, phone = "kari.testesen@example.no", "+47 912 34 567"
    lis1_round = Lis1Round.open("LIS1 høst 2027", {"rana": 2}, 1, in_days(30), stamp())
    candidate = Candidate(stamp())
    candidate.record_contact_details(name, email, phone, stamp())
    candidate.record_student_contact(ContactKind.PLACEMENT, "1833", stamp())
    candidate.submit_lis1_application(lis1_round, GP, [LocalConnection.GREW_UP], True, stamp())
    candidate.record_lis1_interview(lis1_round, "Overlege Hansen", 5, "Sterk interesse", stamp())
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    candidate.offer_lis1(lis1_round, "rana", True, in_days(3), stamp())
    candidate.accept_lis1_offer(lis1_round, on(1))
    candidate.record_contact_details(corrected, email, phone, on(1))
    lis1_round.finalise_list(on(1))
    lis1_round.send_list_to_forum([str(candidate.id)], on(1))
    candidate.withdraw_consent(on(2))
    candidate.withdraw_application(lis1_round, "Flytter sørover", on(2))
    events = [*candidate.collect_events(), *lis1_round.collect_events()]

    personal = [e for e in events if type(e).__name__ == "ContactDetailsRecorded"]
    others = [e for e in events if type(e).__name__ != "ContactDetailsRecorded"]
    assert len(personal) == 2
    assert len(others) == 15
    for secret in (name, email, phone):
        assert all(secret in repr(e.__dict__) for e in personal)
        leaking = [type(e).__name__ for e in others if secret in repr(e.__dict__)]
        assert leaking == [], f"{secret!r} is stored in {leaking}"
        assert secret not in repr(vars(candidate))
        assert secret not in repr(vars(lis1_round))


# --- step 1: early contact -------------------------------------------------------------------


def test_a_placement_contact_names_its_municipality() -> None:
    candidate = registered()
    assert_refused(
        [candidate],
        InvalidInput,
        "placement names its municipality",
        lambda: candidate.record_student_contact(ContactKind.PLACEMENT, None, stamp()),
    )
    candidate.record_student_contact(ContactKind.PLACEMENT, "1833", stamp())
    assert candidate.contacts == ["placement"]
    assert event_names(candidate) == ["StudentContacted"]


@pytest.mark.parametrize("kind", [ContactKind.CAMPUS_VISIT, ContactKind.OTHER])
def test_other_contacts_need_no_municipality(kind: ContactKind) -> None:
    candidate = registered()
    candidate.record_student_contact(kind, None, stamp())
    assert candidate.contacts == [kind]


# --- step 2: application ---------------------------------------------------------------------


def test_applies_to_an_open_round_with_preference_and_local_connection() -> None:
    lis1_round = new_round()
    candidate = registered()
    local = [LocalConnection.PLACEMENT, LocalConnection.GREW_UP, LocalConnection.PLACEMENT]
    candidate.submit_lis1_application(lis1_round, CareerPreference.UNDECIDED, local, True, stamp())
    assert candidate.round_id == str(lis1_round.id)
    assert candidate.preference == CareerPreference.UNDECIDED
    assert candidate.local_connection == ["grew_up", "placement"]
    assert candidate.consent_to_share is True
    assert event_names(candidate) == ["Lis1ApplicationSubmitted"]
    assert lis1_round.collect_events() == []


def test_accepts_an_application_on_the_deadline_day() -> None:
    lis1_round = new_round(deadline_days=30)
    candidate = registered()
    candidate.submit_lis1_application(lis1_round, GP, [], True, on(30))
    assert candidate.round_id == str(lis1_round.id)


def test_refuses_an_application_after_the_deadline() -> None:
    lis1_round = new_round(deadline_days=30)
    candidate = registered()
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "deadline has passed",
        lambda: candidate.submit_lis1_application(lis1_round, GP, [], True, on(31)),
    )


def test_accepts_a_late_entered_application_made_before_the_deadline() -> None:
    lis1_round = new_round(deadline_days=30)
    candidate = registered()
    made = NOW + timedelta(days=30)
    late = stamp(made, recorded=made + timedelta(days=2))
    candidate.submit_lis1_application(lis1_round, GP, [], True, late)
    events = candidate.collect_events()
    assert events[0].__dict__["stamp"] == late
    assert candidate.round_id == str(lis1_round.id)


@pytest.mark.parametrize("status", [RoundStatus.INTERVIEWING, RoundStatus.OFFERING])
def test_refuses_an_application_when_the_round_is_not_open(status: RoundStatus) -> None:
    lis1_round = new_round()
    lis1_round.advance_to(status, stamp())
    lis1_round.collect_events()
    candidate = registered()
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "not open",
        lambda: candidate.submit_lis1_application(lis1_round, GP, [], True, stamp()),
    )
    assert candidate.round_id is None


def test_refuses_a_second_application() -> None:
    first, second = new_round(), new_round()
    candidate = applied(first)
    assert_refused(
        [candidate],
        InvariantViolated,
        "already applied",
        lambda: candidate.submit_lis1_application(second, GP, [], True, stamp()),
    )
    assert candidate.round_id == str(first.id)


# --- step 3: interview -----------------------------------------------------------------------


def test_records_an_interview_of_an_applicant() -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    candidate.record_lis1_interview(lis1_round, " Overlege Hansen ", 5, "notes", stamp())
    events = candidate.collect_events()
    assert [type(e).__name__ for e in events] == ["Lis1InterviewHeld"]
    assert events[0].__dict__["interviewer"] == "Overlege Hansen"
    assert candidate.interview_scores == [5]


def test_refuses_an_interview_before_applying() -> None:
    lis1_round = new_round()
    candidate = registered()
    assert_refused(
        [candidate],
        InvariantViolated,
        "not applied",
        lambda: candidate.record_lis1_interview(lis1_round, "Overlege Hansen", 4, "", stamp()),
    )


def test_refuses_an_interview_for_another_round() -> None:
    mine, other = new_round(), new_round()
    candidate = applied(mine)
    assert_refused(
        [candidate],
        InvariantViolated,
        "another round",
        lambda: candidate.record_lis1_interview(other, "Overlege Hansen", 4, "", stamp()),
    )


@pytest.mark.parametrize("score", [0, 6, -1])
def test_refuses_an_interview_score_outside_1_to_5(score: int) -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    assert_refused(
        [candidate],
        InvalidInput,
        "scored 1 to 5",
        lambda: candidate.record_lis1_interview(lis1_round, "Overlege Hansen", score, "", stamp()),
    )


def test_accepts_interview_scores_from_1_to_5() -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    for score in range(1, 6):
        candidate.record_lis1_interview(lis1_round, "Overlege Hansen", score, "", stamp())
    assert candidate.interview_scores == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("interviewer", ["", "  "])
def test_refuses_an_interview_without_an_interviewer(interviewer: str) -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    assert_refused(
        [candidate],
        InvalidInput,
        "interviewer",
        lambda: candidate.record_lis1_interview(lis1_round, interviewer, 4, "", stamp()),
    )


def test_refuses_interview_notes_over_2000_characters() -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    assert_refused(
        [candidate],
        InvalidInput,
        "2000 characters",
        lambda: candidate.record_lis1_interview(lis1_round, "Overlege", 4, "x" * 2001, stamp()),
    )
    candidate.record_lis1_interview(lis1_round, "Overlege", 4, "x" * 2000, stamp())
    assert candidate.interview_scores == [4]


def test_refuses_an_interview_once_an_offer_is_made() -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round)
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "already has an offer",
        lambda: candidate.record_lis1_interview(lis1_round, "Overlege Hansen", 4, "", stamp()),
    )


def test_refuses_an_interview_once_the_list_is_final() -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    start_offering(lis1_round)
    lis1_round.finalise_list(stamp())
    lis1_round.collect_events()
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "already final",
        lambda: candidate.record_lis1_interview(lis1_round, "Overlege Hansen", 4, "", stamp()),
    )


# --- step 4: offer ---------------------------------------------------------------------------


def test_an_offer_is_recorded_on_the_candidate_and_held_by_the_round() -> None:
    lis1_round = new_round()
    candidate = interviewed(lis1_round)
    start_offering(lis1_round)
    candidate.offer_lis1(lis1_round, "rana", True, in_days(14), stamp())
    assert event_names(candidate) == ["Lis1Offered"]
    assert event_names(lis1_round) == ["OfferHeld"]
    assert (candidate.offer_unit, candidate.offer_coupled, candidate.offer_state) == (
        "rana",
        True,
        OfferState.OPEN,
    )
    assert lis1_round.offers[str(candidate.id)].coupled is True


def test_refuses_an_offer_without_an_interview() -> None:
    lis1_round = new_round()
    candidate = applied(lis1_round)
    start_offering(lis1_round)
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "no offer without an interview",
        lambda: candidate.offer_lis1(lis1_round, "rana", False, in_days(14), stamp()),
    )


def test_refuses_an_offer_before_applying() -> None:
    lis1_round = new_round()
    start_offering(lis1_round)
    candidate = registered()
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "not applied",
        lambda: candidate.offer_lis1(lis1_round, "rana", False, in_days(14), stamp()),
    )


@pytest.mark.parametrize("status", [RoundStatus.OPEN, RoundStatus.INTERVIEWING])
def test_refuses_an_offer_when_the_round_is_not_offering(status: RoundStatus) -> None:
    lis1_round = new_round()
    candidate = interviewed(lis1_round)
    if status != RoundStatus.OPEN:
        lis1_round.advance_to(status, stamp())
        lis1_round.collect_events()
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "not offering",
        lambda: candidate.offer_lis1(lis1_round, "rana", False, in_days(14), stamp()),
    )
    assert candidate.offer_state is None


def test_refuses_an_offer_for_another_round() -> None:
    mine, other = new_round(), new_round()
    candidate = interviewed(mine)
    start_offering(mine)
    start_offering(other)
    assert_refused(
        [candidate, mine, other],
        InvariantViolated,
        "another round",
        lambda: candidate.offer_lis1(other, "rana", False, in_days(14), stamp()),
    )


def test_refuses_a_second_offer() -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round)
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "already has an offer",
        lambda: candidate.offer_lis1(lis1_round, "mosjoen", False, in_days(14), stamp()),
    )


def test_refuses_an_offer_at_a_unit_without_positions() -> None:
    lis1_round = new_round({"rana": 2}, coupled=1)
    candidate = interviewed(lis1_round)
    start_offering(lis1_round)
    assert_refused(
        [candidate, lis1_round],
        InvalidInput,
        "no positions at unit 'mosjoen'",
        lambda: candidate.offer_lis1(lis1_round, "mosjoen", False, in_days(14), stamp()),
    )


def test_refuses_an_offer_beyond_the_positions_at_a_unit() -> None:
    lis1_round = new_round({"rana": 1, "mosjoen": 1}, coupled=1)
    first, candidate = interviewed(lis1_round), interviewed(lis1_round)
    offer(first, lis1_round, "rana")
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "every position at rana",
        lambda: candidate.offer_lis1(lis1_round, "rana", False, in_days(14), stamp()),
    )
    assert candidate.offer_state is None


def test_refuses_a_coupled_offer_beyond_the_coupled_quota() -> None:
    lis1_round = new_round({"rana": 2, "mosjoen": 2}, coupled=1)
    first, candidate = interviewed(lis1_round), interviewed(lis1_round)
    offer(first, lis1_round, "rana", coupled=True)
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "all 1 coupled positions",
        lambda: candidate.offer_lis1(lis1_round, "mosjoen", True, in_days(14), stamp()),
    )
    candidate.offer_lis1(lis1_round, "mosjoen", False, in_days(14), stamp())
    assert candidate.offer_state == OfferState.OPEN


@pytest.mark.parametrize("leave", ["decline", "withdraw"])
def test_a_declined_or_withdrawn_offer_frees_its_position_and_coupled_slot(leave: str) -> None:
    lis1_round = new_round({"rana": 1, "mosjoen": 1}, coupled=1)
    first, second = interviewed(lis1_round), interviewed(lis1_round)
    offer(first, lis1_round, "rana", coupled=True)
    with pytest.raises(InvariantViolated, match="every position at rana"):
        second.offer_lis1(lis1_round, "rana", True, in_days(14), on(1))
    if leave == "decline":
        first.decline_lis1_offer(lis1_round, on(1))
    else:
        first.withdraw_application(lis1_round, "", on(1))
    assert event_names(lis1_round) == ["OfferReleased"]
    second.offer_lis1(lis1_round, "rana", True, in_days(14), on(1))
    assert set(lis1_round.offers) == {str(second.id)}


def test_an_expired_offer_frees_its_position_and_coupled_slot() -> None:
    lis1_round = new_round({"rana": 1, "mosjoen": 1}, coupled=1)
    first, second = interviewed(lis1_round), interviewed(lis1_round)
    offer(first, lis1_round, "rana", coupled=True, answer_days=3)
    with pytest.raises(InvariantViolated, match="every position at rana"):
        second.offer_lis1(lis1_round, "rana", True, in_days(14), on(3))
    second.offer_lis1(lis1_round, "rana", True, in_days(14), on(4))
    assert second.offer_state == OfferState.OPEN


# --- answers to the offer --------------------------------------------------------------------


def test_accepts_an_offer_on_its_answer_by_date() -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round, answer_days=3)
    candidate.accept_lis1_offer(lis1_round, on(3))
    assert candidate.offer_state == OfferState.ACCEPTED
    assert lis1_round.offers[str(candidate.id)].accepted is True
    assert event_names(candidate) == ["Lis1OfferAccepted"]
    assert event_names(lis1_round) == ["OfferConfirmed"]


def test_declines_an_offer() -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round)
    candidate.decline_lis1_offer(lis1_round, on(1))
    assert candidate.offer_state == OfferState.DECLINED
    assert event_names(candidate) == ["Lis1OfferDeclined"]


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_refuses_to_answer_an_offer_that_was_not_made(answer: str) -> None:
    lis1_round = new_round()
    candidate = interviewed(lis1_round)
    start_offering(lis1_round)
    command = candidate.accept_lis1_offer if answer == "accept" else candidate.decline_lis1_offer
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "no offer has been made",
        lambda: command(lis1_round, stamp()),
    )


@pytest.mark.parametrize("first", ["accept", "decline"])
@pytest.mark.parametrize("then", ["accept", "decline"])
def test_refuses_to_answer_an_offer_twice(first: str, then: str) -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round)
    answers = {"accept": candidate.accept_lis1_offer, "decline": candidate.decline_lis1_offer}
    answers[first](lis1_round, on(1))
    candidate.collect_events()
    lis1_round.collect_events()
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "already (accepted|declined)",
        lambda: answers[then](lis1_round, on(2)),
    )


@pytest.mark.parametrize("answer", ["accept", "decline"])
def test_refuses_to_answer_an_expired_offer(answer: str) -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round, answer_days=3)
    command = candidate.accept_lis1_offer if answer == "accept" else candidate.decline_lis1_offer
    assert_refused(
        [candidate, lis1_round],
        InvariantViolated,
        "expired",
        lambda: command(lis1_round, on(4)),
    )
    assert candidate.offer_state == OfferState.OPEN


def test_a_late_entered_acceptance_counts_from_when_it_was_given() -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round, answer_days=3)
    given = NOW + timedelta(days=3)
    candidate.accept_lis1_offer(lis1_round, stamp(given, recorded=given + timedelta(days=2)))
    assert candidate.offer_state == OfferState.ACCEPTED


def test_a_back_dated_acceptance_never_fills_a_unit_beyond_its_positions() -> None:
    """Rana has one position. A's offer expires on day 3, so B is offered rana on day 5.

    On day 5 A's acceptance, given on day 3, is entered late. Whatever the rules decide about
    that acceptance, rana must not end with two accepted offers for its one position.
    """
    lis1_round = new_round({"rana": 1, "mosjoen": 1}, coupled=1)
    first, second = interviewed(lis1_round), interviewed(lis1_round)
    offer(first, lis1_round, "rana", answer_days=3)
    second.offer_lis1(lis1_round, "rana", False, in_days(14), on(5))
    late = stamp(NOW + timedelta(days=3), recorded=NOW + timedelta(days=5))
    with contextlib.suppress(InvariantViolated):
        first.accept_lis1_offer(lis1_round, late)
    with contextlib.suppress(InvariantViolated):
        second.accept_lis1_offer(lis1_round, on(6))
    accepted = [o for o in lis1_round.offers.values() if o.unit == "rana" and o.accepted]
    assert len(accepted) <= lis1_round.positions["rana"]


def test_the_same_instant_in_any_time_zone_finds_an_offer_expired() -> None:
    """10:00 UTC the day after the answer-by date is too late, however the time is written."""
    after = datetime.combine(in_days(4), time(10), UTC)
    outcomes = []
    for offset in (0, 1, -12):
        lis1_round = new_round()
        candidate = offered(lis1_round, answer_days=3)
        moment = after.astimezone(timezone(timedelta(hours=offset)))
        try:
            candidate.accept_lis1_offer(lis1_round, Stamp(RECRUITER, moment, after))
            outcomes.append("accepted")
        except InvariantViolated:
            outcomes.append("refused")
    assert outcomes == ["refused", "refused", "refused"]


# --- withdrawal ------------------------------------------------------------------------------


def test_withdraws_before_applying_without_a_round() -> None:
    candidate = registered()
    candidate.withdraw_application(None, "Valgte et annet sykehus", stamp())
    assert candidate.withdrawn
    assert event_names(candidate) == ["ApplicationWithdrawn"]


def test_refuses_a_withdrawal_reason_over_500_characters() -> None:
    lis1_round = new_round()
    candidate = offered(lis1_round)
    assert_refused(
        [candidate, lis1_round],
        InvalidInput,
        "500 characters",
        lambda: candidate.withdraw_application(lis1_round, "x" * 501, stamp()),
    )
    assert str(candidate.id) in lis1_round.offers
    candidate.withdraw_application(lis1_round, "x" * 500, stamp())
    assert candidate.withdrawn


WithdrawnCommand = Callable[[Candidate, Lis1Round, Lis1Round], object]

AFTER_WITHDRAWAL: dict[str, WithdrawnCommand] = {
    "contact": lambda c, r, o: c.record_student_contact(ContactKind.OTHER, None, on(1)),
    "apply": lambda c, r, o: c.submit_lis1_application(o, GP, [], True, on(1)),
    "interview": lambda c, r, o: c.record_lis1_interview(r, "Overlege", 3, "", on(1)),
    "offer": lambda c, r, o: c.offer_lis1(r, "mosjoen", False, in_days(14), on(1)),
    "accept": lambda c, r, o: c.accept_lis1_offer(r, on(1)),
    "decline": lambda c, r, o: c.decline_lis1_offer(r, on(1)),
    "withdraw": lambda c, r, o: c.withdraw_application(r, "", on(1)),
}


@pytest.mark.parametrize("command", AFTER_WITHDRAWAL.values(), ids=AFTER_WITHDRAWAL.keys())
def test_nothing_happens_after_withdrawal(command: WithdrawnCommand) -> None:
    lis1_round, other = new_round(), new_round()
    candidate = offered(lis1_round)
    candidate.withdraw_application(lis1_round, "", stamp())
    candidate.collect_events()
    lis1_round.collect_events()
    assert_refused(
        [candidate, lis1_round, other],
        InvariantViolated,
        "withdrawn",
        lambda: command(candidate, lis1_round, other),
    )


# --- sharing with the municipalities ---------------------------------------------------------


def test_consent_can_be_withdrawn_once_and_only_when_given() -> None:
    lis1_round = new_round()
    without = applied(lis1_round, consent=False)
    assert_refused(
        [without], InvariantViolated, "no consent", lambda: without.withdraw_consent(stamp())
    )
    candidate = applied(lis1_round, consent=True)
    candidate.withdraw_consent(stamp())
    assert event_names(candidate) == ["ConsentWithdrawn"]
    assert_refused(
        [candidate], InvariantViolated, "no consent", lambda: candidate.withdraw_consent(stamp())
    )


def test_only_consenting_accepted_gp_minded_candidates_are_eligible_for_the_forum() -> None:
    lis1_round = new_round({"rana": 4}, coupled=2)
    candidate, leaving = interviewed(lis1_round), interviewed(lis1_round)
    undecided = interviewed(lis1_round, CareerPreference.UNDECIDED)
    hospital_minded = interviewed(lis1_round, CareerPreference.HOSPITAL)
    for each in (candidate, undecided, leaving, hospital_minded):
        offer(each, lis1_round)
    assert not candidate.eligible_for_forum()
    for each in (candidate, undecided, leaving, hospital_minded):
        each.accept_lis1_offer(lis1_round, on(1))
    assert candidate.eligible_for_forum()
    assert not undecided.eligible_for_forum()  # by default the list holds general practice
    assert undecided.eligible_for_forum(include_undecided=True)
    assert not hospital_minded.eligible_for_forum(include_undecided=True)
    candidate.withdraw_consent(on(1))
    assert not candidate.eligible_for_forum()
    leaving.withdraw_application(lis1_round, "", on(2))
    assert not leaving.eligible_for_forum()
