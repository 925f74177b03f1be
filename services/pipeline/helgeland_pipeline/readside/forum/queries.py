"""Async queries of the municipal read model, filtered by who is asking.

A municipality sees the shared candidates who still consent, its own invitations and offers
with their terms, and the other municipalities' moves without their terms. The forum sees
every move and every term. Nobody here sees interview notes or scores: they are not stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from helgeland_contracts.forum_v1 import (
    Board,
    BoardEntry,
    InvitationOut,
    MunicipalityActivity,
    OfferOut,
    PlacementCapacity,
    SharedCandidate,
    Student,
)
from helgeland_contracts.posts_v1 import GpPostsHistory, GpPostsOut
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine

from helgeland_pipeline.readside.forum.tables import (
    gp_posts,
    invitations,
    offers,
    people,
    placements,
    rounds,
    shared,
    students,
)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a municipality (by number) or the forum (None)."""

    municipality: str | None

    def sees_terms_of(self, owner: str) -> bool:
        return self.municipality is None or self.municipality == owner


class ForumQueries:
    def __init__(self, engine: AsyncEngine, municipality_names: dict[str, str]) -> None:
        self.engine = engine
        self.names = municipality_names

    async def _all(self, query: Select[Any]) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    def _shared_query(self) -> Select[Any]:
        return (
            select(shared, people, rounds.c.name.label("round_name"))
            .join(people, people.c.candidate_id == shared.c.candidate_id)
            .join(rounds, rounds.c.round_id == shared.c.round_id)
            .where(shared.c.consent_withdrawn.is_(False))
            .order_by(shared.c.seq)
        )

    async def shared_candidates(
        self, viewer: Viewer, candidate_id: UUID | None = None, recruited_only: bool = False
    ) -> list[SharedCandidate]:
        query = self._shared_query()
        if candidate_id is not None:
            query = query.where(shared.c.candidate_id == str(candidate_id))
        if recruited_only:
            query = query.where(shared.c.recruited_by == viewer.municipality)
        return [_candidate(row, viewer) for row in await self._all(query)]

    async def invitations(
        self, viewer: Viewer, municipality: str | None = None
    ) -> list[InvitationOut]:
        query = (
            select(invitations, shared.c.candidate_id)
            .join(shared, shared.c.candidacy_id == invitations.c.candidacy_id)
            .where(shared.c.consent_withdrawn.is_(False))
            .order_by(invitations.c.sent_at)
        )
        if municipality is not None:
            query = query.where(invitations.c.municipality == municipality)
        return [InvitationOut.model_validate(row._asdict()) for row in await self._all(query)]

    async def offers(
        self, viewer: Viewer, today: date, municipality: str | None = None
    ) -> list[OfferOut]:
        query = (
            select(offers, shared.c.candidate_id)
            .join(shared, shared.c.candidacy_id == offers.c.candidacy_id)
            .where(shared.c.consent_withdrawn.is_(False))
            .order_by(offers.c.offered_at)
        )
        if municipality is not None:
            query = query.where(offers.c.municipality == municipality)
        return [_offer(row, viewer, today) for row in await self._all(query)]

    async def invitation(self, invitation_id: UUID) -> InvitationOut | None:
        """One invitation (for the candidate's answer page), unless consent was withdrawn."""
        found = await self._all(
            self._invitations_query().where(invitations.c.invitation_id == str(invitation_id))
        )
        return InvitationOut.model_validate(found[0]._asdict()) if found else None

    async def offer(self, offer_id: UUID, today: date) -> OfferOut | None:
        """One offer with its terms (for the candidate's answer page)."""
        found = await self._all(self._offers_query().where(offers.c.offer_id == str(offer_id)))
        return _offer(found[0], Viewer(None), today) if found else None

    def _invitations_query(self) -> Select[Any]:
        return (
            select(invitations, shared.c.candidate_id)
            .join(shared, shared.c.candidacy_id == invitations.c.candidacy_id)
            .where(shared.c.consent_withdrawn.is_(False))
        )

    def _offers_query(self) -> Select[Any]:
        return (
            select(offers, shared.c.candidate_id)
            .join(shared, shared.c.candidacy_id == offers.c.candidacy_id)
            .where(shared.c.consent_withdrawn.is_(False))
        )

    async def board(self, viewer: Viewer, today: date) -> Board:
        """Every shared candidate with every municipality's invitations and offers."""
        candidates = await self.shared_candidates(viewer)
        all_invitations = await self.invitations(viewer)
        all_offers = await self.offers(viewer, today)
        entries = [
            BoardEntry(
                candidate=c,
                invitations=[i for i in all_invitations if i.candidate_id == c.candidate_id],
                offers=[o for o in all_offers if o.candidate_id == c.candidate_id],
            )
            for c in candidates
        ]
        recruited = await self._all(
            select(shared.c.recruited_by).where(shared.c.consent_withdrawn.is_(False))
        )
        latest = {p.municipality: p.students for p in await self.placement_capacity()}
        activity = [
            MunicipalityActivity(
                municipality=number,
                name=name,
                invitations=sum(i.municipality == number for i in all_invitations),
                open_offers=sum(o.municipality == number and o.state == "open" for o in all_offers),
                recruited=sum(r.recruited_by == number for r in recruited)
                if viewer.sees_terms_of(number)
                else None,
                placement_students=latest.get(number),
            )
            for number, name in sorted(self.names.items())
        ]
        return Board(
            candidates=entries, municipalities=activity, gp_posts=await self.latest_gp_posts()
        )

    async def gp_posts(self, municipality: str) -> GpPostsHistory:
        """A municipality's GP post reports over time, corrections included."""
        query = (
            select(gp_posts)
            .where(gp_posts.c.municipality == municipality)
            .order_by(gp_posts.c.as_of, gp_posts.c.position)
        )
        reports = [self._posts(row) for row in await self._all(query)]
        current = [r for r in reports if r.current]
        return GpPostsHistory(
            municipality=municipality,
            name=self.names.get(municipality, municipality),
            latest=current[-1] if current else None,
            reports=reports,
        )

    async def latest_gp_posts(self) -> list[GpPostsOut]:
        """Each municipality's current report of its latest date, by municipality number."""
        query = (
            select(gp_posts)
            .where(gp_posts.c.current.is_(True))
            .order_by(gp_posts.c.municipality, gp_posts.c.as_of)
        )
        latest = {row.municipality: row for row in await self._all(query)}
        return [self._posts(row) for _, row in sorted(latest.items())]

    def _posts(self, row: Any) -> GpPostsOut:
        data = row._asdict()
        data["name"] = self.names.get(data["municipality"], data["municipality"])
        return GpPostsOut.model_validate(data)

    async def placement_capacity(self) -> list[PlacementCapacity]:
        """Every municipality's placement students per year, latest year last."""
        query = select(placements).order_by(placements.c.year, placements.c.municipality)
        return [
            PlacementCapacity(
                name=self.names.get(row.municipality, row.municipality), **row._asdict()
            )
            for row in await self._all(query)
        ]

    async def students(self) -> list[Student]:
        """Students met early who consent now to be presented to the forum."""
        query = (
            select(students)
            .join(people, people.c.candidate_id == students.c.candidate_id)
            .where(people.c.consent_to_share.is_(True))
            .order_by(students.c.seq)
        )
        return [Student.model_validate(row._asdict()) for row in await self._all(query)]


def _candidate(row: Any, viewer: Viewer) -> SharedCandidate:
    data = row._asdict()
    by = data["recruited_by"]
    if by is None:
        status = "open"
    elif viewer.municipality in (None, by):
        status = "recruited"
    else:
        status = "accepted_elsewhere"
    data["status"] = status
    data["recruited_by"] = by if viewer.municipality in (None, by) else None
    return SharedCandidate.model_validate(data)


def _offer(row: Any, viewer: Viewer, today: date) -> OfferOut:
    data = row._asdict()
    if data["state"] == "open" and data["expires_on"] < today:
        data["state"] = "expired"
    if not viewer.sees_terms_of(data["municipality"]):
        data["terms"] = None
        if data["state"] == "accepted":
            # Another municipality sees that the candidate went elsewhere, never where.
            data["state"] = "accepted_elsewhere"
            data["municipality"] = None
    return OfferOut.model_validate(data)
