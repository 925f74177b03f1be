"""One settings object for the whole service, read from `HELGELAND_*` environment variables."""

from __future__ import annotations

import secrets
from pathlib import Path

from helgeland_contracts.sealing import SealingError, demo_key, parse_key
from helgeland_platform.engines import check_schema_name
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(Exception):
    """A setting that the requested work needs is missing or invalid."""


class Settings(BaseSettings):
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

    webhook_sealing_key: SecretStr | None = Field(
        default=None,
        description="64 hex digits sealing webhook secrets in the log, shared with the "
        "notifications service (demo: kept in data_dir)",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None, description="HMAC key for evaluators' pseudonyms (demo: kept in data_dir)"
    )

    projection_page_size: int = 500
    projection_poll_seconds: float = 0.5
    projection_retry_max_seconds: float = Field(
        default=30.0, gt=0, description="longest pause between retries of a failing projection"
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

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.database_url.startswith(("sqlite:", "postgresql:", "postgres:")):
            msg = "database_url must start with sqlite: or postgresql:"
            raise ValueError(msg)
        check_schema_name(self.database_schema)
        return self

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

    @property
    def demo_jwks_file(self) -> Path:
        """Where demo mode keeps its local issuer's private key set."""
        return self.data_dir / "demo-issuer-jwks.json"
