"""Sending: e-mail through SMTP and webhooks over HTTP. Each send carries its idempotency key."""

from __future__ import annotations

import json
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiosmtplib
import httpx
from helgeland_contracts.sealing import SealingError, unseal
from helgeland_platform.egress import DestinationRefused, Destinations, GuardedTransport
from sqlalchemy import select
from sqlalchemy.engine import Engine

from helgeland_notifications import store
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.signing import headers

OSLO = ZoneInfo("Europe/Oslo")


class DeliveryFailed(Exception):
    """The recipient did not take the message; it will be retried."""


class SubscriptionEnded(Exception):
    """The webhook's subscription has ended: the delivery is cancelled, not retried."""


class Senders:
    def __init__(
        self, settings: NotifySettings, engine: Engine, destinations: Destinations | None = None
    ) -> None:
        self.settings = settings
        self.engine = engine
        # Every webhook connects through the destination check, at the moment of connecting
        # (a name that now resolves inside is refused); redirects are not followed.
        self.destinations = destinations or settings.webhook_destinations()
        ca = settings.webhook_ca_file
        self.http = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
            transport=GuardedTransport(
                self.destinations,
                verify=ssl.create_default_context(cafile=ca) if ca is not None else None,
            ),
        )
        # STARTTLS verifies the server's certificate: against the system's CAs, or the given.
        self._tls = (
            ssl.create_default_context(cafile=settings.smtp_ca_file)
            if settings.smtp_starttls
            else None
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, row: Any, now: datetime) -> None:
        if row.channel == "email":
            await self._email(row, now)
        else:
            await self._webhook(row, now)

    def message_id(self, key: str) -> str:
        """The e-mail's Message-ID: its idempotency key at the configured domain, so every
        attempt at one delivery carries the same id (a receiver can drop a repeat), and no two
        deliveries share one. (`email.utils.make_msgid` would draw a new id per attempt.)"""
        return f"<{key}@{self.settings.mail_domain()}>"

    def compose(self, row: Any, now: datetime) -> EmailMessage:
        """The message for one attempt: dated when it is handed to the relay."""
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = row.recipient
        message["Subject"] = row.subject
        message["Date"] = format_datetime(now.astimezone(OSLO))
        message["Message-ID"] = self.message_id(row.key)
        reply_to = (row.payload or {}).get("reply_to")
        if reply_to:
            message["Reply-To"] = reply_to
        message["X-Idempotency-Key"] = row.key
        message.set_content(row.body_text)
        message.add_alternative(row.body_html, subtype="html")
        for attached in (row.payload or {}).get("attachments", []):
            # A calendar file (RFC 6047): text/calendar with its METHOD, also as a file.
            message.add_attachment(
                attached["calendar"],
                subtype="calendar",
                filename=attached["filename"],
                params={"method": "PUBLISH"},
            )
        return message

    async def _email(self, row: Any, now: datetime) -> None:
        message = self.compose(row, now)
        password = self.settings.smtp_password
        try:
            await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                start_tls=self.settings.smtp_starttls,
                tls_context=self._tls,
                username=self.settings.smtp_username,
                password=password.get_secret_value() if password else None,
                timeout=30,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP: {error}") from error

    def _secret(self, subscription_id: str) -> str:
        with self.engine.connect() as conn:
            secret, active = conn.execute(
                select(store.subscriptions.c.secret, store.subscriptions.c.active).where(
                    store.subscriptions.c.subscription_id == subscription_id
                )
            ).one()
        if not active:
            msg = "the subscription has ended"
            raise SubscriptionEnded(msg)
        return str(secret)

    async def _webhook(self, row: Any, now: datetime) -> None:
        try:
            secret = unseal(self._secret(row.subscription_id), self.settings.sealing_key())
        except SealingError as error:
            raise DeliveryFailed(f"signing: {error}") from error
        sent = {k: v for k, v in row.payload.items() if k != "_meta"}
        body = json.dumps(
            {**sent, "timestamp": row.created_at.isoformat()}, separators=(",", ":")
        ).encode()
        signed = headers(secret, row.key, int(now.timestamp()), body)
        # What went wrong is told to the subscriber in a few words: never an address, a
        # resolver's or a socket's message (that would map the inside network for them).
        try:
            self.destinations.check_scheme(row.recipient)
            response = await self.http.post(row.recipient, content=body, headers=signed)
        except DestinationRefused as error:
            raise DeliveryFailed("destination not allowed") from error
        except httpx.TimeoutException as error:
            raise DeliveryFailed("timeout") from error
        except httpx.HTTPError as error:
            raise DeliveryFailed(_category(error)) from error
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}")


def _category(error: BaseException) -> str:
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        cause = cause.__cause__ or cause.__context__
    return "connection failed"
