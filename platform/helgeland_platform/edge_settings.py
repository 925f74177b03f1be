"""The settings of both services' HTTP edges, apart from the middleware: the command lines
read them without importing the web framework (`helgeland --help` stays fast)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024
LIMIT = re.compile(r"\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day|month|year)s?")


class EdgeSettings(BaseSettings):
    """The settings of the edges, shared by both services (`HELGELAND_*`)."""

    model_config = SettingsConfigDict(env_prefix="HELGELAND_", extra="ignore")

    max_request_bytes: int = Field(
        default=MIB, ge=1, description="largest request body accepted (413 above it)"
    )
    tls_in_front: bool = Field(
        default=False, description="TLS terminates in front of the service: send HSTS"
    )
    auth_failure_limit: str = Field(
        default="10/minute",
        description="failed authentications allowed per client address (then 429), as "
        "the `limits` library writes it: '10/minute', '50 per hour'",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="where the counts live: memory:// (per process) or a shared store "
        "such as redis://HOST:6379 for several processes",
    )

    @field_validator("auth_failure_limit")
    @classmethod
    def _limit_is_well_formed(cls, value: str) -> str:
        # The `limits` grammar for one limit, checked without importing it (a worker that
        # serves no API starts without it); `FailedAuthLimit` parses it with `limits`.
        if not LIMIT.fullmatch(value.strip().lower()):
            msg = f"not a limit such as '10/minute' or '50 per hour': {value!r}"
            raise ValueError(msg)
        return value
