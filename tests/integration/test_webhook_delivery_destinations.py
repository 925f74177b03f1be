"""At delivery the destination is checked again, as the connection is made (DNS rebinding):
a name that pointed outside when subscribed and inside now gets nothing sent; an allow-listed
internal receiver gets its delivery over TLS, addressed by its name (Host, SNI, certificate).
Subscribers read what went wrong in a few words, never an address. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helgeland_notifications.senders import Senders
from helgeland_notifications.worker import Worker
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.settings import Settings
from helgeland_platform.egress import Destinations

from tests.factories import RANA, Clock, forum_list, municipal
from tests.integration.notify_support import (
    SmtpSink,
    WebhookReceiver,
    deliveries,
    free_port,
    notify_settings,
    run_until_settled,
    smtp_server,
    webhook_receiver,
)

HOOK_HOST = "mottak.rana.example"
PUBLIC = "93.184.215.14"


def certificate_for(name: str, folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for a host name (not an address), and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "hook.pem", folder / "hook.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Resolver:
    """The DNS the test controls: what each name points at, and how often it was asked."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError("no such name")
        return self.table[host]


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    with smtp_server() as sink:
        yield sink


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[WebhookReceiver, Path]]:
    cert, key = certificate_for(HOOK_HOST, tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with webhook_receiver(tls=context) as receiver:
        yield receiver, cert


def production_worker(
    settings: Settings, smtp: SmtpSink, cert: Path, resolver: Resolver, allowed: list[str]
) -> Worker:
    """The worker outside demo mode: https only, the guard on, the receiver's CA trusted."""
    notify = notify_settings(settings, smtp).model_copy(
        update={
            "webhook_require_https": True,
            "webhook_allowed_destinations": allowed,
            "webhook_ca_file": cert,
        }
    )
    worker = Worker(notify)
    destinations = Destinations(allowed=tuple(allowed), resolver=resolver)
    worker.senders = Senders(notify, worker.engine, destinations)
    return worker


def subscribe(services: Services, url: str) -> str:
    _, secret = services.app.subscribe_webhook(municipal(RANA), url, ["forum_list_sent"])
    return secret


def webhook_rows(worker: Worker) -> list[Any]:
    return [r for r in deliveries(worker) if r.channel == "webhook"]


async def test_a_name_rebound_to_the_loopback_after_subscribing_gets_nothing(
    services: Services,
    settings: Settings,
    smtp: SmtpSink,
    tls_receiver: tuple[WebhookReceiver, Path],
) -> None:
    receiver, cert = tls_receiver
    dns = Resolver({HOOK_HOST: [PUBLIC]})
    # Subscribed while the name pointed outside: the pipeline's own check passes it.
    services.app.webhook_destinations = Destinations(resolver=dns)
    subscribe(services, f"https://{HOOK_HOST}:{receiver.port}/hook")
    assert dns.asked == [HOOK_HOST]
    dns.table[HOOK_HOST] = ["127.0.0.1"]  # then rebound to where the receiver listens
    forum_list(services.app, shared=1)
    old_dead = notify_settings(settings, smtp).retry_schedule_seconds
    worker = production_worker(settings, smtp, cert, dns, allowed=[])
    try:
        await run_until_settled(worker)
        rows = webhook_rows(worker)
    finally:
        await worker.close()
    [row] = rows
    assert row.status == "dead"
    assert row.attempts == len(old_dead) + 1
    assert row.last_error == "destination not allowed"
    assert receiver.attempts == []  # not one request reached the inside
    assert dns.asked.count(HOOK_HOST) >= 2  # checked again at delivery


async def test_an_allow_listed_internal_receiver_gets_its_delivery_by_name(
    services: Services,
    settings: Settings,
    smtp: SmtpSink,
    tls_receiver: tuple[WebhookReceiver, Path],
) -> None:
    receiver, cert = tls_receiver
    url = f"https://{HOOK_HOST}:{receiver.port}/hook"
    receiver.expect("/hook", subscribe(services, url))
    forum_list(services.app, shared=1)
    dns = Resolver({HOOK_HOST: ["127.0.0.1"]})
    worker = production_worker(settings, smtp, cert, dns, allowed=[HOOK_HOST])
    try:
        await run_until_settled(worker)
        rows = webhook_rows(worker)
    finally:
        await worker.close()
    assert [r.status for r in rows] == ["delivered"]
    [hook] = receiver.at("/hook")
    # Connected to the checked address, yet addressed by name: the Host header is the URL's,
    # and TLS verified the certificate made for the name (SNI), not for 127.0.0.1.
    assert hook.headers["host"] == f"{HOOK_HOST}:{receiver.port}"
    assert receiver.unverified == []


async def test_what_went_wrong_is_told_without_network_detail(
    services: Services,
    settings: Settings,
    smtp: SmtpSink,
    tls_receiver: tuple[WebhookReceiver, Path],
) -> None:
    receiver, cert = tls_receiver
    closed = free_port()  # nobody listens here
    subscribe(services, f"https://{HOOK_HOST}:{closed}/refused")
    subscribe(services, f"https://{HOOK_HOST}:{receiver.port}/failing")
    subscribe(services, f"https://nowhere.rana.example:{receiver.port}/unknown")
    subscribe(services, f"https://127.0.0.1:{receiver.port}/by-address")  # cert is for the name
    receiver.fail("/failing", -1)
    forum_list(services.app, shared=1)
    dns = Resolver({HOOK_HOST: ["127.0.0.1"]})
    worker = production_worker(settings, smtp, cert, dns, allowed=[HOOK_HOST, "127.0.0.1"])
    try:
        await run_until_settled(worker)
        errors = {r.recipient.rsplit("/", 1)[1]: r.last_error for r in webhook_rows(worker)}
    finally:
        await worker.close()
    assert errors == {
        "refused": "connection failed",
        "failing": "HTTP 500",
        "unknown": "destination not allowed",
        "by-address": "TLS handshake failed",
    }
