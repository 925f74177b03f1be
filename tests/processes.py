"""Running the project's commands as processes, on a test's store."""

from __future__ import annotations

import os

from helgeland_pipeline.settings import Settings


def cli_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= {
        "HELGELAND_DATABASE_URL": settings.database_url,
        "HELGELAND_DATA_DIR": str(settings.data_dir),
    }
    if settings.database_schema:
        env["HELGELAND_DATABASE_SCHEMA"] = settings.database_schema
    return env
