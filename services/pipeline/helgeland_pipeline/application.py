"""The pipeline application: every command of the hospital and the municipal side."""

from __future__ import annotations

from helgeland_pipeline.app_base import Clock, NotFound, Saved, utc_now
from helgeland_pipeline.app_career import CareerCommands
from helgeland_pipeline.app_consent import ConsentCommands
from helgeland_pipeline.app_forum import ForumCommands
from helgeland_pipeline.app_hospital import HospitalCommands
from helgeland_pipeline.app_posts import PostsCommands
from helgeland_pipeline.app_privacy import PrivacyCommands
from helgeland_pipeline.app_students import StudentCommands
from helgeland_pipeline.app_webhooks import WebhookCommands

__all__ = ["Clock", "NotFound", "PipelineApplication", "Saved", "utc_now"]


class PipelineApplication(
    HospitalCommands,
    StudentCommands,
    ForumCommands,
    ConsentCommands,
    CareerCommands,
    WebhookCommands,
    PrivacyCommands,
    PostsCommands,
):
    """Commands: load, ask the aggregates, save (atomically when several change)."""

    name = "Pipeline"
