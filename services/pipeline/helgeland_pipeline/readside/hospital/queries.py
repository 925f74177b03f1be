"""Async queries of the hospital's read model. They return contract DTOs, never rows."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

from helgeland_contracts.api_v1 import (
    CandidateOut,
    CandidatePage,
    Funnel,
    RankedCandidate,
    RoundOut,
    TimelineEntry,
)
from helgeland_contracts.forum_v1 import CouplingStatus
from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.readside.hospital.tables import (
    candidates,
    coupled_slots,
    rounds,
    timeline,
)


class BadCursor(ValueError):
    """The pagination cursor was not one this API handed out."""


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"seq": seq}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        seq = json.loads(base64.urlsafe_b64decode(padded))["seq"]
    except (ValueError, KeyError, TypeError):
        msg = "the cursor is not valid"
        raise BadCursor(msg) from None
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq < 2**63:
        raise BadCursor("the cursor is not valid")
    return seq


class HospitalQueries:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _all(self, query: Select[Any]) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def rounds(self) -> list[RoundOut]:
        rows = await self._all(select(rounds).order_by(rounds.c.opened_at.desc()))
        return await self._with_slots(rows)

    async def round(self, round_id: UUID) -> RoundOut | None:
        rows = await self._all(select(rounds).where(rounds.c.round_id == str(round_id)))
        found = await self._with_slots(rows)
        return found[0] if found else None

    async def _with_slots(self, rows: list[Any]) -> list[RoundOut]:
        """The rounds, each with its coupled slots in order."""
        ids = [row.round_id for row in rows]
        query = (
            select(coupled_slots)
            .where(coupled_slots.c.round_id.in_(ids))
            .order_by(coupled_slots.c.round_id, coupled_slots.c.slot)
        )
        slots: dict[str, list[dict[str, Any]]] = {}
        for slot in await self._all(query) if ids else []:
            slots.setdefault(slot.round_id, []).append(slot._asdict())
        return [
            RoundOut.model_validate({**row._asdict(), "coupled_slots": slots.get(row.round_id, [])})
            for row in rows
        ]

    async def candidates(
        self,
        *,
        round_id: UUID | None = None,
        stage: str | None = None,
        preference: str | None = None,
        local_connection: bool | None = None,
        name: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> CandidatePage:
        query = select(candidates).order_by(candidates.c.seq).limit(limit + 1)
        if round_id is not None:
            query = query.where(candidates.c.round_id == str(round_id))
        if stage is not None:
            query = query.where(candidates.c.stage == stage)
        if preference is not None:
            query = query.where(candidates.c.preference == preference)
        if local_connection is not None:
            query = query.where(candidates.c.has_local_connection == local_connection)
        if name:
            query = query.where(
                func.lower(candidates.c.name).contains(name.lower(), autoescape=True)
            )
        if cursor is not None:
            query = query.where(candidates.c.seq > decode_cursor(cursor))
        rows = await self._all(query)
        more = len(rows) > limit
        rows = rows[:limit]
        return CandidatePage(
            items=[_candidate(row) for row in rows],
            next_cursor=encode_cursor(rows[-1].seq) if more else None,
        )

    async def candidate(self, candidate_id: UUID) -> CandidateOut | None:
        query = select(candidates).where(candidates.c.candidate_id == str(candidate_id))
        rows = await self._all(query)
        return _candidate(rows[0]) if rows else None

    async def timeline(self, candidate_id: UUID) -> list[TimelineEntry]:
        query = (
            select(timeline)
            .where(timeline.c.candidate_id == str(candidate_id))
            .order_by(timeline.c.position)
        )
        return [
            TimelineEntry.model_validate({**row._asdict(), "details": json.loads(row.details)})
            for row in await self._all(query)
        ]

    async def ranked(self, round_id: UUID) -> list[RankedCandidate]:
        """Local connection first (as the programme asks), then interest in primary care."""
        query = (
            select(candidates)
            .where(candidates.c.round_id == str(round_id), candidates.c.withdrawn.is_(False))
            .order_by(
                candidates.c.has_local_connection.desc(),
                func.coalesce(candidates.c.interview_score, 0).desc(),
                case((candidates.c.preference == "general_practice", 0), else_=1),
                candidates.c.seq,
            )
        )
        rows = await self._all(query)
        return [RankedCandidate(rank=i, candidate=_candidate(r)) for i, r in enumerate(rows, 1)]

    async def coupling(self, round_id: UUID) -> list[CouplingStatus]:
        return await coupling_status(self.engine, round_id)

    async def funnel(self, round_id: UUID) -> Funnel:
        c = candidates.c

        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        query = select(
            func.count().label("applied"),
            count(c.preference == "general_practice").label("prefers_general_practice"),
            count(c.preference == "undecided").label("undecided"),
            count(c.has_local_connection.is_(True)).label("local_connection"),
            count(c.contacts > 0).label("contacted_before_applying"),
            count(c.interviews > 0).label("interviewed"),
            count(c.offer_state.is_not(None)).label("offered"),
            count(c.offer_coupled.is_(True)).label("offered_coupled"),
            count(c.offer_state == "accepted").label("accepted"),
            count((c.offer_state == "accepted") & c.offer_coupled.is_(True)).label(
                "accepted_coupled"
            ),
            count(c.offer_state == "declined").label("declined"),
            count(c.withdrawn.is_(True)).label("withdrawn"),
        ).where(c.round_id == str(round_id))
        row = (await self._all(query))[0]
        return Funnel(round_id=round_id, **{k: int(v) for k, v in row._asdict().items()})


async def coupling_status(engine: AsyncEngine, round_id: UUID) -> list[CouplingStatus]:
    """The round's accepted LIS1 doctors and whether they hold a coupled LIS3 post (no terms)."""
    c = candidates.c
    query = (
        select(
            c.candidate_id,
            c.name,
            c.offer_unit.label("lis1_unit"),
            c.offer_coupled.label("lis1_coupled"),
            c.candidacy_id.is_not(None).label("shared_with_forum"),
            c.consent_withdrawn,
            c.lis3_municipality,
            c.lis3_accepted_at,
        )
        .where(c.round_id == str(round_id), c.offer_state == "accepted")
        .order_by(c.seq)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [CouplingStatus.model_validate(row._asdict()) for row in rows]


def _candidate(row: Any) -> CandidateOut:
    return CandidateOut.model_validate(row._asdict())
