"""The municipal side: a candidate shared with the forum, invitations and coupled LIS3 offers.

A `ForumCandidacy` exists for each candidate on a round's list sent to the forum. Every
municipality may invite the candidate and offer a LIS3/ALIS post coupled to their LIS1; the
candidate accepts one offer at most, which closes every other open offer. Because all of this
lives in one aggregate, two acceptances at the same moment cannot both be saved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import (
    DomainError,
    InvariantViolated,
    Role,
    Stamp,
    require,
    require_valid,
)
from helgeland_pipeline.domain.personal import check_not_personal

MAX_LOCATION = 200
MIN_TRAINING_SHARE = 20  # per cent of working time, as the specialty requires
_NAMESPACE = uuid.UUID("6f1d9a52-6c1b-4d0e-9f4a-0b8f3f7c2a11")


class NotYours(DomainError):
    """The invitation or offer belongs to another municipality (maps to 403)."""


class InvitationKind(StrEnum):
    INTERVIEW = "interview"
    TOUR = "tour"
    TERMS_TALK = "terms_talk"  # a talk about pay and working conditions


class InvitationAnswer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NEW_TIME_PROPOSED = "new_time_proposed"


class PayModel(StrEnum):
    FIXED_SALARY = "fixed_salary"
    FEE_BASED = "fee_based"


@dataclass
class Invitation:
    municipality: str
    kind: str
    proposed_times: list[datetime]
    state: str = "proposed"  # proposed, accepted, declined, new_time_proposed, held, closed


@dataclass
class Lis3Offer:
    municipality: str
    start_date: date
    expires_on: date
    coupled_slot: int | None = None
    # open, withdrawn, declined, accepted, accepted_elsewhere, closed, dropped_out
    state: str = "open"

    def is_open_on(self, day: date) -> bool:
        return self.state == "open" and day <= self.expires_on


@dataclass(frozen=True)
class Lis3Terms:
    """Key terms of a coupled LIS3 offer; visible to the forum and the offering municipality."""

    supervisor: str | None  # named supervisor, or None when still to be named
    supervision_group: str | None
    pay_model: PayModel
    list_length: int
    out_of_hours_share: int  # per cent of working time on call (legevakt)
    training_share: int  # per cent of working time for training

    def check(self) -> None:
        require_valid(
            self.training_share >= MIN_TRAINING_SHARE,
            f"training time must be at least {MIN_TRAINING_SHARE} % of working time",
        )
        require_valid(self.training_share <= 100, "training time is at most 100 %")
        require_valid(0 <= self.out_of_hours_share <= 100, "out-of-hours share is 0–100 %")
        require_valid(0 <= self.list_length <= 3000, "a patient list is 0–3000 patients")

    def as_dict(self) -> dict[str, Any]:
        return {
            "supervisor": self.supervisor,
            "supervision_group": self.supervision_group,
            "pay_model": str(self.pay_model),
            "list_length": self.list_length,
            "out_of_hours_share": self.out_of_hours_share,
            "training_share": self.training_share,
        }


def candidacy_id(candidate_id: uuid.UUID) -> uuid.UUID:
    """The candidacy's id follows from the candidate's: one candidacy per candidate."""
    return uuid.uuid5(_NAMESPACE, str(candidate_id))


class ForumCandidacy(Aggregate):
    """A candidate on the forum list, as the municipalities meet and compete for them."""

    @staticmethod
    def create_id(candidate_id: str, **_: Any) -> uuid.UUID:
        return candidacy_id(uuid.UUID(candidate_id))

    @event("Shared")
    def __init__(
        self, candidate_id: str, round_id: str, lis1_ends_on: date | None, stamp: Stamp
    ) -> None:
        self.candidate_id = candidate_id
        self.round_id = round_id
        self.lis1_ends_on = lis1_ends_on
        self.consent_withdrawn = False
        self.invitations: dict[str, Invitation] = {}
        self.offers: dict[str, Lis3Offer] = {}
        self.accepted_offer: str | None = None

    # --- invitations ------------------------------------------------------------------------

    def invite(
        self,
        municipality: str,
        kind: InvitationKind,
        proposed_times: list[datetime],
        stamp: Stamp,
        location: str | None = None,
        invitation_id: str | None = None,
    ) -> str:
        """Invite the candidate to an interview, a tour or a talk about pay and conditions,
        at a place (`location`: an office's address, never a person's); the id is drawn here
        unless given (a seeded synthetic history gives its own)."""
        self._not_by_candidate(stamp)
        self._check_open()
        require_valid(1 <= len(proposed_times) <= 5, "propose between one and five times")
        require_valid(
            all(t.tzinfo is not None for t in proposed_times), "proposed times need a time zone"
        )
        if location is not None:
            require_valid(0 < len(location) <= MAX_LOCATION, "a location is 1–200 characters")
            check_not_personal(location, "the location")
        invitation_id = invitation_id or str(uuid.uuid4())
        self._invitation_sent(
            invitation_id=invitation_id,
            municipality=municipality,
            kind=kind,
            proposed_times=sorted(proposed_times),
            stamp=stamp,
            location=location,
        )
        return invitation_id

    @event("InvitationSent")
    def _invitation_sent(
        self,
        invitation_id: str,
        municipality: str,
        kind: str,
        proposed_times: list[datetime],
        stamp: Stamp,
        location: str | None = None,  # events before answer links have none
    ) -> None:
        self.invitations[invitation_id] = Invitation(municipality, kind, list(proposed_times))

    def answer_invitation(
        self,
        invitation_id: str,
        answer: InvitationAnswer,
        new_time: datetime | None,
        acting_for: str | None,
        stamp: Stamp,
    ) -> None:
        """Record the candidate's answer: accepted, declined, or a new time proposed."""
        invitation = self._invitation(invitation_id, acting_for)
        require(invitation.state not in {"held", "closed", "declined"}, "the invitation is over")
        if self._by_candidate(stamp):
            require(invitation.state == "proposed", "the invitation is already answered")
        if answer == InvitationAnswer.NEW_TIME_PROPOSED:
            require_valid(new_time is not None, "a new time is needed")
        require_valid(new_time is None or new_time.tzinfo is not None, "a new time needs a zone")
        self._invitation_answered(
            invitation_id=invitation_id, answer=answer, new_time=new_time, stamp=stamp
        )

    @event("InvitationAnswered")
    def _invitation_answered(
        self, invitation_id: str, answer: str, new_time: datetime | None, stamp: Stamp
    ) -> None:
        self.invitations[invitation_id].state = answer

    def record_meeting_held(self, invitation_id: str, acting_for: str | None, stamp: Stamp) -> None:
        """The interview, tour or talk took place."""
        self._not_by_candidate(stamp)
        invitation = self._invitation(invitation_id, acting_for)
        require(invitation.state == "accepted", "only an accepted invitation can be held")
        self._meeting_held(invitation_id=invitation_id, stamp=stamp)

    @event("MeetingHeld")
    def _meeting_held(self, invitation_id: str, stamp: Stamp) -> None:
        self.invitations[invitation_id].state = "held"

    # --- coupled LIS3 offers ----------------------------------------------------------------

    def offer_lis3(
        self,
        municipality: str,
        start_date: date,
        terms: Lis3Terms,
        expires_on: date,
        stamp: Stamp,
        coupled_slot: int | None = None,
        holds_slot: int | None = None,
        offer_id: str | None = None,
    ) -> str:
        """Offer a LIS3/ALIS post coupled to the candidate's LIS1. The offer names the coupled
        slot it fills: the one the candidate's LIS1 holds (`holds_slot`, from the round); an
        offer to a candidate whose LIS1 is not coupled fills none (the id as for `invite`)."""
        self._not_by_candidate(stamp)
        self._check_open()
        terms.check()
        if coupled_slot is None:
            coupled_slot = holds_slot
        elif holds_slot is None:
            raise InvariantViolated(
                f"coupled slot {coupled_slot} is not this candidate's: their LIS1 position is "
                "not coupled, so the offer fills no coupled slot"
            )
        else:
            require(
                coupled_slot == holds_slot,
                f"coupled slot {coupled_slot} is not this candidate's: their LIS1 holds coupled "
                f"slot {holds_slot}",
            )
        today = stamp.day
        require_valid(expires_on >= today, "an offer cannot expire in the past")
        require_valid(start_date > today, "the LIS3 post starts in the future")
        require_valid(
            expires_on <= start_date,
            f"the offer expires on {expires_on.isoformat()}, after the post starts on "
            f"{start_date.isoformat()}",
        )
        if self.lis1_ends_on is not None:
            require_valid(
                start_date > self.lis1_ends_on,
                f"the LIS3 post starts after LIS1 ends on {self.lis1_ends_on.isoformat()}, "
                f"not on {start_date.isoformat()}",
            )
        require(
            not any(
                o.municipality == municipality and o.is_open_on(today) for o in self.offers.values()
            ),
            "this municipality already has an open offer to the candidate",
        )
        offer_id = offer_id or str(uuid.uuid4())
        self._lis3_offered(
            offer_id=offer_id,
            municipality=municipality,
            start_date=start_date,
            terms=terms.as_dict(),
            expires_on=expires_on,
            coupled_slot=coupled_slot,
            stamp=stamp,
        )
        return offer_id

    class Lis3Offered(Aggregate.Event):
        """Version 2 names the coupled slot of the round the offer fills (None: none)."""

        class_version = 2
        offer_id: str
        municipality: str
        start_date: date
        terms: dict[str, Any]
        expires_on: date
        coupled_slot: int | None
        stamp: Stamp

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["coupled_slot"] = None

    @event(Lis3Offered)
    def _lis3_offered(
        self,
        offer_id: str,
        municipality: str,
        start_date: date,
        terms: dict[str, Any],
        expires_on: date,
        coupled_slot: int | None,
        stamp: Stamp,
    ) -> None:
        self.offers[offer_id] = Lis3Offer(municipality, start_date, expires_on, coupled_slot)

    def withdraw_lis3_offer(self, offer_id: str, acting_for: str | None, stamp: Stamp) -> None:
        self._not_by_candidate(stamp)
        offer = self._offer(offer_id, acting_for)
        require(offer.state == "open", f"the offer is {offer.state}")
        self._lis3_offer_withdrawn(offer_id=offer_id, stamp=stamp)

    @event("Lis3OfferWithdrawn")
    def _lis3_offer_withdrawn(self, offer_id: str, stamp: Stamp) -> None:
        self.offers[offer_id].state = "withdrawn"

    def decline_lis3_offer(self, offer_id: str, acting_for: str | None, stamp: Stamp) -> None:
        self._by_candidate(stamp)
        offer = self._offer(offer_id, acting_for)
        require(offer.is_open_on(stamp.day), f"the offer is not open ({offer.state})")
        self._lis3_offer_declined(offer_id=offer_id, stamp=stamp)

    @event("Lis3OfferDeclined")
    def _lis3_offer_declined(self, offer_id: str, stamp: Stamp) -> None:
        self.offers[offer_id].state = "declined"

    def accept_lis3_offer(self, offer_id: str, acting_for: str | None, stamp: Stamp) -> None:
        """The candidate accepts one offer; every other open offer closes as accepted elsewhere."""
        self._by_candidate(stamp)
        self._check_open()
        offer = self._offer(offer_id, acting_for)
        require(offer.is_open_on(stamp.day), f"the offer is not open ({offer.state})")
        today = stamp.day
        others = sorted(i for i, o in self.offers.items() if i != offer_id and o.is_open_on(today))
        self._lis3_offer_accepted(
            offer_id=offer_id, municipality=offer.municipality, closed_offers=others, stamp=stamp
        )

    @event("Lis3OfferAccepted")
    def _lis3_offer_accepted(
        self, offer_id: str, municipality: str, closed_offers: list[str], stamp: Stamp
    ) -> None:
        self.offers[offer_id].state = "accepted"
        for other in closed_offers:
            self.offers[other].state = "accepted_elsewhere"
        self.accepted_offer = offer_id

    def accepted_and_not_started(self) -> Lis3Offer | None:
        """The accepted LIS3 offer, unless the doctor dropped out of it."""
        offer = self.offers.get(self.accepted_offer or "")
        return offer if offer is not None and offer.state == "accepted" else None

    def drop_out_before_lis3(self, reason: str, note: str, stamp: Stamp) -> None:
        """The doctor accepted this LIS3 offer but will not start it (reason coded, note sealed)."""
        offer = self.accepted_and_not_started()
        require(offer is not None, "no accepted LIS3 offer to drop out of")
        assert offer is not None
        require_valid(len(note) <= 1000, "a note is at most 1000 characters")
        self._dropped_out_before_lis3(
            offer_id=str(self.accepted_offer),
            municipality=offer.municipality,
            reason=reason,
            note=note,
            stamp=stamp,
        )

    @event("DroppedOutBeforeLis3")
    def _dropped_out_before_lis3(
        self, offer_id: str, municipality: str, reason: str, note: str, stamp: Stamp
    ) -> None:
        self.offers[offer_id].state = "dropped_out"

    # --- consent ----------------------------------------------------------------------------

    def close_for_withdrawn_consent(self, stamp: Stamp) -> None:
        """Consent withdrawn: open invitations and offers close; the facts stay."""
        require(not self.consent_withdrawn, "consent is already withdrawn")
        self._consent_withdrawn(stamp=stamp)

    @event("ConsentWithdrawn")
    def _consent_withdrawn(self, stamp: Stamp) -> None:
        self.consent_withdrawn = True
        for invitation in self.invitations.values():
            if invitation.state not in {"held", "declined"}:
                invitation.state = "closed"
        for offer in self.offers.values():
            if offer.state == "open":
                offer.state = "closed"

    # --- checks -----------------------------------------------------------------------------

    def _by_candidate(self, stamp: Stamp) -> bool:
        """Whether the candidate acts (through their answer link): only for themselves."""
        if stamp.actor.role != Role.CANDIDATE:
            return False
        if stamp.actor.person_id != self.candidate_id:
            msg = "a candidate answers for themselves only"
            raise NotYours(msg)
        return True

    def _not_by_candidate(self, stamp: Stamp) -> None:
        if stamp.actor.role == Role.CANDIDATE:
            msg = "a candidate only answers invitations and offers"
            raise NotYours(msg)

    def _check_open(self) -> None:
        require(not self.consent_withdrawn, "the candidate has withdrawn consent")
        require(self.accepted_offer is None, "the candidate has accepted a LIS3 offer")

    def _invitation(self, invitation_id: str, acting_for: str | None) -> Invitation:
        require(not self.consent_withdrawn, "the candidate has withdrawn consent")
        invitation = self.invitations.get(invitation_id)
        if invitation is None:
            raise require_missing("invitation", invitation_id)
        _check_owner(invitation.municipality, acting_for)
        return invitation

    def _offer(self, offer_id: str, acting_for: str | None) -> Lis3Offer:
        offer = self.offers.get(offer_id)
        if offer is None:
            raise require_missing("offer", offer_id)
        _check_owner(offer.municipality, acting_for)
        return offer


class UnknownItem(DomainError):
    """No such invitation or offer on this candidacy (maps to 404)."""


def require_missing(kind: str, item_id: str) -> UnknownItem:
    return UnknownItem(f"no {kind} {item_id} for this candidate")


def _check_owner(owner: str, acting_for: str | None) -> None:
    """A municipality acts on its own invitations and offers only; the forum on any."""
    if acting_for is not None and acting_for != owner:
        msg = "this belongs to another municipality"
        raise NotYours(msg)
