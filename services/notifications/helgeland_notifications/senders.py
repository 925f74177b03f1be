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
    def __init__(self, settings: NotifySettings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.http = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds)
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
        try:
            response = await self.http.post(row.recipient, content=body, headers=signed)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"HTTP: {error}") from error
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}")
