"""E-mail through a mail server that requires STARTTLS and login, as a real relay would.

A real aiosmtpd server with a certificate made for the test; the service trusts it through
`HELGELAND_SMTP_CA_FILE`, upgrades with STARTTLS, logs in, and only then may send.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import Worker
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.settings import Settings

from tests.factories import Clock, forum_list
from tests.integration.notify_support import deliveries, free_port, run_until_settled

USER, PASSWORD = "varsel", "hemmelig-passord"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "helgeland test relay")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Relay:
    """Takes mail only over TLS from a logged-in client, and says how each one came."""

    port: int
    received: list[tuple[str, bool, bool]] = field(default_factory=list)  # (to, tls, login)
    refused_logins: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for to in envelope.rcpt_tos:
            self.received.append((to, session.ssl is not None, bool(session.authenticated)))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if not ok:
            self.refused_logins += 1
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[tuple[Relay, Path]]:
    cert, key = certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    relay = Relay(port=free_port())
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=relay.port,
        tls_context=context,
        require_starttls=True,
        authenticator=relay.authenticate,
        auth_require_tls=True,
        auth_required=True,
    )
    controller.start()
    try:
        yield relay, cert
    finally:
        controller.stop()


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    built = build_services(settings, clock=Clock())
    yield built
    built.close()


def worker_for(settings: Settings, relay: Relay, cert: Path, password: str) -> Worker:
    return Worker(
        NotifySettings(
            database_url=settings.database_url,
            database_schema=settings.database_schema,
            data_dir=settings.data_dir,
            smtp_host="127.0.0.1",
            smtp_port=relay.port,
            smtp_starttls=True,
            smtp_username=USER,
            smtp_password=password,
            smtp_ca_file=cert,
            start_quiet=False,
            auto_migrate=True,
            retry_schedule_seconds=[0.02],
            poll_seconds=0.05,
        )
    )


async def test_mail_goes_over_starttls_after_login(
    services: Services, settings: Settings, relay: tuple[Relay, Path]
) -> None:
    server, cert = relay
    forum_list(services.app, shared=1)
    worker = worker_for(settings, server, cert, PASSWORD)
    try:
        await run_until_settled(worker)
        rows = deliveries(worker)
    finally:
        await worker.close()
    mails = [r for r in rows if r.channel == "email"]
    assert len(mails) == 19  # the forum list: 18 municipalities and the forum
    assert {r.status for r in mails} == {"delivered"}
    assert sorted(to for to, _, _ in server.received) == sorted(r.recipient for r in mails)
    assert {(tls, login) for _, tls, login in server.received} == {(True, True)}


async def test_a_wrong_password_sends_nothing_and_says_why(
    services: Services, settings: Settings, relay: tuple[Relay, Path]
) -> None:
    server, cert = relay
    forum_list(services.app, shared=1)
    worker = worker_for(settings, server, cert, "feil-passord")
    try:
        await run_until_settled(worker)
        rows = [r for r in deliveries(worker) if r.channel == "email"]
    finally:
        await worker.close()
    assert server.received == []
    assert server.refused_logins > 0
    assert {r.status for r in rows} == {"dead"}
    assert all("SMTP" in (r.last_error or "") for r in rows)


async def test_an_untrusted_certificate_is_refused(
    services: Services, settings: Settings, relay: tuple[Relay, Path], tmp_path: Path
) -> None:
    server, _ = relay
    (tmp_path / "other").mkdir()
    other, _ = certificate(tmp_path / "other")  # a stranger's certificate, not the relay's
    forum_list(services.app, shared=1)
    worker = worker_for(settings, server, other, PASSWORD)
    try:
        await run_until_settled(worker)
        rows = [r for r in deliveries(worker) if r.channel == "email"]
    finally:
        await worker.close()
    assert server.received == []
    assert {r.status for r in rows} == {"dead"}
    assert all("CERTIFICATE_VERIFY_FAILED" in (r.last_error or "") for r in rows), rows[0]
