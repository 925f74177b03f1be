"""The coupling rule: a coupled LIS1 offer goes only to a candidate who declared general
practice and consents to be shared; the round never holds more coupled offers than its quota,
each in a slot of its own; a LIS3 offer fills the coupled slot the candidate's LIS1 holds."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from helgeland_pipeline.domain.candidates import Candidate, CareerPreference, OfferState
from helgeland_pipeline.domain.common import DomainError, InvariantViolated, Stamp
from helgeland_pipeline.domain.forum import ForumCandidacy
from helgeland_pipeline.domain.rounds import Lis1Round, RoundStatus
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import NOW, RANA, in_days, lis3_terms, stamp
from tests.unit.test_candidates import applied, interviewed, new_round, offer, start_offering

GP = CareerPreference.GENERAL_PRACTICE


def test_a_coupled_offer_to_a_candidate_who_prefers_the_hospital_is_refused_naming_why() -> None:
    lis1_round = new_round()
    candidate = interviewed(lis1_round, CareerPreference.HOSPITAL)
    with pytest.raises(InvariantViolated, match=r"career preference is general practice.*hospital"):
        offer(candidate, lis1_round, coupled=True)
    assert candidate.offer_state is None
    assert lis1_round.offers == {}


def test_an_undecided_candidate_gets_an_uncoupled_offer_not_a_coupled_one() -> None:
    lis1_round = new_round()
    undecided = interviewed(lis1_round, CareerPreference.UNDECIDED)
    with pytest.raises(InvariantViolated, match="undecided: offer an uncoupled position"):
        offer(undecided, lis1_round, coupled=True)
    offer(undecided, lis1_round, coupled=False)
    assert undecided.offer_state == OfferState.OPEN
    assert undecided.offer_coupled is False


def test_a_coupled_offer_needs_consent_to_be_shared() -> None:
    lis1_round = new_round()
    without = applied(lis1_round, consent=False)
    without.record_lis1_interview(lis1_round, "Overlege Hansen", 4, "", stamp())
    withdrawn = interviewed(lis1_round)
    start_offering(lis1_round)
    with pytest.raises(InvariantViolated, match="consents to be presented to the forum"):
        without.offer_lis1(lis1_round, "rana", True, in_days(3), stamp())

    withdrawn.withdraw_consent(stamp())
    with pytest.raises(InvariantViolated, match="consents to be presented to the forum"):
        withdrawn.offer_lis1(lis1_round, "rana", True, in_days(3), stamp())


def test_coupled_offers_take_numbered_slots_and_a_released_slot_is_offered_again() -> None:
    lis1_round = new_round({"rana": 4}, coupled=2)
    first, second, third = (interviewed(lis1_round) for _ in range(3))
    offer(first, lis1_round, coupled=True)
    offer(second, lis1_round, coupled=True)
    assert [o.slot for o in lis1_round.offers.values()] == [1, 2]
    first.decline_lis1_offer(lis1_round, stamp())
    offer(third, lis1_round, coupled=True)
    assert lis1_round.offers[str(third.id)].slot == 1
    third.accept_lis1_offer(lis1_round, stamp())
    assert lis1_round.coupled_slot_of(str(third.id)) == 1
    assert lis1_round.coupled_slot_of(str(second.id)) is None  # not accepted yet


def test_a_late_acceptance_takes_another_free_slot_when_its_own_went_to_someone_else() -> None:
    lis1_round = new_round({"rana": 4}, coupled=2)
    late, other = interviewed(lis1_round), interviewed(lis1_round)
    offer(late, lis1_round, coupled=True, answer_days=1)
    later = Stamp(stamp().actor, NOW + timedelta(days=2), NOW + timedelta(days=2))
    other.offer_lis1(lis1_round, "rana", True, in_days(10), later)  # slot 1: `late` expired
    assert lis1_round.offers[str(other.id)].slot == 1
    entered_late = Stamp(stamp().actor, NOW + timedelta(days=1), NOW + timedelta(days=2))
    late.accept_lis1_offer(lis1_round, entered_late)
    assert lis1_round.coupled_slot_of(str(late.id)) == 2


# --- the LIS3 offer names the coupled slot it fills -------------------------------------------


def _candidacy() -> ForumCandidacy:
    candidacy = ForumCandidacy(str(uuid4()), str(uuid4()), in_days(500), stamp())
    candidacy.collect_events()
    return candidacy


def test_a_lis3_offer_fills_the_slot_the_candidates_lis1_holds() -> None:
    candidacy = _candidacy()
    terms, start = lis3_terms(), in_days(600)
    offer_id = candidacy.offer_lis3(RANA, start, terms, in_days(30), stamp(), None, 3)
    assert candidacy.offers[offer_id].coupled_slot == 3
    (event,) = candidacy.collect_events()
    assert getattr(event, "coupled_slot") == 3  # noqa: B009


def test_a_lis3_offer_naming_another_slot_is_refused() -> None:
    candidacy = _candidacy()
    terms, start = lis3_terms(), in_days(600)
    with pytest.raises(InvariantViolated, match=r"coupled slot 2 is not this candidate's.*slot 1"):
        candidacy.offer_lis3(RANA, start, terms, in_days(30), stamp(), 2, 1)
    with pytest.raises(InvariantViolated, match="LIS1 position is not coupled"):
        candidacy.offer_lis3(RANA, start, terms, in_days(30), stamp(), 1, None)
    offer_id = candidacy.offer_lis3(RANA, start, terms, in_days(30), stamp(), None, None)
    assert candidacy.offers[offer_id].coupled_slot is None


# --- the rule as a property ---------------------------------------------------------------------

PREFERENCES = st.sampled_from(list(CareerPreference))
STEP = st.tuples(
    st.sampled_from(["offer", "accept", "decline", "withdraw", "next_day"]),
    st.integers(0, 7),  # which candidate
    st.booleans(),  # coupled (for an offer)
    st.integers(0, 3),  # answer within this many days (for an offer)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.lists(st.tuples(PREFERENCES, st.booleans()), min_size=1, max_size=8),
    coupled_positions=st.integers(0, 3),
    steps=st.lists(STEP, max_size=40),
)
def test_coupled_offers_never_exceed_the_quota_and_go_only_to_gp_minded_consenting(
    people: list[tuple[CareerPreference, bool]],
    coupled_positions: int,
    steps: list[tuple[str, int, bool, int]],
) -> None:
    lis1_round = Lis1Round.open(
        "LIS1 egenskap", {"rana": 6}, coupled_positions, in_days(5), stamp()
    )
    candidates: list[Candidate] = []
    for preference, consent in people:
        candidate = Candidate(stamp())
        candidate.submit_lis1_application(lis1_round, preference, [], consent, stamp())
        candidate.record_lis1_interview(lis1_round, "Overlege Hansen", 3, "", stamp())
        candidates.append(candidate)
    lis1_round.advance_to(RoundStatus.OFFERING, stamp())
    day = 0
    for action, who, coupled, days in steps:
        today = Stamp(stamp().actor, NOW + timedelta(days=day), NOW + timedelta(days=day))
        candidate = candidates[who % len(candidates)]
        try:
            if action == "offer":
                answer_by = (NOW + timedelta(days=day + days)).date()
                candidate.offer_lis1(lis1_round, "rana", coupled, answer_by, today)
            elif action == "accept":
                candidate.accept_lis1_offer(lis1_round, today)
            elif action == "decline":
                candidate.decline_lis1_offer(lis1_round, today)
            elif action == "withdraw":
                candidate.withdraw_application(lis1_round, "", today)
            else:
                day += 1
        except DomainError:
            pass  # a refused command changes nothing; the invariants below still hold
        _check_coupling(lis1_round, candidates, (NOW + timedelta(days=day)).date())


def _check_coupling(lis1_round: Lis1Round, candidates: list[Candidate], today: date) -> None:
    by_id = {str(c.id): c for c in candidates}
    offers = lis1_round.offers.values()
    holding = [o for o in offers if o.coupled and o.holds_position_on(today)]
    assert len(holding) <= lis1_round.coupled_positions
    slots = [o.slot for o in holding]
    assert len(set(slots)) == len(slots)
    assert all(s is not None and 1 <= s <= lis1_round.coupled_positions for s in slots)
    accepted = [o for o in lis1_round.offers.values() if o.coupled and o.accepted]
    assert len(accepted) <= lis1_round.coupled_positions
    for candidate_id, held in lis1_round.offers.items():
        if held.coupled:
            candidate = by_id[candidate_id]
            assert candidate.preference == GP
            assert candidate.consent_to_share
