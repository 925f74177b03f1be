"""Consent per purpose, naming the version of the text shown; and the texts themselves."""

from __future__ import annotations

from datetime import date

import pytest
from helgeland_pipeline.domain.candidates import Candidate, CareerPreference, ConsentPurpose
from helgeland_pipeline.domain.common import InvalidInput, InvariantViolated
from helgeland_pipeline.domain.rounds import Lis1Round
from helgeland_pipeline.reference import load_consent_texts

from tests.factories import in_days, stamp

SHARING, EVALUATION = ConsentPurpose.FORUM_SHARING, ConsentPurpose.EVALUATION_CONTACT


def applied(consent: bool, version: int = 2) -> Candidate:
    lis1_round = Lis1Round.open("LIS1 høst 2027", {"rana": 2}, 1, in_days(30), stamp())
    candidate = Candidate(stamp())
    candidate.submit_lis1_application(
        lis1_round, CareerPreference.GENERAL_PRACTICE, [], consent, stamp(), version
    )
    candidate.collect_events()
    return candidate


def names(candidate: Candidate) -> list[str]:
    return [type(e).__name__ for e in candidate.collect_events()]


def test_the_application_names_the_version_of_the_sharing_text() -> None:
    candidate = applied(consent=True, version=2)
    assert candidate.consents == {SHARING: 2}
    assert candidate.consent_to_share
    assert applied(consent=False).consents == {}


def test_consent_is_given_and_withdrawn_per_purpose_naming_the_version() -> None:
    candidate = applied(consent=True, version=1)
    candidate.give_consent(EVALUATION, 1, stamp())
    candidate.give_consent(SHARING, 2, stamp())  # shown the newer text, consents again
    assert names(candidate) == ["ConsentGiven", "ConsentGiven"]
    assert candidate.consents == {SHARING: 2, EVALUATION: 1}

    candidate.withdraw_consent(stamp(), EVALUATION, 1)
    (withdrawn,) = candidate.collect_events()
    assert (withdrawn.purpose, withdrawn.version) == ("evaluation_contact", 1)  # type: ignore[attr-defined]
    assert candidate.consent_to_share  # the other purpose is untouched
    assert not candidate.consent_withdrawn

    candidate.withdraw_consent(stamp())  # by default: sharing, whichever version was given
    (withdrawn,) = candidate.collect_events()
    assert (withdrawn.purpose, withdrawn.version) == ("forum_sharing", 2)  # type: ignore[attr-defined]
    assert not candidate.consent_to_share
    assert candidate.consent_withdrawn


def test_a_consent_not_held_cannot_be_withdrawn_nor_another_version_named() -> None:
    candidate = applied(consent=True, version=2)
    with pytest.raises(InvariantViolated, match="no consent to evaluation_contact"):
        candidate.withdraw_consent(stamp(), EVALUATION)
    with pytest.raises(InvariantViolated, match="given to text version 2, not 1"):
        candidate.withdraw_consent(stamp(), SHARING, 1)
    with pytest.raises(InvariantViolated, match="already given"):
        candidate.give_consent(SHARING, 2, stamp())
    with pytest.raises(InvalidInput, match="1 or more"):
        candidate.give_consent(EVALUATION, 0, stamp())
    assert names(candidate) == []


def test_sharing_given_again_after_withdrawal_makes_the_candidate_consent_again() -> None:
    candidate = applied(consent=True, version=1)
    candidate.withdraw_consent(stamp())
    candidate.give_consent(SHARING, 2, stamp())
    assert candidate.consent_to_share
    assert not candidate.consent_withdrawn


def test_the_texts_are_bokmal_per_purpose_with_versions_in_force_from_a_day() -> None:
    texts = load_consent_texts()
    purposes = {t.purpose for t in texts.texts}
    assert purposes == {p.value for p in ConsentPurpose}
    assert len({t.id for t in texts.texts}) == len(texts.texts)
    for text in texts.texts:
        assert text.text.strip()
        assert "samtykke" in text.text.lower()  # bokmål, and says what it asks
    sharing_v1 = texts.get("forum_sharing", 1)
    sharing_v2 = texts.get("forum_sharing", 2)
    assert sharing_v1 is not None
    assert sharing_v2 is not None
    assert texts.current("forum_sharing", sharing_v2.valid_from) == sharing_v2
    assert texts.current("forum_sharing", date(2024, 1, 1)) == sharing_v1
    # Before any text was in force (back-dated entries), consent was to version 1.
    assert texts.current("forum_sharing", date(2000, 1, 1)) == sharing_v1
    assert texts.get("forum_sharing", 99) is None
