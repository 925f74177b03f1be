"""Each projection's position in the notification log, stored beside its tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

metadata = MetaData()

tracking = Table(
    "projection_tracking",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


class TrackingConflict(Exception):
    """Another runner moved this projection's position first; this page is rolled back."""


def read_position(
    conn: Connection, projection: str, *, lock: bool = False, missing: int = 0
) -> int:
    """The projection's position; 0 before its first page (`missing` when not tracked).

    With `lock`, the row stays locked until the transaction ends (PostgreSQL), so a second
    runner applying a page at the same moment waits and then sees the new position instead of
    applying the same events again. (SQLite's writers take the database lock at BEGIN.)
    """
    query = select(tracking.c.position).where(tracking.c.projection == projection)
    value = conn.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    return missing if value is None else int(value)


def ensure_tracked(engine: Engine, projection: str) -> None:
    """Create the projection's tracking row at 0 unless it exists (safe when runners race)."""
    with engine.begin() as conn:
        if conn.execute(
            select(tracking.c.projection).where(tracking.c.projection == projection)
        ).first():
            return
    try:
        with engine.begin() as conn:
            conn.execute(tracking.insert().values(projection=projection, position=0))
    except IntegrityError:
        pass  # another runner created it first


def advance_position(conn: Connection, projection: str, old: int, new: int) -> None:
    """Move the position from `old` to `new`, in the caller's transaction, or refuse."""
    result = conn.execute(
        update(tracking)
        .where(tracking.c.projection == projection, tracking.c.position == old)
        .values(position=new)
    )
    if result.rowcount != 1:
        msg = f"projection {projection!r} moved past {old} elsewhere"
        raise TrackingConflict(msg)
