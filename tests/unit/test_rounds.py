"""The LIS1 round's rules, and the stamp every command carries. Aggregates only, no storage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from eventsourcing.domain import Aggregate
from helgeland_pipeline.domain.common import (
    DomainError,
    InvalidInput,
    InvariantViolated,
    Stamp,
)
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus

from tests.factories import NOW, RECRUITER, in_days, stamp


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


def offering_round(positions: dict[str, int] | None = None, coupled: int = 2) -> Lis1Round:
    lis1_round = new_round(positions, coupled)
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    lis1_round.collect_events()
    return lis1_round


def final_round() -> Lis1Round:
    lis1_round = offering_round()
    lis1_round.finalise_list(stamp())
    lis1_round.collect_events()
    return lis1_round


def assert_refused(
    aggregate: Aggregate,
    error: type[DomainError],
    match: str,
    command: Callable[[], object],
) -> None:
    """The command raises `error` and leaves the aggregate as it was, with nothing to save."""
    version = aggregate.version
    with pytest.raises(error, match=match):
        command()
    assert aggregate.collect_events() == []
    assert aggregate.version == version


def event_names(aggregate: Aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


# --- stamps ----------------------------------------------------------------------------------


def test_stamp_keeps_a_back_dated_occurrence_and_its_recording_time() -> None:
    happened = NOW - timedelta(days=1)
    entered = Stamp(RECRUITER, happened, NOW)
    assert (entered.occurred_at, entered.recorded_at) == (happened, NOW)


def test_stamp_refuses_an_occurrence_after_it_was_recorded() -> None:
    with pytest.raises(InvalidInput, match="future"):
        Stamp(RECRUITER, NOW + timedelta(seconds=1), NOW)


def test_stamp_compares_instants_not_wall_clock_readings() -> None:
    oslo_winter = timezone(timedelta(hours=1))
    # 12:30 in Oslo is 11:30 UTC, so it happened before NOW (12:00 UTC).
    Stamp(RECRUITER, datetime(2027, 1, 15, 12, 30, tzinfo=oslo_winter), NOW)
    with pytest.raises(InvalidInput, match="future"):
        Stamp(RECRUITER, datetime(2027, 1, 15, 14, 30, tzinfo=oslo_winter), NOW)


@pytest.mark.parametrize(
    ("occurred_at", "recorded_at"),
    [
        (NOW.replace(tzinfo=None), NOW),
        (NOW, NOW.replace(tzinfo=None)),
        (NOW.replace(tzinfo=None), NOW.replace(tzinfo=None)),
    ],
    ids=["naive-occurred", "naive-recorded", "both-naive"],
)
def test_stamp_refuses_naive_datetimes(occurred_at: datetime, recorded_at: datetime) -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        Stamp(RECRUITER, occurred_at, recorded_at)


# --- opening a round -------------------------------------------------------------------------


def test_opens_with_positions_per_unit_and_a_coupled_quota() -> None:
    lis1_round = Lis1Round.open(
        "  LIS1 vår 2027 ", {"rana": 3, "mosjoen": 1}, 2, in_days(30), stamp()
    )
    assert lis1_round.name == "LIS1 vår 2027"
    assert lis1_round.positions == {"rana": 3, "mosjoen": 1}
    assert lis1_round.coupled_positions == 2
    assert lis1_round.status == RoundStatus.OPEN
    assert lis1_round.offers == {}
    assert event_names(lis1_round) == ["Opened"]


def test_keeps_its_own_copy_of_the_positions() -> None:
    positions = {"rana": 2}
    lis1_round = Lis1Round.open("LIS1", positions, 1, in_days(30), stamp())
    positions["rana"] = 99
    assert lis1_round.positions == {"rana": 2}


@pytest.mark.parametrize(
    ("positions", "coupled"),
    [({"rana": 2, "mosjoen": 2}, 2), ({"rana": 3}, 1), ({"rana": 1}, 0)],
)
def test_allows_up_to_half_of_positions_coupled(positions: dict[str, int], coupled: int) -> None:
    lis1_round = Lis1Round.open("LIS1", positions, coupled, in_days(30), stamp())
    assert lis1_round.coupled_positions == coupled


@pytest.mark.parametrize(
    ("positions", "coupled"),
    [({"rana": 2, "mosjoen": 2}, 3), ({"rana": 3}, 2), ({"rana": 1}, 1)],
)
def test_refuses_more_than_half_of_positions_coupled(
    positions: dict[str, int], coupled: int
) -> None:
    with pytest.raises(InvariantViolated, match="at most half"):
        Lis1Round.open("LIS1", positions, coupled, in_days(30), stamp())


@pytest.mark.parametrize("name", ["", "   "])
def test_refuses_a_round_without_a_name(name: str) -> None:
    with pytest.raises(InvalidInput, match="name"):
        Lis1Round.open(name, {"rana": 2}, 1, in_days(30), stamp())


def test_refuses_a_round_without_positions() -> None:
    with pytest.raises(InvalidInput, match="at least one position"):
        Lis1Round.open("LIS1", {}, 0, in_days(30), stamp())


@pytest.mark.parametrize("count", [0, -1])
def test_refuses_non_positive_positions_at_a_unit(count: int) -> None:
    with pytest.raises(InvalidInput, match=">= 1"):
        Lis1Round.open("LIS1", {"rana": 2, "mosjoen": count}, 0, in_days(30), stamp())


def test_refuses_negative_coupled_positions() -> None:
    with pytest.raises(InvalidInput, match="negative"):
        Lis1Round.open("LIS1", {"rana": 2}, -1, in_days(30), stamp())


def test_lis1_start_must_come_after_the_application_deadline() -> None:
    deadline = in_days(30)
    for starts_on in (deadline, deadline - timedelta(days=1)):
        with pytest.raises(InvalidInput, match="deadline"):
            Lis1Round.open("LIS1", {"rana": 2}, 1, deadline, stamp(), starts_on)
    lis1_round = Lis1Round.open(
        "LIS1", {"rana": 2}, 1, deadline, stamp(), deadline + timedelta(days=1)
    )
    assert lis1_round.lis1_starts_on == deadline + timedelta(days=1)


# --- status only moves forward ---------------------------------------------------------------


def test_moves_forward_from_open_through_interviewing_to_offering() -> None:
    lis1_round = new_round()
    seen = []
    for target in (RoundStatus.INTERVIEWING, RoundStatus.OFFERING):
        lis1_round.advance_to(target, stamp())
        seen.append(lis1_round.status)
    assert seen == [RoundStatus.INTERVIEWING, RoundStatus.OFFERING]
    assert event_names(lis1_round) == ["Advanced", "Advanced"]


def test_may_go_straight_from_open_to_offering() -> None:
    lis1_round = new_round()
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    assert lis1_round.status == RoundStatus.OFFERING


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (RoundStatus.OPEN, RoundStatus.OPEN),
        (RoundStatus.INTERVIEWING, RoundStatus.OPEN),
        (RoundStatus.INTERVIEWING, RoundStatus.INTERVIEWING),
        (RoundStatus.OFFERING, RoundStatus.INTERVIEWING),
        (RoundStatus.OFFERING, RoundStatus.OPEN),
        (RoundStatus.OFFERING, RoundStatus.OFFERING),
    ],
)
def test_round_status_never_moves_backwards_or_stands_still(
    current: RoundStatus, target: RoundStatus
) -> None:
    lis1_round = new_round()
    if current != RoundStatus.OPEN:
        lis1_round.advance_to(current, stamp())
        lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "cannot go from",
        lambda: lis1_round.advance_to(target, stamp()),
    )
    assert lis1_round.status == current


@pytest.mark.parametrize(
    "target", [RoundStatus.OPEN, RoundStatus.INTERVIEWING, RoundStatus.OFFERING]
)
def test_a_final_round_cannot_be_advanced_again(target: RoundStatus) -> None:
    lis1_round = final_round()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "cannot go from list_final",
        lambda: lis1_round.advance_to(target, stamp()),
    )


def test_list_final_is_reached_only_by_finalising_the_list() -> None:
    lis1_round = offering_round()
    assert_refused(
        lis1_round,
        InvalidInput,
        "finalise_list",
        lambda: lis1_round.advance_to(RoundStatus.LIST_FINAL, stamp()),
    )


# --- the final list --------------------------------------------------------------------------


@pytest.mark.parametrize("status", [RoundStatus.OPEN, RoundStatus.INTERVIEWING])
def test_only_an_offering_round_can_finalise_its_list(status: RoundStatus) -> None:
    lis1_round = new_round()
    if status != RoundStatus.OPEN:
        lis1_round.advance_to(status, stamp())
        lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "only a round that is offering",
        lambda: lis1_round.finalise_list(stamp()),
    )


def test_a_final_list_cannot_be_finalised_again() -> None:
    lis1_round = final_round()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "only a round that is offering",
        lambda: lis1_round.finalise_list(stamp()),
    )


def test_finalises_an_offering_round_without_offers() -> None:
    lis1_round = offering_round()
    lis1_round.finalise_list(stamp())
    assert lis1_round.status == RoundStatus.LIST_FINAL
    assert event_names(lis1_round) == ["ListFinalised"]


def test_refuses_a_final_list_while_an_offer_is_unanswered_and_unexpired() -> None:
    lis1_round = offering_round()
    lis1_round.hold_offer("c1", "rana", False, in_days(3), stamp())
    lis1_round.collect_events()
    assert_refused(
        lis1_round, InvariantViolated, "1 offer", lambda: lis1_round.finalise_list(on(0))
    )
    # The answer-by day itself still belongs to the candidate.
    assert_refused(
        lis1_round, InvariantViolated, "1 offer", lambda: lis1_round.finalise_list(on(3))
    )


def test_finalises_once_every_offer_is_accepted_released_or_expired() -> None:
    lis1_round = offering_round()
    lis1_round.hold_offer("accepted", "rana", False, in_days(3), stamp())
    lis1_round.hold_offer("declined", "rana", False, in_days(3), stamp())
    lis1_round.hold_offer("expired", "mosjoen", False, in_days(3), stamp())
    lis1_round.confirm_offer("accepted", on(1))
    lis1_round.release_offer("declined", on(1))
    lis1_round.collect_events()
    with pytest.raises(InvariantViolated, match="1 offer"):
        lis1_round.finalise_list(on(3))
    lis1_round.finalise_list(on(4))
    assert lis1_round.status == RoundStatus.LIST_FINAL


def test_sends_only_accepted_candidates_of_a_final_list_to_the_forum() -> None:
    lis1_round = offering_round()
    lis1_round.hold_offer("c1", "rana", True, in_days(3), stamp())
    lis1_round.hold_offer("c2", "rana", False, in_days(3), stamp())
    lis1_round.confirm_offer("c1", stamp())
    lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "not final",
        lambda: lis1_round.send_list_to_forum(["c1"], stamp()),
    )
    lis1_round.finalise_list(on(4))
    lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "only candidates who accepted",
        lambda: lis1_round.send_list_to_forum(["c1", "c2"], on(4)),
    )
    lis1_round.send_list_to_forum(["c1"], on(4))
    assert lis1_round.forum_list == ["c1"]
    lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "already been sent",
        lambda: lis1_round.send_list_to_forum(["c1"], on(5)),
    )


# --- what the round allows candidates ---------------------------------------------------------


def test_accepts_applications_while_open_until_the_deadline_day() -> None:
    lis1_round = new_round(deadline_days=30)
    lis1_round.check_accepts_applications(in_days(0))
    lis1_round.check_accepts_applications(in_days(30))
    with pytest.raises(InvariantViolated, match="deadline has passed"):
        lis1_round.check_accepts_applications(in_days(31))


@pytest.mark.parametrize("status", [RoundStatus.INTERVIEWING, RoundStatus.OFFERING])
def test_accepts_no_applications_once_no_longer_open(status: RoundStatus) -> None:
    lis1_round = new_round()
    lis1_round.advance_to(status, stamp())
    with pytest.raises(InvariantViolated, match="not open"):
        lis1_round.check_accepts_applications(in_days(0))


def test_accepts_interviews_until_the_list_is_final() -> None:
    lis1_round = new_round()
    lis1_round.check_accepts_interviews()
    lis1_round.advance_to(RoundStatus.INTERVIEWING, stamp())
    lis1_round.check_accepts_interviews()
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    lis1_round.check_accepts_interviews()
    lis1_round.finalise_list(stamp())
    with pytest.raises(InvariantViolated, match="already final"):
        lis1_round.check_accepts_interviews()


# --- offers and the quota ---------------------------------------------------------------------


def test_holds_a_position_for_an_offer() -> None:
    lis1_round = offering_round()
    lis1_round.hold_offer("c1", "rana", True, in_days(14), stamp())
    offer = lis1_round.offers["c1"]
    assert (offer.unit, offer.coupled, offer.answer_by, offer.accepted) == (
        "rana",
        True,
        in_days(14),
        False,
    )
    assert event_names(lis1_round) == ["OfferHeld"]


@pytest.mark.parametrize("status", [RoundStatus.OPEN, RoundStatus.INTERVIEWING])
def test_refuses_an_offer_when_the_round_is_not_offering(status: RoundStatus) -> None:
    lis1_round = new_round()
    if status != RoundStatus.OPEN:
        lis1_round.advance_to(status, stamp())
        lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "not offering",
        lambda: lis1_round.hold_offer("c1", "rana", False, in_days(14), stamp()),
    )


def test_refuses_an_offer_once_the_list_is_final() -> None:
    lis1_round = final_round()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "not offering",
        lambda: lis1_round.hold_offer("c1", "rana", False, in_days(14), stamp()),
    )


def test_refuses_an_offer_at_a_unit_without_positions() -> None:
    lis1_round = offering_round({"rana": 2}, coupled=1)
    assert_refused(
        lis1_round,
        InvalidInput,
        "no positions at unit 'mosjoen'",
        lambda: lis1_round.hold_offer("c1", "mosjoen", False, in_days(14), stamp()),
    )


def test_refuses_an_answer_by_date_in_the_past() -> None:
    lis1_round = offering_round()
    assert_refused(
        lis1_round,
        InvalidInput,
        "answer-by date",
        lambda: lis1_round.hold_offer("c1", "rana", False, in_days(-1), stamp()),
    )
    lis1_round.hold_offer("c1", "rana", False, in_days(0), stamp())
    assert "c1" in lis1_round.offers


def test_refuses_more_offers_at_a_unit_than_it_has_positions() -> None:
    lis1_round = offering_round({"rana": 2, "mosjoen": 2})
    lis1_round.hold_offer("c1", "rana", False, in_days(14), stamp())
    lis1_round.hold_offer("c2", "rana", False, in_days(14), stamp())
    lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "every position at rana",
        lambda: lis1_round.hold_offer("c3", "rana", False, in_days(14), stamp()),
    )
    lis1_round.hold_offer("c3", "mosjoen", False, in_days(14), stamp())


def test_refuses_more_coupled_offers_than_the_coupled_quota() -> None:
    lis1_round = offering_round({"rana": 2, "mosjoen": 2}, coupled=2)
    lis1_round.hold_offer("c1", "rana", True, in_days(14), stamp())
    lis1_round.hold_offer("c2", "mosjoen", True, in_days(14), stamp())
    lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "all 2 coupled positions",
        lambda: lis1_round.hold_offer("c3", "mosjoen", True, in_days(14), stamp()),
    )
    lis1_round.hold_offer("c3", "mosjoen", False, in_days(14), stamp())


def test_a_round_without_coupled_positions_refuses_every_coupled_offer() -> None:
    lis1_round = offering_round({"rana": 2}, coupled=0)
    assert_refused(
        lis1_round,
        InvariantViolated,
        "all 0 coupled positions",
        lambda: lis1_round.hold_offer("c1", "rana", True, in_days(14), stamp()),
    )


def test_a_released_offer_frees_its_position_and_coupled_slot() -> None:
    lis1_round = offering_round({"rana": 2}, coupled=1)
    lis1_round.hold_offer("c1", "rana", True, in_days(14), stamp())
    lis1_round.hold_offer("c2", "rana", False, in_days(14), stamp())
    with pytest.raises(InvariantViolated):
        lis1_round.hold_offer("c3", "rana", True, in_days(14), stamp())
    lis1_round.release_offer("c1", on(1))
    lis1_round.hold_offer("c3", "rana", True, in_days(14), on(1))
    assert set(lis1_round.offers) == {"c2", "c3"}


def test_an_expired_offer_no_longer_holds_a_position_or_coupled_slot() -> None:
    lis1_round = offering_round({"rana": 1}, coupled=0)
    lis1_round.hold_offer("c1", "rana", False, in_days(3), stamp())
    with pytest.raises(InvariantViolated, match="every position"):
        lis1_round.hold_offer("c2", "rana", False, in_days(14), on(3))
    lis1_round.hold_offer("c2", "rana", False, in_days(14), on(4))

    coupled = offering_round({"rana": 1, "mosjoen": 1}, coupled=1)
    coupled.hold_offer("c1", "rana", True, in_days(3), stamp())
    with pytest.raises(InvariantViolated, match="coupled"):
        coupled.hold_offer("c2", "mosjoen", True, in_days(14), on(3))
    coupled.hold_offer("c2", "mosjoen", True, in_days(14), on(4))


def test_an_accepted_offer_holds_its_position_past_the_answer_by_date() -> None:
    lis1_round = offering_round({"rana": 1, "mosjoen": 1}, coupled=1)
    lis1_round.hold_offer("c1", "rana", True, in_days(3), stamp())
    lis1_round.confirm_offer("c1", on(2))
    lis1_round.collect_events()
    assert_refused(
        lis1_round,
        InvariantViolated,
        "every position at rana",
        lambda: lis1_round.hold_offer("c2", "rana", False, in_days(60), on(30)),
    )
    assert_refused(
        lis1_round,
        InvariantViolated,
        "coupled",
        lambda: lis1_round.hold_offer("c2", "mosjoen", True, in_days(60), on(30)),
    )


def test_releasing_an_offer_the_round_does_not_hold_records_nothing() -> None:
    lis1_round = offering_round()
    lis1_round.release_offer("nobody", stamp())
    assert lis1_round.collect_events() == []


def test_the_same_instant_in_another_time_zone_sees_the_same_expiry() -> None:
    """An offer expires at a point in time, not at a date that depends on the caller's offset.

    The offer at rana (1 position) may be answered until `in_days(3)`. At 10:00 UTC the day
    after, it has expired; the same instant written with a -12:00 offset still reads as the
    answer-by date, and must not make the expired offer hold the position again.
    """
    day_after = datetime.combine(in_days(4), datetime.min.time(), UTC).replace(hour=10)
    in_utc = Stamp(RECRUITER, day_after, day_after)
    west = Stamp(RECRUITER, day_after.astimezone(timezone(timedelta(hours=-12))), day_after)
    assert in_utc.occurred_at == west.occurred_at
    outcomes = []
    for moment in (in_utc, west):
        attempt = offering_round({"rana": 1}, coupled=0)
        attempt.hold_offer("c1", "rana", False, in_days(3), stamp())
        try:
            attempt.hold_offer("c2", "rana", False, in_days(14), moment)
            outcomes.append("held")
        except InvariantViolated:
            outcomes.append("refused")
    assert outcomes == ["held", "held"]


def test_a_round_whose_application_deadline_has_passed_is_refused_naming_both_days() -> None:
    opened = stamp(datetime(2027, 3, 2, 9, tzinfo=UTC))
    with pytest.raises(
        InvalidInput, match="deadline 2027-03-01 has passed when the round opens on 2027-03-02"
    ):
        Lis1Round.open("LIS1 høst 2027", {"rana": 2}, 1, datetime(2027, 3, 1).date(), opened)
    # The deadline day itself is still open for applications: the round may open on it.
    same_day = Lis1Round.open("LIS1 høst 2027", {"rana": 2}, 1, opened.day, opened)
    assert same_day.application_deadline == opened.day
