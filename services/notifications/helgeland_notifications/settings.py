"""The notifications service's settings (`HELGELAND_*`, shared names with the pipeline)."""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from helgeland_contracts.sealing import demo_key, parse_key
from helgeland_platform import answer_links
from helgeland_platform.edge_settings import EdgeSettings
from helgeland_platform.egress import Destinations, parse_allowed
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*")


class NotifySettings(EdgeSettings, BaseSettings):  # the edges' settings too
    model_config = SettingsConfigDict(env_prefix="HELGELAND_", extra="ignore")

    database_url: str = "sqlite:///data/helgeland.sqlite"
    database_schema: str | None = None
    data_dir: Path = Path("data")
    demo: bool = False
    ready_max_lag_events: int = Field(
        default=1000, ge=0, description="/health/ready fails when the log is further behind"
    )
    auto_migrate: bool = Field(
        default=False, description="apply database migrations at start (always in demo mode)"
    )

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_ca_file: Path | None = Field(
        default=None, description="CA certificates to trust for STARTTLS (default: the system's)"
    )
    mail_from: str = "Helgelandslegen <varsel@helgelandslegen.example>"
    message_id_domain: str | None = Field(
        default=None,
        description="the domain in each e-mail's Message-ID (default: mail_from's domain)",
    )
    notify_public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="the pipeline's public base URL, linked from e-mails (demo: its own URL)",
    )
    recipients_file: Path | None = Field(
        default=None, description="JSON: forum and municipality e-mail addresses"
    )
    webhook_sealing_key: SecretStr | None = Field(
        default=None, description="the pipeline's key for webhook secrets (demo: in data_dir)"
    )
    answer_link_key: SecretStr | None = Field(
        default=None,
        description="the pipeline's key for candidates' answer links (demo: in data_dir); "
        "without it, e-mails carry no answer link",
    )

    webhook_allowed_destinations: list[str] = Field(
        default=[],
        description="host names and networks (CIDR) webhooks may reach although internal",
    )
    webhook_require_https: bool = Field(
        default=True, description="outside demo mode, deliver webhooks over https only"
    )
    webhook_ca_file: Path | None = Field(
        default=None, description="CA certificates to trust for webhooks (default: certifi's)"
    )

    start_quiet: bool = Field(
        default=True, description="on first start, send nothing about events already in the log"
    )
    quiet_until: int | None = Field(
        default=None,
        ge=0,
        description="with start_quiet: the last quiet position (default: the log's end at start)",
    )
    page_size: int = 200
    poll_seconds: float = 0.5
    webhook_timeout_seconds: float = 10.0
    delivery_concurrency: int = Field(default=8, ge=1, le=64, description="messages in flight")
    # Retries span about 37.6 hours over 9 attempts, and at least 30 hours even when every
    # wait draws the shortest jitter: more than the day Standard Webhooks asks for.
    retry_schedule_seconds: list[float] = [5, 300, 1800, 7200, 18000, 36000, 36000, 36000]
    retry_jitter: float = 0.2

    @field_validator("notify_public_url")
    @classmethod
    def _url_is_absolute(cls, value: str) -> str:
        parsed = urlsplit(value.strip())
        if parsed.scheme not in {"http", "https"} or not parsed.netloc or parsed.query:
            msg = f"must be an absolute http(s) URL without a query, not {value!r}"
            raise ValueError(msg)
        return value.strip().rstrip("/")

    @field_validator("message_id_domain")
    @classmethod
    def _domain_is_a_name(cls, value: str | None) -> str | None:
        if value is not None and not _DOMAIN.fullmatch(value):
            msg = f"must be a domain name such as helgelandslegen.no, not {value!r}"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _has_a_message_id_domain(self) -> NotifySettings:
        self.mail_domain()  # a From without a usable domain fails at start, not at sending
        return self

    def mail_domain(self) -> str:
        """The domain of every Message-ID: configured, or the sender address's."""
        if self.message_id_domain is not None:
            return self.message_id_domain
        local, at, domain = parseaddr(self.mail_from)[1].rpartition("@")
        if not (local and at and _DOMAIN.fullmatch(domain)):
            msg = f"mail_from {self.mail_from!r} has no domain: set message_id_domain"
            raise ValueError(msg)
        return domain

    @field_validator("webhook_sealing_key")
    @classmethod
    def _key_is_well_formed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            parse_key(value.get_secret_value())  # a malformed key fails at start, not later
        return value

    @field_validator("answer_link_key")
    @classmethod
    def _link_key_is_well_formed(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            answer_links.parse_key(value.get_secret_value())
        return value

    @field_validator("webhook_allowed_destinations")
    @classmethod
    def _destinations_are_well_formed(cls, value: list[str]) -> list[str]:
        parse_allowed(value)
        return value

    def webhook_destinations(self) -> Destinations:
        """Where webhooks may go, checked again at each delivery: anywhere in demo mode."""
        return Destinations(
            guarded=not self.demo,
            require_https=self.webhook_require_https,
            allowed=tuple(self.webhook_allowed_destinations),
        )

    def sealing_key(self) -> bytes | None:
        """The key that unseals webhook secrets: configured, or demo mode's, or none."""
        if self.webhook_sealing_key is not None:
            return parse_key(self.webhook_sealing_key.get_secret_value())
        if self.demo:
            return demo_key(self.data_dir)
        return None

    def link_key(self) -> bytes | None:
        """The key that signs answer links: configured, or demo mode's, or none."""
        if self.answer_link_key is not None:
            return answer_links.parse_key(self.answer_link_key.get_secret_value())
        if self.demo:
            return answer_links.demo_key(self.data_dir)
        return None

    @property
    def demo_mail_dir(self) -> Path:
        return self.data_dir / "mail"
