"""Webhook subscriptions as their owners list them (the secret is never shown again)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, update

from helgeland_pipeline.readside.dispatch import classes
from helgeland_pipeline.readside.webhooks.tables import VERSION, metadata, subscriptions

_SUBSCRIBED, _UNSUBSCRIBED = classes(
    "WebhookSubscription.Subscribed", "WebhookSubscription.Unsubscribed"
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
