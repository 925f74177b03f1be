"""Real receivers for the notifications service's tests, and the service's settings for a store.

`SmtpSink` is an aiosmtpd server on 127.0.0.1 that keeps every message it accepts.
`WebhookReceiver` is an `http.server` endpoint that checks each delivery's signature with the
Standard Webhooks reference implementation; it can be told to fail a path N times, or always.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from aiosmtpd.controller import Controller
from helgeland_notifications import store
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import Worker
from helgeland_pipeline.settings import Settings
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

MESSAGE_ID_DOMAIN = "@helgelandslegen.example>"  # the default: the sender's domain


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- e-mail ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    to: str
    message: EmailMessage

    @property
    def key(self) -> str:
        """The idempotency key the service put in the Message-ID."""
        # Folded onto its own line (it is longer than 78 characters): valid, so strip it.
        message_id = str(self.message["Message-ID"]).strip()
        assert message_id.startswith("<"), message_id
        assert message_id.endswith(MESSAGE_ID_DOMAIN), message_id
        return message_id[1 : -len(MESSAGE_ID_DOMAIN)]

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        assert body.get_content_type() == f"text/{subtype}"
        return str(cast("EmailMessage", body).get_content())


@dataclass
class SmtpSink:
    """The handler behind the SMTP server: parses and keeps every message it accepts."""

    mails: list[Mail] = field(default_factory=list)
    # address -> how many more messages to refuse with a temporary error (451).
    failing: dict[str, int] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    refused_mails: list[Mail] = field(default_factory=list)  # as they were refused
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    delay: float = 0.0  # seconds to take over each message, as a busy server would

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        raw: bytes = envelope.original_content or envelope.content
        message = BytesParser(policy=policy.default).parsebytes(raw)
        with self.lock:
            if any(self.failing.get(to, 0) for to in envelope.rcpt_tos):
                for to in envelope.rcpt_tos:
                    self.failing[to] = max(self.failing.get(to, 0) - 1, 0)
                self.refused.extend(envelope.rcpt_tos)
                self.refused_mails.extend(Mail(to, message) for to in envelope.rcpt_tos)
                return "451 4.3.0 Try again later"
            self.mails.extend(Mail(to, message) for to in envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def snapshot(self) -> list[Mail]:
        with self.lock:
            return list(self.mails)

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.snapshot() if m.to == address]


@contextmanager
def smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


# --- webhooks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hook:
    """One request the receiver took (answered 2xx), its signature checked."""

    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict[str, Any]
    secret: str  # the one it verified with

    @property
    def key(self) -> str:
        return self.headers["webhook-id"]

    @property
    def type(self) -> str:
        return str(self.payload["type"])

    @property
    def data(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.payload["data"])


@dataclass
class WebhookReceiver:
    """What a subscriber runs: verify, then take the delivery (or fail on purpose)."""

    port: int = 0
    secrets: dict[str, list[str]] = field(default_factory=dict)
    # path -> how many more requests to answer 500 (negative: for ever).
    failing: dict[str, int] = field(default_factory=dict)
    hooks: list[Hook] = field(default_factory=list)
    attempts: list[tuple[str, int]] = field(default_factory=list)  # (path, status answered)
    unverified: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delay: float = 0.0  # seconds to take over each request
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests it was ever handling at once

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def expect(self, path: str, secret: str) -> None:
        with self.lock:
            self.secrets.setdefault(path, []).append(secret)

    def fail(self, path: str, times: int) -> None:
        with self.lock:
            self.failing[path] = times

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return self._handle(path, headers, body)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            remaining = self.failing.get(path, 0)
            if remaining:
                self.failing[path] = remaining - 1 if remaining > 0 else remaining
                self.attempts.append((path, 500))
                return 500
            candidates = list(self.secrets.get(path, []))
        payload: Any = None
        why = "no secret for this path"
        for secret in candidates:
            try:
                payload = Webhook(secret).verify(body, headers)
            except WebhookVerificationError as error:
                why = str(error)
                continue
            with self.lock:
                self.attempts.append((path, 204))
                self.hooks.append(Hook(path, headers, body, payload, secret))
            return 204
        with self.lock:
            self.unverified.append((path, why))
            self.attempts.append((path, 400))
        return 400

    def snapshot(self) -> list[Hook]:
        with self.lock:
            return list(self.hooks)

    def at(self, path: str) -> list[Hook]:
        return [h for h in self.snapshot() if h.path == path]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        body = self.rfile.read(length)
        if len(body) < length:
            # The sender died mid-request (the SIGKILL test): nothing arrived, as with any
            # HTTP server, which drops a request whose body ends early.
            self.close_connection = True
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        status = cast("_Server", self.server).receiver.handle(self.path, headers, body)
        try:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()
        except ConnectionError:
            self.close_connection = True  # the sender is gone; it took the delivery or not

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def webhook_receiver(tls: ssl.SSLContext | None = None) -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1; with `tls`, over https with that server context."""
    server = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.receiver = WebhookReceiver(port=int(server.server_address[1]))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the service -----------------------------------------------------------------------------


def notify_settings(
    settings: Settings, smtp: SmtpSink, retry: list[float] | None = None
) -> NotifySettings:
    """The notifications service on the pipeline's store, mailing the test's SMTP server."""
    return NotifySettings(
        database_url=settings.database_url,
        database_schema=settings.database_schema,
        data_dir=settings.data_dir,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        start_quiet=False,
        auto_migrate=True,
        retry_schedule_seconds=retry or [0.05, 0.05, 0.05],
        retry_jitter=0.2,
        poll_seconds=0.05,
        webhook_timeout_seconds=5.0,
        webhook_sealing_key=settings.webhook_sealing_key_bytes().hex(),
        # The test's receivers listen on plain http on the loopback: admitted explicitly, so
        # every delivery still passes the destination check.
        webhook_allowed_destinations=["127.0.0.1"],
        webhook_require_https=False,
        auth_failure_limit=settings.auth_failure_limit,
    )


def notify_env(settings: Settings, smtp: SmtpSink, retry: list[float]) -> dict[str, str]:
    """The same settings for `helgeland-notify` as a process."""
    env = {
        "HELGELAND_DATABASE_URL": settings.database_url,
        "HELGELAND_DATA_DIR": str(settings.data_dir),
        "HELGELAND_SMTP_HOST": "127.0.0.1",
        "HELGELAND_AUTO_MIGRATE": "true",
        "HELGELAND_SMTP_PORT": str(smtp.port),
        "HELGELAND_START_QUIET": "false",
        "HELGELAND_RETRY_SCHEDULE_SECONDS": json.dumps(retry),
        "HELGELAND_POLL_SECONDS": "0.05",
        "HELGELAND_WEBHOOK_TIMEOUT_SECONDS": "5",
        "HELGELAND_WEBHOOK_SEALING_KEY": settings.webhook_sealing_key_bytes().hex(),
        "HELGELAND_WEBHOOK_ALLOWED_DESTINATIONS": '["127.0.0.1"]',
        "HELGELAND_WEBHOOK_REQUIRE_HTTPS": "false",
    }
    if settings.database_schema:
        env["HELGELAND_DATABASE_SCHEMA"] = settings.database_schema
    return env


def deliveries(worker: Worker) -> list[Any]:
    with worker.engine.connect() as conn:
        return list(conn.execute(select(store.deliveries).order_by(store.deliveries.c.key)).all())


def scheduled(worker: Worker, row: Any) -> bool:
    """A message not yet tried and due later (an offer's reminder): not waited for."""
    return bool(row.attempts == 0 and row.next_attempt_at > worker.clock())


async def run_until_settled(worker: Worker, limit: float = 20.0) -> None:
    """Run the worker until the log is read and nothing is pending, retries included.

    `Worker.run(until_idle=True)` returns as soon as nothing is *due*; a retry waiting for its
    backoff is still pending, so it is run again until every delivery has an outcome (but a
    message scheduled for later, never yet tried, is not waited for).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        await worker.run(asyncio.Event(), until_idle=True)
        pending = [
            d.key for d in deliveries(worker) if d.status == "pending" and not scheduled(worker, d)
        ]
        if not pending:
            return
        assert loop.time() < deadline, f"still pending after {limit}s: {pending}"
        await asyncio.sleep(0.02)
