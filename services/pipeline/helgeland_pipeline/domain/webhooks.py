"""Webhook subscriptions: an organisation asks for signed deliveries of some events."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from eventsourcing.domain import Aggregate, event

from helgeland_pipeline.domain.common import Stamp, require, require_valid

# What a subscriber may ask for; each is filtered to what the subscriber may see.
WEBHOOK_EVENT_TYPES = (
    "forum_list_sent",
    "invitation_sent",
    "lis3_offered",
    "lis3_offer_accepted",
    "consent_withdrawn",
    "recertification_due",
)


class WebhookSubscription(Aggregate):
    @classmethod
    def subscribe(
        cls,
        organisation: str,
        role: str,
        municipality: str | None,
        url: str,
        event_types: list[str],
        sealed_secret: str,
        stamp: Stamp,
    ) -> WebhookSubscription:
        parts = urlsplit(url)
        try:
            parts.port  # noqa: B018 - raises for a port that is not a number
        except ValueError:
            parts = urlsplit("")
        printable = all(c.isprintable() and not c.isspace() for c in url)
        require_valid(
            parts.scheme in {"https", "http"} and bool(parts.hostname) and printable,
            "not an http(s) URL",
        )
        require_valid(bool(event_types), "subscribe to at least one event type")
        unknown = sorted(set(event_types) - set(WEBHOOK_EVENT_TYPES))
        require_valid(not unknown, f"unknown event type(s): {', '.join(unknown)}")
        types = sorted(set(event_types))
        return cls(organisation, role, municipality, url, types, sealed_secret, stamp)

    class Subscribed(Aggregate.Created):
        """Version 2 holds the signing secret sealed (`helgeland_contracts.sealing`); version 1
        held it in the clear as `secret`, which loads as `sealed_secret` (unsealing passes a
        clear `whsec_` secret through)."""

        class_version = 2
        organisation: str
        role: str
        municipality: str | None
        url: str
        event_types: list[str]
        sealed_secret: str
        stamp: Stamp

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["sealed_secret"] = state.pop("secret")

    @event(Subscribed)
    def __init__(
        self,
        organisation: str,
        role: str,
        municipality: str | None,
        url: str,
        event_types: list[str],
        sealed_secret: str,
        stamp: Stamp,
    ) -> None:
        self.organisation = organisation
        self.municipality = municipality
        self.active = True

    def unsubscribe(self, stamp: Stamp) -> None:
        require(self.active, "the subscription has already ended")
        self._unsubscribed(stamp=stamp)

    @event("Unsubscribed")
    def _unsubscribed(self, stamp: Stamp) -> None:
        self.active = False
