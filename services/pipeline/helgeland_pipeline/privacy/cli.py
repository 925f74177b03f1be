"""The privacy commands: `helgeland erase CANDIDATE_ID --reason TEXT` (an operator erases a
candidate), `helgeland reseal` (seal what the log holds in the clear from before sealing) and
`helgeland export CANDIDATE_ID --out FILE` (the same export as the API, to a file)."""

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
from helgeland_pipeline.domain.candidates import ErasureBasis
from helgeland_pipeline.domain.common import Actor, DomainError, Role
from helgeland_pipeline.privacy.access_log import AccessLog
from helgeland_pipeline.privacy.deliveries import DeliveriesUnavailable
from helgeland_pipeline.privacy.erasure import erase as erase_candidate
from helgeland_pipeline.privacy.export import build_export
from helgeland_pipeline.privacy.html import render_export
from helgeland_pipeline.privacy.reseal import Resealed
from helgeland_pipeline.privacy.reseal import reseal as reseal_log
from helgeland_pipeline.settings import Settings

OPERATOR_ORGANISATION = "Helgelandslegen (drift)"
CLI_ROUTE = "helgeland export"


def erase(settings: Settings, candidate_id: UUID, reason: str) -> None:
    actor = Actor(f"cli:{getpass.getuser()}", OPERATOR_ORGANISATION, Role.ADMIN)
    if not reason.strip() or "\n" in reason or "\r" in reason:
        msg = "helgeland erase: --reason must be one line of text"
        raise CliError(msg)
    services = build_services(settings)
    try:
        done = erase_candidate(services, actor, candidate_id, reason.strip(), ErasureBasis.REQUEST)
    except NotFound as error:
        raise CliError(f"helgeland erase: {error}") from None
    except DomainError as error:
        raise CliError(f"helgeland erase: {error}") from None
    finally:
        services.close()
    if done.already_erased:
        print(f"Candidate {candidate_id} was already erased; key and copies purged again.")
    else:
        print(f"Erased candidate {candidate_id} (log position {done.position}).")
    purged = ", ".join(f"{name}: {count}" for name, count in done.purged.items())
    print(f"Purged from operational tables: {purged}.")
    if done.read_models_pending:
        pending = ", ".join(done.read_models_pending)
        print(f"Not yet applied by the read model(s) {pending}: they purge when they recover.")
    print("The notifications service purges its copies when it reads the erasure from the log.")


def reseal(settings: Settings, *, restart: bool) -> None:
    """Seal what events stored before sealing hold in the clear; a line per page."""
    services = build_services(settings)

    def report(done: Resealed, end: int) -> None:
        print(
            f"position {done.position} of {end}: {done.read} events read, "
            f"{done.rewritten} resealed ({done.values} values)",
            flush=True,
        )

    try:
        done = reseal_log(services.app, services.engine, restart=restart, report=report)
    finally:
        services.close()
    print(
        f"Resealed {done.rewritten} events ({done.values} values); the log is sealed up to "
        f"position {done.position}."
    )


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
