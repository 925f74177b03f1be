"""Which versions of each read model exist, which one serves reads, and which were retired.

Each version of a projection writes tables of its own. A new version is built beside the live
one from the log; it goes live when it has caught up, and only then are older versions'
tables dropped, once no runner of theirs is left (a rolling deploy runs both for a while).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Collection
from datetime import datetime

from helgeland_platform.leadership import Leadership
from helgeland_platform.logs import log
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Table,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from helgeland_pipeline.readside.tracking import metadata, tracking
from helgeland_pipeline.readside.types import UtcDateTime

BUILDING, LIVE = "building", "live"
_log = logging.getLogger("helgeland.readside")

versions = Table(
    "projection_versions",
    metadata,
    Column("projection", String(100), primary_key=True),  # name@vN, as in tracking
    Column("name", String(80), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("tables", JSON, nullable=False),
    Column("state", String(20), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
    Column("live_at", UtcDateTime()),
)


def register(
    engine: Engine, key: str, name: str, version: int, tables: list[str], now: datetime
) -> None:
    """Record a version as building unless it is known (safe when runners race)."""
    with engine.begin() as conn:
        if conn.execute(select(versions.c.projection).where(versions.c.projection == key)).first():
            return
    try:
        with engine.begin() as conn:
            conn.execute(
                versions.insert().values(
                    projection=key,
                    name=name,
                    version=version,
                    tables=tables,
                    state=BUILDING,
                    registered_at=now,
                )
            )
    except IntegrityError:
        pass


def state(conn: Connection, key: str) -> str | None:
    return conn.execute(
        select(versions.c.state).where(versions.c.projection == key)
    ).scalar_one_or_none()


def mark_live(engine: Engine, key: str, now: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(versions)
            .where(versions.c.projection == key, versions.c.state == BUILDING)
            .values(state=LIVE, live_at=now)
        )


def older_versions(engine: Engine, name: str, version: int) -> list[tuple[str, list[str]]]:
    """Every older version of the projection still in the store: its key and tables."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(versions.c.projection, versions.c.tables).where(
                versions.c.name == name, versions.c.version < version
            )
        ).all()
    return [(row.projection, list(row.tables)) for row in rows]


def drop_version(engine: Engine, key: str, tables: list[str]) -> None:
    """Drop a version's tables and forget its position, failures, skips and registration."""
    from helgeland_pipeline.readside.status import failures, skips  # noqa: PLC0415

    preparer = engine.dialect.identifier_preparer
    with engine.begin() as conn:
        for table in tables:
            conn.execute(text(f"DROP TABLE IF EXISTS {preparer.quote(table)}"))
        for table_ in (tracking, failures, skips, versions):
            conn.execute(delete(table_).where(table_.c.projection == key))


def retire_older(engine: Engine, schema: str | None, name: str, version: int) -> list[str]:
    """Drop older versions' tables once no runner of theirs holds its leadership."""
    retired = []
    for key, tables in older_versions(engine, name, version):
        if Leadership.is_free(engine, schema, key):
            drop_version(engine, key, tables)
            retired.append(key)
            log(_log, logging.INFO, "projection version retired", projection=key)
    return retired


def retire_unversioned(
    engine: Engine, name: str, version: int, retired_tables: Collection[str]
) -> None:
    """Tables of releases before versioned tables: dropped with their tracking rows, once no
    runner of such a release holds its lock (it took one per projection key, in no schema).

    Such a release's key is tracked and not registered, and older than this version. Tracking
    is read before the registry: a version registers before it is tracked, so a key tracked
    by a runner starting at this moment is found registered.
    """
    with engine.begin() as conn:
        tracked = list(
            conn.execute(
                select(tracking.c.projection).where(tracking.c.projection.like(f"{name}@v%"))
            ).scalars()
        )
        known = set(conn.execute(select(versions.c.projection)).scalars())
    stale = [key for key in tracked if key not in known and _version_of(key) < version]
    if any(_legacy_lock_held(engine, key) for key in stale):
        log(_log, logging.INFO, "an older release still runs", projection=name)
        return
    preparer = engine.dialect.identifier_preparer
    with engine.begin() as conn:
        for table in retired_tables:
            conn.execute(text(f"DROP TABLE IF EXISTS {preparer.quote(table)}"))
        conn.execute(delete(tracking).where(tracking.c.projection.in_(stale)))


def _version_of(key: str) -> int:
    number = key.rpartition("@v")[2]
    return int(number) if number.isdigit() else 0


def _legacy_lock_held(engine: Engine, key: str) -> bool:
    """Whether a runner of a release before per-schema leadership holds this key's lock."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as conn:
        legacy = zlib.crc32(key.encode())
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": legacy}).scalar_one()
        if got:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": legacy})
        conn.commit()
        return not got
