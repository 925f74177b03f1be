"""The evaluators' read model: one row per fact that counts, with both of its times.

Every figure NSDM asks for is computed from these rows filtered by `occurred_at <= as_of` and
`recorded_at <= known_at`, so any past date can be answered exactly as things stood. Rows hold
no names or free text; candidates are pseudonymised when read.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
)

from helgeland_pipeline.domain.candidates import Candidate
from helgeland_pipeline.readside.dispatch import classes, table
from helgeland_pipeline.readside.evaluation.tables import (
    VERSION,
    facts,
    gp_posts,
    metadata,
    owners,
    rounds,
)
from helgeland_pipeline.readside.sql import insert_later, insert_row

# event -> (fact, attribute extractor)
_FACTS_BY_NAME: dict[str, tuple[str, Any]] = {
    "Candidate.StudentContacted": (
        "contacted",
        lambda e: {"kind": e.kind, "placement": e.municipality},
    ),
    "Candidate.Lis1ApplicationSubmitted": (
        "applied",
        lambda e: {
            "round_id": e.round_id,
            "preference": e.preference,
            "local_connection": bool(e.local_connection),
        },
    ),
    "Candidate.Lis1InterviewHeld": ("interviewed", lambda e: {}),
    "Candidate.Lis1Offered": ("lis1_offered", lambda e: {"coupled": e.coupled}),
    "Candidate.Lis1OfferAccepted": ("lis1_accepted", lambda e: {}),
    "Candidate.ConsentWithdrawn": ("consent_withdrawn", lambda e: {}),
    "ForumCandidacy.InvitationSent": ("invited", lambda e: {"kind": e.kind}),
    "ForumCandidacy.Lis3Offered": ("offered_lis3", lambda e: {}),
    "ForumCandidacy.Lis3OfferAccepted": ("accepted_lis3", lambda e: {}),
    "Career.Lis1Started": ("lis1_started", lambda e: {}),
    "Career.Lis3Started": ("lis3_started", lambda e: {}),
    "Career.SpecialistApproved": ("specialist", lambda e: {}),
    "Career.MovedWithinHelgeland": ("moved", lambda e: {"from": e.from_municipality}),
    "Career.Left": ("left", lambda e: {"reason": e.reason, "destination": e.destination}),
    "Career.Returned": ("returned", lambda e: {}),
    "Career.DroppedOut": ("dropped_out", lambda e: {"phase": e.phase, "reason": e.reason}),
    "ForumCandidacy.DroppedOutBeforeLis3": (
        "dropped_out_before_lis3",
        lambda e: {"reason": e.reason},
    ),
}

_MUNICIPALITY_FIELD_BY_NAME = {
    "ForumCandidacy.InvitationSent": "municipality",
    "ForumCandidacy.Lis3Offered": "municipality",
    "ForumCandidacy.Lis3OfferAccepted": "municipality",
    "Career.Lis3Started": "municipality",
    "Career.MovedWithinHelgeland": "to_municipality",
    "Career.Left": "municipality",
    "Career.Returned": "municipality",
    "ForumCandidacy.DroppedOutBeforeLis3": "municipality",
}


_FACTS = table(_FACTS_BY_NAME)
_MUNICIPALITY_FIELD = table(_MUNICIPALITY_FIELD_BY_NAME)
_ROUND_OPENED, _SHARED, _LIS1_STARTED, _CONSENT_WITHDRAWN = classes(
    "Lis1Round.Opened", "ForumCandidacy.Shared", "Career.Lis1Started", "Candidate.ConsentWithdrawn"
)
(_POSTS_REPORTED,) = classes("GpPosts.PostsReported")

_OWNER = owners.select().where(owners.c.aggregate_id == bindparam("aggregate"))


class EvaluationProjection:
    name = "evaluation"
    version = VERSION
    metadata = metadata
    retired_tables = ("evaluation_facts", "evaluation_owners", "evaluation_rounds")
    event_classes = frozenset(_FACTS) | {_ROUND_OPENED, _SHARED, _LIS1_STARTED, _POSTS_REPORTED}

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event)
        if kind is _POSTS_REPORTED:
            _posts_reported(conn, event, position)
            return
        if kind is _ROUND_OPENED:
            insert_row(
                conn,
                rounds,
                round_id=str(event.originator_id),
                name=event.name,
                application_deadline=event.application_deadline,
                lis1_starts_on=event.lis1_starts_on,
            )
            return
        if kind in (_SHARED, _LIS1_STARTED):
            self._remember(conn, event)
        if kind is _SHARED:
            self._insert(conn, event, position, "shared", {"round_id": event.round_id}, None)
            return
        if kind not in _FACTS:
            return
        if kind is _CONSENT_WITHDRAWN and event.purpose != "forum_sharing":
            return  # the funnel counts who left the forum's view, not other consents
        fact, attrs = _FACTS[kind]
        field = _MUNICIPALITY_FIELD.get(kind)
        municipality = getattr(event, field) if field else None
        self._insert(conn, event, position, fact, attrs(event), municipality)

    def _remember(self, conn: Connection, event: Any) -> None:
        insert_row(
            conn, owners, aggregate_id=str(event.originator_id), candidate_id=event.candidate_id
        )

    def _owner(self, conn: Connection, event: Any) -> str:
        """Candidacy and career events name their candidate in their first event only."""
        aggregate_id = str(event.originator_id)
        if isinstance(event, Candidate.Event):
            return aggregate_id
        row = conn.execute(_OWNER, {"aggregate": aggregate_id}).one()
        return str(row.candidate_id)

    def _insert(
        self,
        conn: Connection,
        event: Any,
        position: int,
        fact: str,
        attrs: dict[str, Any],
        municipality: str | None,
    ) -> None:
        insert_later(
            conn,
            facts,
            position=position,
            candidate_id=self._owner(conn, event),
            fact=fact,
            municipality=municipality,
            occurred_at=event.stamp.occurred_at,
            recorded_at=event.stamp.recorded_at,
            attrs=attrs,
        )


def _posts_reported(conn: Connection, event: Any, position: int) -> None:
    """Every report is kept: the latest recorded by `known_at` is the one that counts then."""
    insert_later(
        conn,
        gp_posts,
        position=position,
        municipality=event.municipality,
        as_of=event.as_of,
        total=event.total,
        vacant=event.vacant,
        held_by_locums=event.held_by_locums,
        retirements_expected=event.retirements_expected,
        recorded_at=event.stamp.recorded_at,
    )
