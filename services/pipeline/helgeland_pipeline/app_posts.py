"""The forum's problem: GP posts per municipality, reported by the municipality or the forum."""

from __future__ import annotations

from datetime import date, datetime

from eventsourcing.application import AggregateNotFoundError

from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.common import Actor
from helgeland_pipeline.domain.gp_posts import GpPosts, PostCounts, gp_posts_id
from helgeland_pipeline.policy import check_acts_for, check_not_hospital


class PostsCommands(PipelineBase):
    def report_gp_posts(
        self,
        actor: Actor,
        municipality: str,
        as_of: date,
        counts: PostCounts,
        occurred_at: datetime | None = None,
    ) -> Saved:
        """A municipality's GP posts as they stood on `as_of` (a later report for the same
        date corrects it). The municipality reports its own; the forum may report for any."""
        self.check_municipality(municipality)
        check_not_hospital(actor, "the municipalities and the forum report GP posts")
        check_acts_for(actor, municipality, "a municipality reports its own GP posts only")
        stamp = self._stamp(actor, occurred_at)
        try:
            posts: GpPosts = self.repository.get(gp_posts_id(municipality))
        except AggregateNotFoundError:
            posts = GpPosts(municipality, stamp)
        posts.report(as_of, counts, stamp)
        return self._save(posts)
