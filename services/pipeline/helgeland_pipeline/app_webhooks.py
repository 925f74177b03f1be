"""Commands for webhook subscriptions: each organisation manages its own."""

from __future__ import annotations

import base64
import secrets
from uuid import UUID

from helgeland_contracts.sealing import seal
from helgeland_platform.egress import DestinationRefused

from helgeland_pipeline.app_base import PipelineBase, Saved
from helgeland_pipeline.domain.common import Actor, InvalidInput
from helgeland_pipeline.domain.forum import NotYours
from helgeland_pipeline.domain.webhooks import WebhookSubscription


class WebhookCommands(PipelineBase):
    def subscribe_webhook(
        self, actor: Actor, url: str, event_types: list[str]
    ) -> tuple[Saved, str]:
        """Subscribe the actor's organisation; returns the signing secret (shown once; the log
        keeps it sealed). Outside demo mode the URL must be https to a public address (or an
        allow-listed one); the notifications service checks it again at every delivery."""
        key = self.sealing_key()
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        subscription = WebhookSubscription.subscribe(
            actor.organisation,
            str(actor.role),
            actor.municipality,
            url,
            event_types,
            seal(secret, key),
            self._stamp(actor, None),
        )
        try:
            self.webhook_destinations.check_url(url)
        except DestinationRefused as error:
            raise InvalidInput(str(error)) from None
        return self._save(subscription), secret

    def unsubscribe_webhook(self, actor: Actor, subscription_id: UUID) -> Saved:
        subscription = self._get(subscription_id, WebhookSubscription, "subscription")
        if subscription.organisation != actor.organisation:
            msg = "the subscription belongs to another organisation"
            raise NotYours(msg)
        subscription.unsubscribe(self._stamp(actor, None))
        return self._save(subscription)
