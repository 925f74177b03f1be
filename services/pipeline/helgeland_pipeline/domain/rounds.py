"""A LIS1 application round at the hospital trust, and its coupled-position quota."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import Stamp, require, require_valid
from helgeland_pipeline.domain.personal import check_not_personal


class RoundStatus(StrEnum):
    OPEN = "open"
    INTERVIEWING = "interviewing"
    OFFERING = "offering"
    LIST_FINAL = "list_final"


_ORDER = list(RoundStatus)


@dataclass
class HeldOffer:
    """An offer that holds a position until it is declined, withdrawn or expires."""

    unit: str
    coupled: bool
    answer_by: date
    accepted: bool = False
    slot: int | None = None  # the coupled slot (1 … coupled positions) a coupled offer holds

    def holds_position_on(self, day: date) -> bool:
        return self.accepted or day <= self.answer_by


class Lis1Round(Aggregate):
    """Positions per hospital unit; at most half of them coupled to a LIS3 post."""

    @classmethod
    def open(
        cls,
        name: str,
        positions: dict[str, int],
        coupled_positions: int,
        application_deadline: date,
        stamp: Stamp,
        lis1_starts_on: date | None = None,
    ) -> Lis1Round:
        """Open a round after checking its shape: the domain refuses more than half coupled."""
        require_valid(bool(name.strip()), "a round needs a name")
        check_not_personal(name, "a round's name")
        require_valid(bool(positions), "a round needs at least one position")
        require_valid(all(n > 0 for n in positions.values()), "positions per unit must be >= 1")
        require_valid(coupled_positions >= 0, "coupled positions cannot be negative")
        total = sum(positions.values())
        require(
            coupled_positions * 2 <= total,
            f"at most half of the {total} LIS1 positions may be coupled to a LIS3 post "
            f"({total // 2}), not {coupled_positions}",
        )
        require_valid(
            application_deadline >= stamp.day,
            f"the application deadline {application_deadline.isoformat()} has passed when the "
            f"round opens on {stamp.day.isoformat()}",
        )
        if lis1_starts_on is not None:
            require_valid(
                lis1_starts_on > application_deadline,
                f"LIS1 starts on {lis1_starts_on.isoformat()}, not after the application "
                f"deadline {application_deadline.isoformat()}",
            )
        return cls(
            name.strip(),
            dict(positions),
            coupled_positions,
            application_deadline,
            stamp,
            lis1_starts_on,
        )

    class Opened(Aggregate.Created):
        """Version 2 added `lis1_starts_on`; version 1 events load with it unknown (None)."""

        class_version = 2
        name: str
        positions: dict[str, int]
        coupled_positions: int
        application_deadline: date
        stamp: Stamp
        lis1_starts_on: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["lis1_starts_on"] = None

    @event(Opened)
    def __init__(
        self,
        name: str,
        positions: dict[str, int],
        coupled_positions: int,
        application_deadline: date,
        stamp: Stamp,
        lis1_starts_on: date | None = None,
    ) -> None:
        self.name = name
        self.lis1_starts_on = lis1_starts_on
        self.forum_list: list[str] | None = None
        self.positions = positions
        self.coupled_positions = coupled_positions
        self.application_deadline = application_deadline
        self.status = RoundStatus.OPEN
        self.offers: dict[str, HeldOffer] = {}

    # --- progress -------------------------------------------------------------------------

    def advance_to(self, status: RoundStatus, stamp: Stamp) -> None:
        """Move the round forward (open → interviewing → offering); never backwards."""
        require_valid(status != RoundStatus.LIST_FINAL, "use finalise_list to make the list final")
        require(
            _ORDER.index(status) > _ORDER.index(self.status),
            f"a round cannot go from {self.status} to {status}",
        )
        self._advanced(status=status, stamp=stamp)

    @event("Advanced")
    def _advanced(self, status: str, stamp: Stamp) -> None:
        self.status = RoundStatus(status)

    def finalise_list(self, stamp: Stamp) -> None:
        """The list is final only when every offer is answered or has expired."""
        require(self.status == RoundStatus.OFFERING, "only a round that is offering can finalise")
        today = stamp.day
        pending = [cid for cid, o in self.offers.items() if not o.accepted and today <= o.answer_by]
        require(not pending, f"{len(pending)} offer(s) are still unanswered and unexpired")
        self._list_finalised(stamp=stamp)

    @event("ListFinalised")
    def _list_finalised(self, stamp: Stamp) -> None:
        self.status = RoundStatus.LIST_FINAL

    def send_list_to_forum(self, candidate_ids: list[str], stamp: Stamp) -> None:
        """Share the final list's GP-interested, consenting LIS1 doctors with the forum."""
        require(self.status == RoundStatus.LIST_FINAL, "the round's list is not final yet")
        require(self.forum_list is None, "the list has already been sent to the forum")
        accepted = {cid for cid, offer in self.offers.items() if offer.accepted}
        require(set(candidate_ids) <= accepted, "only candidates who accepted LIS1 can be sent")
        self._list_sent_to_forum(candidate_ids=sorted(candidate_ids), stamp=stamp)

    @event("ListSentToForum")
    def _list_sent_to_forum(self, candidate_ids: list[str], stamp: Stamp) -> None:
        self.forum_list = list(candidate_ids)

    def accepted_candidates(self) -> list[str]:
        return sorted(cid for cid, offer in self.offers.items() if offer.accepted)

    def lis1_ends_on(self) -> date | None:
        """LIS1 lasts 18 months from its start, when the round knows its start."""
        start = self.lis1_starts_on
        if start is None:
            return None
        months = start.month - 1 + 18
        return date(start.year + months // 12, months % 12 + 1, min(start.day, 28))

    # --- rules the candidates' commands ask of the round -----------------------------------

    def check_accepts_applications(self, on: date) -> None:
        require(self.status == RoundStatus.OPEN, f"the round is {self.status}, not open")
        require(on <= self.application_deadline, "the application deadline has passed")

    def check_accepts_interviews(self) -> None:
        require(self.status != RoundStatus.LIST_FINAL, "the round's list is already final")

    def hold_offer(
        self, candidate_id: str, unit: str, coupled: bool, answer_by: date, stamp: Stamp
    ) -> None:
        """Reserve a position (and a coupled slot) for an offer, within the round's quota."""
        require(self.status == RoundStatus.OFFERING, f"the round is {self.status}, not offering")
        require_valid(unit in self.positions, f"the round has no positions at unit {unit!r}")
        today = stamp.day
        require_valid(answer_by >= today, "an offer's answer-by date cannot be in the past")
        held = [o for o in self.offers.values() if o.holds_position_on(today)]
        require(
            sum(o.unit == unit for o in held) < self.positions[unit],
            f"every position at {unit} is already offered",
        )
        slot = None
        if coupled:
            require(
                sum(o.coupled for o in held) < self.coupled_positions,
                f"all {self.coupled_positions} coupled positions are already offered",
            )
            slot = self._free_slot(held)
        self._offer_held(
            candidate_id=candidate_id,
            unit=unit,
            coupled=coupled,
            answer_by=answer_by,
            coupled_slot=slot,
            stamp=stamp,
        )

    def _free_slot(self, held: list[HeldOffer]) -> int:
        """The lowest-numbered coupled slot no offer that holds its position holds."""
        taken = {o.slot for o in held if o.coupled}
        free = [n for n in range(1, self.coupled_positions + 1) if n not in taken]
        require(bool(free), f"all {self.coupled_positions} coupled positions are already offered")
        return free[0]

    def coupled_slot_of(self, candidate_id: str) -> int | None:
        """The coupled slot the candidate's accepted LIS1 offer holds, if it is coupled."""
        offer = self.offers.get(candidate_id)
        return offer.slot if offer is not None and offer.accepted else None

    class OfferHeld(Aggregate.Event):
        """Version 2 names the coupled slot a coupled offer holds; version 1 events load with
        none (their coupled offers count against the quota but name no slot)."""

        class_version = 2
        candidate_id: str
        unit: str
        coupled: bool
        answer_by: date
        coupled_slot: int | None
        stamp: Stamp

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["coupled_slot"] = None

    @event(OfferHeld)
    def _offer_held(
        self,
        candidate_id: str,
        unit: str,
        coupled: bool,
        answer_by: date,
        coupled_slot: int | None,
        stamp: Stamp,
    ) -> None:
        self.offers[candidate_id] = HeldOffer(unit, coupled, answer_by, slot=coupled_slot)

    def confirm_offer(self, candidate_id: str, stamp: Stamp) -> None:
        """The candidate accepted: the position is taken for good.

        An acceptance entered late must still fit: if the position was offered to someone else
        after this offer expired, the late acceptance is refused rather than overfilling.
        """
        offer = self.offers[candidate_id]
        today = stamp.recorded_day
        others = [
            o for c, o in self.offers.items() if c != candidate_id and o.holds_position_on(today)
        ]
        require(
            sum(o.unit == offer.unit for o in others) < self.positions[offer.unit],
            f"the position at {offer.unit} was offered to someone else after this offer expired",
        )
        slot = offer.slot
        if offer.coupled:
            require(
                sum(o.coupled for o in others) < self.coupled_positions,
                "the coupled position was offered to someone else after this offer expired",
            )
            if slot is None or any(o.coupled and o.slot == slot for o in others):
                # Its slot went to another offer after this one expired; another is free.
                slot = self._free_slot(others)
        self._offer_confirmed(candidate_id=candidate_id, coupled_slot=slot, stamp=stamp)

    class OfferConfirmed(Aggregate.Event):
        """Version 2 names the coupled slot the accepted offer takes (None: uncoupled)."""

        class_version = 2
        candidate_id: str
        coupled_slot: int | None
        stamp: Stamp

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["coupled_slot"] = None

    @event(OfferConfirmed)
    def _offer_confirmed(self, candidate_id: str, coupled_slot: int | None, stamp: Stamp) -> None:
        offer = self.offers[candidate_id]
        offer.accepted = True
        if coupled_slot is not None:
            offer.slot = coupled_slot

    def release_offer(self, candidate_id: str, stamp: Stamp) -> None:
        """The offer was declined or the application withdrawn: the position is free again."""
        if candidate_id in self.offers:
            self._offer_released(candidate_id=candidate_id, stamp=stamp)

    @event("OfferReleased")
    def _offer_released(self, candidate_id: str, stamp: Stamp) -> None:
        del self.offers[candidate_id]
