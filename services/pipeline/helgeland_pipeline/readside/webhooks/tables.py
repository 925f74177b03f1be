"""The webhooks read model's tables, named with its version so versions live side by side."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, MetaData, String, Table

from helgeland_pipeline.readside.types import UtcDateTime

VERSION = 2
metadata = MetaData()

subscriptions = Table(
    f"webhook_v{VERSION}_subscriptions",
    metadata,
    Column("subscription_id", String(36), primary_key=True),
    Column("organisation", String(200), nullable=False, index=True),
    Column("url", String(2000), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)
