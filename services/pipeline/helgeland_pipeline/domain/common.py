"""Shared domain vocabulary: who did something and when, and the domain's errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

# Deadlines, answer-by dates and expiry are calendar days in Norway.
PROGRAMME_TIME_ZONE = ZoneInfo("Europe/Oslo")


def programme_day(moment: datetime) -> date:
    """The Norwegian calendar day of a moment: deadlines and expiry are judged by it."""
    return moment.astimezone(PROGRAMME_TIME_ZONE).date()


def start_of_day(day: date) -> datetime:
    """The first moment of a Norwegian calendar day."""
    return datetime.combine(day, time(0, 0), tzinfo=PROGRAMME_TIME_ZONE)


def end_of_day(day: date) -> datetime:
    """The last second of a Norwegian calendar day: a bare date as a moment."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=PROGRAMME_TIME_ZONE)


class DomainError(Exception):
    """Base of every error the domain raises."""


class InvalidInput(DomainError):
    """A value is malformed or out of range (maps to 422)."""


class InvariantViolated(DomainError):
    """The command would break a rule of the programme (maps to 409)."""


class Role(StrEnum):
    HOSPITAL_RECRUITER = "hospital_recruiter"
    MUNICIPALITY = "municipality"
    FORUM = "forum"
    EVALUATOR = "evaluator"
    ADMIN = "admin"
    # The candidate answering for themselves through a signed link: never a token's role.
    CANDIDATE = "candidate"


@dataclass(frozen=True)
class Actor:
    """The authenticated person behind a command, and the organisation they act for."""

    person_id: str
    organisation: str
    role: Role
    municipality: str | None = None


@dataclass(frozen=True)
class Stamp:
    """Who did it, when it happened in the world, and when it was recorded.

    `occurred_at` may be back-dated (an interview entered a day late) but never lies after
    `recorded_at`. The application supplies both times: the domain never reads the clock.
    """

    actor: Actor
    occurred_at: datetime
    recorded_at: datetime

    def __post_init__(self) -> None:
        for moment in (self.occurred_at, self.recorded_at):
            if moment.tzinfo is None:
                msg = "times must carry a time zone"
                raise InvalidInput(msg)
        if self.occurred_at > self.recorded_at:
            msg = "an event cannot have happened in the future (occurred_at is after now)"
            raise InvalidInput(msg)

    @property
    def day(self) -> date:
        """The Norwegian calendar day on which it happened, whatever zone the time was given in."""
        return programme_day(self.occurred_at)

    @property
    def recorded_day(self) -> date:
        return programme_day(self.recorded_at)


def require(condition: bool, message: str) -> None:
    """Raise `InvariantViolated` unless `condition` holds."""
    if not condition:
        raise InvariantViolated(message)


def require_valid(condition: bool, message: str) -> None:
    """Raise `InvalidInput` unless `condition` holds."""
    if not condition:
        raise InvalidInput(message)
