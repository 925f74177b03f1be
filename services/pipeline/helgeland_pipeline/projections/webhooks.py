"""Webhook subscriptions as their owners list them (the secret is never shown again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, Connection, MetaData, String, Table, update

from helgeland_pipeline.projections.dispatch import classes
from helgeland_pipeline.projections.types import UtcDateTime

VERSION = 2
metadata = MetaData()
_SUBSCRIBED, _UNSUBSCRIBED = classes(
    "WebhookSubscription.Subscribed", "WebhookSubscription.Unsubscribed"
)

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


class WebhookProjection:
    name = "webhooks"
    version = VERSION
    metadata = metadata
    retired_tables = ("webhook_subscriptions",)
    event_classes = frozenset({_SUBSCRIBED, _UNSUBSCRIBED})

    def apply(self, conn: Connection, event: Any, position: int) -> None:
        kind = type(event)
        sid = str(event.originator_id)
        if kind is _SUBSCRIBED:
            conn.execute(
                subscriptions.insert().values(
                    subscription_id=sid,
                    organisation=event.organisation,
                    url=event.url,
                    event_types=list(event.event_types),
                    active=True,
                    created_at=event.stamp.recorded_at,
                )
            )
        elif kind is _UNSUBSCRIBED:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.subscription_id == sid)
                .values(active=False)
            )
