"""A candidate's journey on the hospital's side: contact, application, interview, LIS1 offer.

Names and contact details appear in `ContactDetailsRecorded` only; they and every free text
(interview notes, reasons) are stored sealed with the person's own key
(`helgeland_pipeline.privacy`), so that erasing a person destroys the key and leaves the facts
of the pipeline for evaluation.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import InvariantViolated, Stamp, require, require_valid
from helgeland_pipeline.domain.rounds import Lis1Round


class ContactKind(StrEnum):
    """Early contact with a medical student, made by the hospital, a municipality or the forum."""

    PLACEMENT = "placement"  # the 5th-year placement at a municipal GP office
    SUMMER_JOB = "summer_job"
    STUDENT_PROJECT = "student_project"
    CAMPUS_VISIT = "campus_visit"
    OTHER = "other"


# Contacts that happen in a municipality, so they name it.
CONTACTS_IN_A_MUNICIPALITY = frozenset({ContactKind.PLACEMENT, ContactKind.SUMMER_JOB})


class CareerPreference(StrEnum):
    HOSPITAL = "hospital"
    GENERAL_PRACTICE = "general_practice"
    UNDECIDED = "undecided"


class LocalConnection(StrEnum):
    GREW_UP = "grew_up"
    FAMILY = "family"
    STUDIED = "studied"
    PLACEMENT = "placement"


class ErasureBasis(StrEnum):
    REQUEST = "request"  # the person asked (GDPR art. 17)
    RETENTION = "retention"  # never hired; kept no longer than the retention period


class ConsentPurpose(StrEnum):
    """What a candidate may consent to, each with its own versioned text (reference data)."""

    FORUM_SHARING = "forum_sharing"  # being presented to the municipalities' forum
    EVALUATION_CONTACT = "evaluation_contact"  # being contacted for the programme's evaluation


class OfferState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Candidate(Aggregate):
    """One (future) doctor. Decides what may happen next on the hospital's side."""

    @event("Registered")
    def __init__(self, stamp: Stamp) -> None:
        self.has_contact_details = False
        self.contacts: list[str] = []
        self.contact_municipalities: set[str] = set()
        self.round_id: str | None = None
        self.preference: CareerPreference | None = None
        self.local_connection: list[str] = []
        # purpose -> the version of the text the candidate consented to (absent: no consent)
        self.consents: dict[str, int] = {}
        self.interview_scores: list[int] = []
        self.offer_unit: str | None = None
        self.offer_coupled = False
        self.offer_answer_by: date | None = None
        self.offer_state: OfferState | None = None
        self.withdrawn = False
        self.consent_withdrawn = False
        self.erased = False

    # --- personal data --------------------------------------------------------------------

    def record_contact_details(
        self, name: str, email: str, phone: str | None, stamp: Stamp
    ) -> None:
        """Record or correct who the candidate is and how to reach them."""
        self._check_not_erased()
        require_valid(bool(name.strip()), "a name is required")
        require_valid(_looks_like_email(email), f"{email!r} is not an e-mail address")
        self._contact_details_recorded(
            name=name.strip(), email=email.strip(), phone=(phone or "").strip() or None, stamp=stamp
        )

    @event("ContactDetailsRecorded")
    def _contact_details_recorded(
        self, name: str, email: str, phone: str | None, stamp: Stamp
    ) -> None:
        self.has_contact_details = True

    # --- step 1: early contact --------------------------------------------------------------

    def record_student_contact(
        self, kind: ContactKind, municipality: str | None, stamp: Stamp
    ) -> None:
        """A 5th-year placement or summer job in a named municipality, a student project, a
        campus visit, or other contact. It may come before any contact details."""
        self._check_active()
        if kind in CONTACTS_IN_A_MUNICIPALITY:
            require_valid(
                municipality is not None, f"a {kind.replace('_', ' ')} names its municipality"
            )
        self._student_contacted(kind=kind, municipality=municipality, stamp=stamp)

    @event("StudentContacted")
    def _student_contacted(self, kind: str, municipality: str | None, stamp: Stamp) -> None:
        self.contacts.append(kind)
        if municipality is not None:
            self.contact_municipalities.add(municipality)

    # --- step 2: application ----------------------------------------------------------------

    def submit_lis1_application(
        self,
        lis1_round: Lis1Round,
        preference: CareerPreference,
        local_connection: list[LocalConnection],
        consent_to_share: bool,
        stamp: Stamp,
        consent_text_version: int = 1,
    ) -> None:
        """Apply to a round, stating career preference and any local connection; consent to
        be shared with the forum is given to a version of its text."""
        self._check_active()
        require(self.round_id is None, "the candidate has already applied to a round")
        lis1_round.check_accepts_applications(stamp.day)
        require_valid(consent_text_version >= 1, "a consent text version is 1 or more")
        self._lis1_application_submitted(
            round_id=str(lis1_round.id),
            preference=preference,
            local_connection=sorted(set(local_connection)),
            consent_to_share=consent_to_share,
            consent_text_version=consent_text_version if consent_to_share else None,
            stamp=stamp,
        )

    class Lis1ApplicationSubmitted(Aggregate.Event):
        """Version 2 names the consent text's version; version 1 consent was to version 1."""

        class_version = 2
        round_id: str
        preference: str
        local_connection: list[str]
        consent_to_share: bool
        consent_text_version: int | None
        stamp: Stamp

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["consent_text_version"] = 1 if state["consent_to_share"] else None

    @event(Lis1ApplicationSubmitted)
    def _lis1_application_submitted(
        self,
        round_id: str,
        preference: str,
        local_connection: list[str],
        consent_to_share: bool,
        consent_text_version: int | None,
        stamp: Stamp,
    ) -> None:
        self.round_id = round_id
        self.preference = CareerPreference(preference)
        self.local_connection = list(local_connection)
        if consent_to_share and consent_text_version is not None:
            self.consents[ConsentPurpose.FORUM_SHARING] = consent_text_version

    # --- step 3: interview ------------------------------------------------------------------

    def record_lis1_interview(
        self,
        lis1_round: Lis1Round,
        interviewer: str,
        primary_care_interest: int,
        notes: str,
        stamp: Stamp,
    ) -> None:
        """An interview that explored interest in primary care, scored 1 (none) to 5 (strong)."""
        self._check_applied_to(lis1_round)
        require_valid(1 <= primary_care_interest <= 5, "primary care interest is scored 1 to 5")
        require_valid(bool(interviewer.strip()), "an interview names its interviewer")
        require_valid(len(notes) <= 2000, "interview notes are at most 2000 characters")
        require(self.offer_state is None, "the candidate already has an offer")
        lis1_round.check_accepts_interviews()
        self._lis1_interview_held(
            interviewer=interviewer.strip(),
            primary_care_interest=primary_care_interest,
            notes=notes,
            stamp=stamp,
        )

    @event("Lis1InterviewHeld")
    def _lis1_interview_held(
        self, interviewer: str, primary_care_interest: int, notes: str, stamp: Stamp
    ) -> None:
        self.interview_scores.append(primary_care_interest)

    # --- step 4: offer and answer -----------------------------------------------------------

    def offer_lis1(
        self, lis1_round: Lis1Round, unit: str, coupled: bool, answer_by: date, stamp: Stamp
    ) -> None:
        """Offer a LIS1 position at a unit; the round holds the position (and coupled slot)."""
        self._check_applied_to(lis1_round)
        require(bool(self.interview_scores), "no offer without an interview")
        require(self.offer_state is None, "the candidate already has an offer")
        if coupled:
            self.check_may_take_coupled_offer()
        lis1_round.hold_offer(str(self.id), unit, coupled, answer_by, stamp)
        self._lis1_offered(unit=unit, coupled=coupled, answer_by=answer_by, stamp=stamp)

    @event("Lis1Offered")
    def _lis1_offered(self, unit: str, coupled: bool, answer_by: date, stamp: Stamp) -> None:
        self.offer_unit = unit
        self.offer_coupled = coupled
        self.offer_answer_by = answer_by
        self.offer_state = OfferState.OPEN

    def accept_lis1_offer(self, lis1_round: Lis1Round, stamp: Stamp) -> None:
        """Accept the open offer, on or before its answer-by date."""
        self._check_open_offer(stamp)
        lis1_round.confirm_offer(str(self.id), stamp)
        self._lis1_offer_accepted(stamp=stamp)

    @event("Lis1OfferAccepted")
    def _lis1_offer_accepted(self, stamp: Stamp) -> None:
        self.offer_state = OfferState.ACCEPTED

    def decline_lis1_offer(self, lis1_round: Lis1Round, stamp: Stamp) -> None:
        """Decline the open offer; the position is free for another candidate."""
        self._check_open_offer(stamp)
        lis1_round.release_offer(str(self.id), stamp)
        self._lis1_offer_declined(stamp=stamp)

    @event("Lis1OfferDeclined")
    def _lis1_offer_declined(self, stamp: Stamp) -> None:
        self.offer_state = OfferState.DECLINED

    # --- withdrawal -------------------------------------------------------------------------

    def withdraw_application(self, lis1_round: Lis1Round | None, reason: str, stamp: Stamp) -> None:
        """The candidate leaves the process; any position their offer held is released."""
        self._check_active()
        require_valid(len(reason) <= 500, "a reason is at most 500 characters")
        if lis1_round is not None:
            lis1_round.release_offer(str(self.id), stamp)
        self._application_withdrawn(reason=reason, stamp=stamp)

    @event("ApplicationWithdrawn")
    def _application_withdrawn(self, reason: str, stamp: Stamp) -> None:
        self.withdrawn = True

    # --- sharing with the municipalities -------------------------------------------------

    @property
    def consent_to_share(self) -> bool:
        """Whether the candidate consents, now, to be presented to the municipalities."""
        return ConsentPurpose.FORUM_SHARING in self.consents

    def check_may_take_coupled_offer(self) -> None:
        """The coupling rule: a LIS1 position coupled to a LIS3 post goes only to a candidate
        who declared general practice and consents to be presented to the municipalities; an
        undecided candidate is offered an uncoupled position."""
        require(
            self.preference == CareerPreference.GENERAL_PRACTICE,
            "a coupled LIS1 offer goes only to a candidate whose career preference is general "
            f"practice; this candidate's is {self.preference}: offer an uncoupled position",
        )
        require(
            self.consent_to_share and not self.consent_withdrawn,
            "a coupled LIS1 offer goes only to a candidate who consents to be presented to the "
            "forum; this candidate does not: offer an uncoupled position",
        )

    def eligible_for_forum(self, include_undecided: bool = False) -> bool:
        """Accepted LIS1, declared general practice (or, when the programme widens the list,
        is undecided), and consents to be shown."""
        wanted = {CareerPreference.GENERAL_PRACTICE}
        if include_undecided:
            wanted.add(CareerPreference.UNDECIDED)
        return (
            self.offer_state == OfferState.ACCEPTED
            and self.preference in wanted
            and self.consent_to_share
            and not self.consent_withdrawn
            and not self.withdrawn
            and not self.erased
        )

    def give_consent(self, purpose: ConsentPurpose, version: int, stamp: Stamp) -> None:
        """The candidate consents to a purpose, having been shown that version of its text."""
        require_valid(version >= 1, "a consent text version is 1 or more")
        self._check_not_erased()
        given = self.consents.get(purpose)
        require(given != version, f"consent to {purpose} (text version {version}) is already given")
        self._consent_given(purpose=str(purpose), version=version, stamp=stamp)

    @event("ConsentGiven")
    def _consent_given(self, purpose: str, version: int, stamp: Stamp) -> None:
        self.consents[purpose] = version
        if purpose == ConsentPurpose.FORUM_SHARING:
            self.consent_withdrawn = False

    def withdraw_consent(
        self,
        stamp: Stamp,
        purpose: ConsentPurpose = ConsentPurpose.FORUM_SHARING,
        version: int | None = None,
    ) -> None:
        """The candidate withdraws consent to a purpose (by default: being presented to the
        municipalities). `version`, when named, must be the version consented to."""
        self._check_not_erased()
        given = self.consents.get(purpose)
        if given is None:
            raise InvariantViolated(f"there is no consent to {purpose} to withdraw")
        require(
            version in (None, given),
            f"consent to {purpose} was given to text version {given}, not {version}",
        )
        self._consent_withdrawn(purpose=str(purpose), version=given, stamp=stamp)

    class ConsentWithdrawn(Aggregate.Event):
        """Version 2 names the purpose and the text version; version 1 events withdrew the
        consent to sharing with the forum, given to version 1 of its text."""

        class_version = 2
        purpose: str
        version: int
        stamp: Stamp

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["purpose"] = ConsentPurpose.FORUM_SHARING.value
            state["version"] = 1

    @event(ConsentWithdrawn)
    def _consent_withdrawn(self, purpose: str, version: int, stamp: Stamp) -> None:
        self.consents.pop(purpose, None)
        if purpose == ConsentPurpose.FORUM_SHARING:
            self.consent_withdrawn = True

    # --- erasure (GDPR art. 17) --------------------------------------------------------------

    def erase(self, reason: str, basis: ErasureBasis, stamp: Stamp) -> None:
        """The person's data is erased: their key is destroyed, so every personal field of
        their events reads as erased; the facts stay. `reason` is checked by the application
        (one line, none of the person's own data) and is stored in the clear."""
        self._check_not_erased()
        self._erased(reason=reason, basis=basis, stamp=stamp)

    @event("Erased")
    def _erased(self, reason: str, basis: str, stamp: Stamp) -> None:
        self.erased = True

    # --- checks -----------------------------------------------------------------------------

    def _check_not_erased(self) -> None:
        require(not self.erased, "the candidate's personal data has been erased")

    def _check_active(self) -> None:
        self._check_not_erased()
        require(not self.withdrawn, "nothing can happen after the application was withdrawn")

    def _check_applied_to(self, lis1_round: Lis1Round) -> None:
        self._check_active()
        require(self.round_id is not None, "the candidate has not applied to a round")
        require(self.round_id == str(lis1_round.id), "the candidate applied to another round")

    def _check_open_offer(self, stamp: Stamp) -> None:
        self._check_active()
        require(self.offer_state is not None, "no offer has been made")
        require(self.offer_state == OfferState.OPEN, f"the offer is already {self.offer_state}")
        assert self.offer_answer_by is not None
        require(stamp.day <= self.offer_answer_by, "the offer has expired")


def _looks_like_email(value: str) -> bool:
    address = value.strip()
    local, _, domain = address.partition("@")
    printable = all(c.isprintable() and not c.isspace() for c in address)
    return bool(local) and "." in domain and printable
