"""One settings object for the whole service, read from `HELGELAND_*` environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from helgeland_contracts.sealing import SealingError, demo_key, parse_key
from helgeland_platform import answer_links
from helgeland_platform.edge_settings import EdgeSettings
from helgeland_platform.egress import Destinations, parse_allowed
from helgeland_platform.engines import check_schema_name
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PSEUDONYM_KEY_MIN_BYTES = 32


class ConfigurationError(Exception):
    """A setting that the requested work needs is missing or invalid."""


class Settings(EdgeSettings, BaseSettings):  # the edges' settings too
    """Everything the composition root needs. Passed in, never read deep inside the code."""

    model_config = SettingsConfigDict(env_prefix="HELGELAND_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///data/helgeland.sqlite",
        description="sqlite:///PATH (embedded default) or postgresql://USER:PASS@HOST:PORT/DB",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema for every table (default: public)"
    )
    data_dir: Path = Path("data")
    demo: bool = Field(default=False, description="local token issuer and demo data")
    auto_migrate: bool = Field(
        default=False, description="apply database migrations at start (always in demo mode)"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    # Demo mode starts the notifications service beside the API, its own API on this port.
    notifications_port: int = Field(default=8001, ge=0, le=65535)

    auth_issuer: str = "https://demo.helgeland.invalid/issuer"
    auth_audience: str = "helgeland-pipeline"
    auth_jwks_file: Path | None = None
    auth_jwks_url: str | None = None
    auth_algorithms: list[str] = ["RS256", "ES256"]
    auth_jwks_refresh_seconds: float = Field(
        default=3600.0, gt=0, description="how often the issuer's key set is fetched again"
    )
    auth_jwks_min_refetch_seconds: float = Field(
        default=30.0,
        ge=0,
        description="a token naming an unknown key fetches the key set at most this often",
    )

    # The pages' sign-in (services/pipeline/helgeland_pipeline/web): OpenID Connect, PKCE.
    session_secret: SecretStr | None = Field(
        default=None, description="signs the pages' session cookie (demo: kept in data_dir)"
    )
    oidc_issuer: str | None = Field(
        default=None, description="OpenID Connect issuer for the pages' sign-in (HelseID, ...)"
    )
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_scope: str = "openid profile"

    webhook_sealing_key: SecretStr | None = Field(
        default=None,
        description="64 hex digits sealing webhook secrets in the log, shared with the "
        "notifications service (demo: kept in data_dir)",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None, description="HMAC key for evaluators' pseudonyms (demo: kept in data_dir)"
    )
    answer_link_key: SecretStr | None = Field(
        default=None,
        description="64 hex digits signing the links candidates answer by, shared with the "
        "notifications service (demo: kept in data_dir)",
    )

    evaluation_min_cell: int = Field(
        default=5,
        ge=1,
        description="k: the evaluation shows no group or count of fewer persons (1 turns it off)",
    )

    forum_includes_undecided: bool = Field(
        default=False,
        description="the forum list holds those who declared general practice; true widens "
        "it to the undecided (their LIS1 is never coupled)",
    )

    api_projections: bool = Field(
        default=True,
        description="`serve` runs the projection runners too (standing by while another "
        "process leads); false leaves them to `helgeland project` workers",
    )

    webhook_allowed_destinations: list[str] = Field(
        default=[],
        description="host names and networks (CIDR) webhooks may reach although internal; "
        "outside demo mode every other webhook URL must be https to a public address",
    )

    projection_page_size: int = 500
    projection_poll_seconds: float = 0.5
    projection_retry_max_seconds: float = Field(
        default=30.0, gt=0, description="longest pause between retries of a failing projection"
    )
    retention_unhired_days: int = Field(
        default=365,
        ge=1,
        description="candidates never hired are erased this many days after their round closes",
    )
    retention_unapplied_days: int = Field(
        default=365,
        ge=1,
        description="people registered (student contacts) who never applied to a round are "
        "erased this many days after the last event about them",
    )
    retention_interval_seconds: float = Field(
        default=3600.0, gt=0, description="how often the retention job looks for them"
    )
    read_your_writes_timeout: float = 5.0
    ready_max_lag_events: int = Field(
        default=1000, ge=0, description="/health/ready fails when a read model lags more"
    )

    # Privacy (issue 12): the access log's retention, and where the export finds deliveries.
    access_log_retention_days: int = Field(
        default=730, ge=1, le=36500, description="days an access-log entry is kept (Normen)"
    )
    access_log_prune_seconds: float = Field(
        default=3600.0, gt=0, description="how often the worker prunes the access log"
    )
    notifications_url: str | None = Field(
        default=None, description="the notifications API, for a person's export (demo: local)"
    )
    notifications_token: SecretStr | None = Field(
        default=None, description="the pipeline's bearer token (admin role) at that API"
    )

    @field_validator("pseudonym_key")
    @classmethod
    def _pseudonym_key_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        # An HMAC key shorter than its hash's output (SHA-256: 32 bytes) weakens every pseudonym.
        if value is not None and len(value.get_secret_value().encode()) < PSEUDONYM_KEY_MIN_BYTES:
            msg = (
                f"must be at least {PSEUDONYM_KEY_MIN_BYTES} bytes, not "
                f"{len(value.get_secret_value().encode())} (make one with `helgeland keys`)"
            )
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.database_url.startswith(("sqlite:", "postgresql:", "postgres:")):
            msg = "database_url must start with sqlite: or postgresql:"
            raise ValueError(msg)
        check_schema_name(self.database_schema)
        parse_allowed(self.webhook_allowed_destinations)  # a bad entry fails at start
        return self

    def webhook_destinations(self) -> Destinations:
        """Where webhooks may go: anywhere in demo mode, else https to public addresses."""
        return Destinations(guarded=not self.demo, allowed=tuple(self.webhook_allowed_destinations))

    def pseudonym_key_bytes(self) -> bytes:
        """The configured key; in demo mode a random one kept in the data folder."""
        if self.pseudonym_key is not None:
            return self.pseudonym_key.get_secret_value().encode()
        if not self.demo:
            msg = "outside demo mode, set HELGELAND_PSEUDONYM_KEY"
            raise ConfigurationError(msg)
        path = self.data_dir / "demo-pseudonym-key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32), "utf-8")
            path.chmod(0o600)
        return path.read_text("utf-8").strip().encode()

    def webhook_sealing_key_bytes(self) -> bytes:
        """The configured key; in demo mode a random one kept in the data folder."""
        try:
            if self.webhook_sealing_key is not None:
                return parse_key(self.webhook_sealing_key.get_secret_value())
            if self.demo:
                return demo_key(self.data_dir)
        except SealingError as error:
            raise ConfigurationError(str(error)) from None
        msg = "outside demo mode, set HELGELAND_WEBHOOK_SEALING_KEY"
        raise ConfigurationError(msg)

    def answer_link_key_bytes(self) -> bytes:
        """The key that checks candidates' answer links; in demo mode kept in the data folder."""
        try:
            if self.answer_link_key is not None:
                return answer_links.parse_key(self.answer_link_key.get_secret_value())
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
        if self.demo:
            return answer_links.demo_key(self.data_dir)
        msg = "outside demo mode, set HELGELAND_ANSWER_LINK_KEY"
        raise ConfigurationError(msg)

    @property
    def demo_jwks_file(self) -> Path:
        """Where demo mode keeps its local issuer's private key set."""
        return self.data_dir / "demo-issuer-jwks.json"
