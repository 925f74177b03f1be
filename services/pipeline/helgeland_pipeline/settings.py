"""One settings object for the whole service, read from `HELGELAND_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    host: str = "127.0.0.1"
    port: int = 8000

    auth_issuer: str = "https://demo.helgeland.invalid/issuer"
    auth_audience: str = "helgeland-pipeline"
    auth_jwks_file: Path | None = None
    auth_jwks_url: str | None = None
    auth_algorithms: list[str] = ["RS256", "ES256"]

    projection_page_size: int = 500
    projection_poll_seconds: float = 0.5
    read_your_writes_timeout: float = 5.0

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if not self.database_url.startswith(("sqlite:", "postgresql:", "postgres:")):
            msg = "database_url must start with sqlite: or postgresql:"
            raise ValueError(msg)
        return self

    @property
    def demo_jwks_file(self) -> Path:
        """Where demo mode keeps its local issuer's private key set."""
        return self.data_dir / "demo-issuer-jwks.json"
