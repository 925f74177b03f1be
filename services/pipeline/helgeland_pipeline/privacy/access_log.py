"""The access log (Normen): who read whose personal data, when, through which route.

Append-only and kept apart from the event log: one row per request (with the list of candidate
ids), and one row per candidate read so that "who read Kari's data?" is an index look-up.
Both are written in one transaction before the answer leaves, so a read that could not be
logged is not served. Entries older than the retention period are pruned by the worker.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from helgeland_contracts.privacy_v1 import AccessLogEntry, AccessLogPage
from helgeland_platform.columns import UtcDateTime
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.readside.hospital.queries import BadCursor

metadata = MetaData()  # managed by the migrations (p0003), not created by a runner

access_log = Table(
    "access_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("person", String(200), nullable=False),
    Column("organisation", String(200), nullable=False),
    Column("role", String(40), nullable=False),
    Column("municipality", String(4)),
    Column("method", String(10), nullable=False),
    Column("route", String(300), nullable=False),
    Column("candidate_ids", JSON, nullable=False),
)

subjects = Table(
    "access_log_subjects",
    metadata,
    Column("entry_id", BigInteger, primary_key=True),
    Column("candidate_id", String(36), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
)


class BadAccessLogCursor(BadCursor):
    """The pagination cursor was not one this API handed out."""


@dataclass(frozen=True)
class AccessLog:
    engine: AsyncEngine

    async def record(
        self, actor: Actor, at: datetime, method: str, route: str, ids: Collection[UUID | str]
    ) -> int:
        """Append one entry (and its subjects) in one transaction; returns its id."""
        candidate_ids = sorted({str(i) for i in ids})
        async with self.engine.begin() as conn:
            inserted = await conn.execute(
                access_log.insert().returning(access_log.c.id),
                {
                    "at": at,
                    "person": actor.person_id,
                    "organisation": actor.organisation,
                    "role": str(actor.role),
                    "municipality": actor.municipality,
                    "method": method,
                    "route": route,
                    "candidate_ids": candidate_ids,
                },
            )
            entry_id = int(inserted.scalar_one())
            if candidate_ids:
                await conn.execute(
                    subjects.insert(),
                    [{"entry_id": entry_id, "candidate_id": c, "at": at} for c in candidate_ids],
                )
        return entry_id

    async def entries(
        self,
        candidate: UUID | None = None,
        person: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        since: datetime | None = None,
        before: datetime | None = None,
    ) -> AccessLogPage:
        """Newest first, about a candidate and/or by a person, from `since` to just `before`,
        a page at a time."""
        query = select(access_log).order_by(access_log.c.id.desc()).limit(limit + 1)
        if candidate is not None:
            about = select(subjects.c.entry_id).where(subjects.c.candidate_id == str(candidate))
            query = query.where(access_log.c.id.in_(about))
        if person is not None:
            query = query.where(access_log.c.person == person)
        if since is not None:
            query = query.where(access_log.c.at >= since)
        if before is not None:
            query = query.where(access_log.c.at < before)
        if cursor is not None:
            query = query.where(access_log.c.id < _decode(cursor))
        async with self.engine.connect() as conn:
            rows = list((await conn.execute(query)).all())
        more = len(rows) > limit
        rows = rows[:limit]
        return AccessLogPage(
            items=[AccessLogEntry.model_validate(r._asdict()) for r in rows],
            next_cursor=_encode(rows[-1].id) if more else None,
        )

    async def about(self, candidate: UUID) -> list[AccessLogEntry]:
        """Every entry about one candidate, oldest first (for their export)."""
        about = select(subjects.c.entry_id).where(subjects.c.candidate_id == str(candidate))
        query = select(access_log).where(access_log.c.id.in_(about)).order_by(access_log.c.id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [AccessLogEntry.model_validate(r._asdict()) for r in rows]


pruning = Table("access_log_pruning", metadata, Column("id", Integer, primary_key=True))
"""SQLite only: the marker row the append-only triggers let a DELETE through for (p0005)."""


def prune(engine: Engine, now: datetime, retention: timedelta) -> int:
    """Delete entries older than the retention period; returns how many went.

    The tables' triggers refuse every other UPDATE or DELETE (migration p0005): the pruning
    says it is the pruning inside its own transaction, and only there."""
    cutoff = now - retention
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT set_config('helgeland.access_log_pruning', 'on', true)"))
        else:
            conn.execute(pruning.insert().values(id=1))
        conn.execute(delete(subjects).where(subjects.c.at < cutoff))
        removed = conn.execute(delete(access_log).where(access_log.c.at < cutoff)).rowcount or 0
        if engine.dialect.name != "postgresql":
            conn.execute(delete(pruning))
        return removed


def _encode(entry_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": entry_id}).encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        entry_id = json.loads(base64.urlsafe_b64decode(padded))["id"]
    except (ValueError, KeyError, TypeError):
        raise BadAccessLogCursor("the cursor is not valid") from None
    if not isinstance(entry_id, int) or isinstance(entry_id, bool) or not 0 < entry_id < 2**63:
        raise BadAccessLogCursor("the cursor is not valid")
    return entry_id
