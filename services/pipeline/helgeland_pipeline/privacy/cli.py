"""`helgeland export CANDIDATE_ID --out FILE`: the same export as the API, to a file."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from pathlib import Path
from typing import Any
from uuid import UUID

from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.bootstrap import Services, build_services, deliveries_client
from helgeland_pipeline.cli_errors import CliError
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.privacy.access_log import AccessLog
from helgeland_pipeline.privacy.deliveries import DeliveriesUnavailable
from helgeland_pipeline.privacy.export import build_export
from helgeland_pipeline.privacy.html import render_export
from helgeland_pipeline.settings import Settings

CLI_ROUTE = "helgeland export"


def export(settings: Settings, candidate_id: UUID, out: Path, *, html: bool) -> None:
    """Write the export; the operator (the operating-system user) is in the access log."""
    actor = Actor(f"cli:{getpass.getuser()}", "helgeland CLI", Role.ADMIN)
    services = build_services(settings)
    try:
        document = asyncio.run(_build(services, settings, actor, candidate_id))
    except NotFound as error:
        raise CliError(f"helgeland export: {error}") from None
    except DeliveriesUnavailable as error:
        raise CliError(f"helgeland export: {error}") from None
    finally:
        services.close()
    text = render_export(document) if html else json.dumps(document, ensure_ascii=False, indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    out.chmod(0o600)  # also when the file was there before
    print(f"wrote the export of candidate {candidate_id} to {out}")


async def _build(
    services: Services, settings: Settings, actor: Actor, candidate_id: UUID
) -> dict[str, Any]:
    engine = services.database.async_engine()
    access_log = AccessLog(engine)

    async def record(ids: list[UUID]) -> None:
        await access_log.record(actor, services.app.clock(), "CLI", CLI_ROUTE, ids)

    try:
        return await build_export(
            services.app,
            engine,
            services.runners,
            access_log,
            deliveries_client(settings),
            actor,
            candidate_id,
            record,
        )
    finally:
        await engine.dispose()
