"""What an operator needs to trust the read side: each projection's failure and skipped events.

A runner that cannot apply an event records it here (in its own transaction: the failed page is
rolled back) and clears it once it gets past. An operator may step over one poison event; the
skip is recorded with who and why, and stays visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    Text,
    delete,
    select,
)

from helgeland_pipeline.readside.tracking import metadata, tracking
from helgeland_pipeline.readside.types import UtcDateTime

failures = Table(
    "projection_failures",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("position", BigInteger),  # the notification that failed; null: not an event's fault
    Column("event_type", String(200)),
    Column("error_type", String(200), nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_failed_at", UtcDateTime(), nullable=False),
    Column("last_failed_at", UtcDateTime(), nullable=False),
)

skips = Table(
    "projection_skips",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("skipped_by", String(200), nullable=False),
    Column("skipped_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class Failure:
    """The last error of a projection that has not got past it yet."""

    projection: str
    position: int | None
    event_type: str | None
    error_type: str
    error: str
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime


@dataclass(frozen=True)
class Skip:
    projection: str
    position: int
    event_type: str
    reason: str
    skipped_by: str
    skipped_at: datetime


def record_failure(engine: Engine, failure: Failure) -> Failure:
    """Store the failure (counting attempts at the same event); return what was stored."""
    with engine.begin() as conn:
        old = conn.execute(
            select(failures).where(failures.c.projection == failure.projection)
        ).one_or_none()
        if old is not None and old.position == failure.position:
            stored = Failure(
                **{
                    **failure.__dict__,
                    "attempts": old.attempts + 1,
                    "first_failed_at": old.first_failed_at,
                }
            )
        else:
            stored = failure
        conn.execute(delete(failures).where(failures.c.projection == failure.projection))
        conn.execute(failures.insert().values(**stored.__dict__))
    return stored


def clear_failure(engine: Engine, projection: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(failures).where(failures.c.projection == projection))


def read_failure(conn: Connection, projection: str) -> Failure | None:
    row = conn.execute(select(failures).where(failures.c.projection == projection)).one_or_none()
    return None if row is None else Failure(**row._asdict())


def skipped_positions(conn: Connection, projection: str, after: int) -> set[int]:
    """Positions after `after` that an operator told this projection to step over."""
    rows = conn.execute(
        select(skips.c.position).where(skips.c.projection == projection, skips.c.position > after)
    )
    return {int(position) for position in rows.scalars()}


def read_skips(conn: Connection, projection: str) -> list[Skip]:
    rows = conn.execute(
        select(skips).where(skips.c.projection == projection).order_by(skips.c.position)
    )
    return [Skip(**row._asdict()) for row in rows]


def add_skip(engine: Engine, skip: Skip) -> None:
    """Record an operator's decision to step over one event (refused if already applied)."""
    with engine.begin() as conn:
        position = conn.execute(
            select(tracking.c.position).where(tracking.c.projection == skip.projection)
        ).scalar_one_or_none()
        if position is None:
            msg = f"no projection {skip.projection!r} in this store"
            raise SkipRefused(msg)
        if skip.position <= position:
            msg = (
                f"{skip.projection} has already applied event {skip.position} "
                f"(it is at {position}); only a pending event can be skipped"
            )
            raise SkipRefused(msg)
        exists = conn.execute(
            select(skips.c.position).where(
                skips.c.projection == skip.projection, skips.c.position == skip.position
            )
        ).first()
        if exists:
            msg = f"event {skip.position} is already skipped for {skip.projection}"
            raise SkipRefused(msg)
        conn.execute(skips.insert().values(**skip.__dict__))


class SkipRefused(Exception):
    """The skip names no projection, an event already applied, or one already skipped."""
