"""Test data: actors, a fixed clock, and commands that walk a candidate through the steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from helgeland_pipeline.application import PipelineApplication
from helgeland_pipeline.domain.candidates import CareerPreference, LocalConnection
from helgeland_pipeline.domain.common import Actor, Role, Stamp
from helgeland_pipeline.domain.rounds import RoundStatus

RECRUITER = Actor("recruiter-1", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER)
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def stamp(at: datetime = NOW, recorded: datetime | None = None) -> Stamp:
    return Stamp(RECRUITER, at, recorded or max(at, NOW))


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Journey:
    """Walks candidates through a round with the application's commands."""

    app: PipelineApplication
    round_id: UUID = field(init=False)
    is_offering: bool = False

    def open_round(
        self, positions: dict[str, int] | None = None, coupled: int = 2, deadline_days: int = 30
    ) -> UUID:
        self.round_id = self.app.open_round(
            RECRUITER,
            "LIS1 høst 2027",
            positions or {"rana": 2, "mosjoen": 2},
            coupled,
            (self.app.clock() + timedelta(days=deadline_days)).date(),
        ).id
        return self.round_id

    def applicant(
        self,
        name: str = "Kari Nordmann",
        preference: CareerPreference = CareerPreference.GENERAL_PRACTICE,
        local: list[LocalConnection] | None = None,
        consent: bool = True,
    ) -> UUID:
        cid = self.app.register_candidate(RECRUITER, name, f"{uuid_hex()}@example.no").id
        self.app.submit_lis1_application(
            RECRUITER, cid, self.round_id, preference, local or [], consent
        )
        return cid

    def interviewed(self, score: int = 4, **kwargs: object) -> UUID:
        cid = self.applicant(**kwargs)  # type: ignore[arg-type]
        self.app.record_lis1_interview(RECRUITER, cid, "Overlege Test", score, "notes")
        return cid

    def offering(self) -> None:
        """Move the round to offering (applications close; offers may be made)."""
        self.app.advance_round(RECRUITER, self.round_id, RoundStatus.OFFERING)
        self.is_offering = True

    def offer(self, cid: UUID, unit: str = "rana", coupled: bool = False, days: int = 14) -> None:
        answer_by = (self.app.clock() + timedelta(days=days)).date()
        self.app.offer_lis1(RECRUITER, cid, unit, coupled, answer_by)

    def offered(self, unit: str = "rana", coupled: bool = False, days: int = 14) -> UUID:
        """A new applicant, interviewed and offered (the round moves to offering if needed)."""
        cid = self.interviewed()
        if not self.is_offering:
            self.offering()
        self.offer(cid, unit, coupled, days)
        return cid


def uuid_hex() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def in_days(days: int) -> date:
    return (NOW + timedelta(days=days)).date()
