"""`helgeland-notify run`: the notifications worker and its small API, in one process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

import httpx
import uvicorn
from helgeland_platform import engines, migrations, settings_errors
from helgeland_platform.logs import configure_logging
from helgeland_platform.private_files import keep_private
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from helgeland_notifications.api import create_api
from helgeland_notifications.auth import Unauthenticated, Verifier
from helgeland_notifications.demo_smtp import start_demo_smtp
from helgeland_notifications.migrations import LOCATION as MIGRATIONS
from helgeland_notifications.settings import NotifySettings
from helgeland_notifications.worker import VERSION_TABLE, Worker, make_engine


class AuthSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HELGELAND_", extra="ignore")
    auth_issuer: str = "https://demo.helgeland.invalid/issuer"
    auth_audience: str = "helgeland-pipeline"
    auth_jwks_file: str | None = None
    auth_jwks_url: str | None = None
    auth_jwks_refresh_seconds: float = Field(default=3600.0, gt=0)
    auth_jwks_min_refetch_seconds: float = Field(default=30.0, ge=0)


class ConfigurationError(Exception):
    """A setting the service cannot start without is missing or unusable."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="helgeland-notify", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = commands.add_parser("run", help="follow the log, send e-mail and webhooks, serve the API")
    run.add_argument("--demo", action="store_true", help="also run the demo SMTP server")
    run.add_argument("--until-idle", action="store_true", help="exit when nothing is left to do")
    run.add_argument("--port", type=int, default=8001, help="API port (0: no API)")
    run.add_argument("--host", default="127.0.0.1", help="API address (0.0.0.0: every interface)")
    commands.add_parser("migrate", help="apply the database migrations of this release")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = NotifySettings(demo=True) if getattr(args, "demo", False) else NotifySettings()
    except ValidationError as error:
        print(f"helgeland-notify: {settings_errors.describe(error)}", file=sys.stderr)
        return 2
    configure_logging()
    keep_private(settings.data_dir, settings.database_url)  # files 0600, folders 0700
    try:
        if args.command == "migrate":
            _migrate(settings)
        else:
            asyncio.run(_run(settings, args.until_idle, args.port, args.host))
    except (migrations.NotMigrated, ConfigurationError) as error:
        print(f"helgeland-notify: {error}", file=sys.stderr)
        return 2
    return 0


def _migrate(settings: NotifySettings) -> None:
    engines.ensure_schema(settings.database_url, settings.database_schema)
    engine = make_engine(settings.database_url, settings.database_schema)
    try:
        before = migrations.upgrade(engine, MIGRATIONS, VERSION_TABLE, settings.database_schema)
    finally:
        engine.dispose()
    after = migrations.head(MIGRATIONS, VERSION_TABLE)
    if before == after:
        print(f"The database is at migration {after}; nothing to do.")
    else:
        print(f"Migrated the database from {before or 'nothing'} to {after}.")


async def _run(
    settings: NotifySettings, until_idle: bool, port: int, host: str = "127.0.0.1"
) -> None:
    serving = bool(port) and not until_idle
    verifier = _verifier(settings) if serving else None  # before anything starts
    smtp = (
        start_demo_smtp(settings.demo_mail_dir, port=settings.smtp_port) if settings.demo else None
    )
    worker = Worker(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = None
    if verifier is not None:
        server = uvicorn.Server(
            uvicorn.Config(
                create_api(worker, verifier),
                host=host,
                port=port,
                log_level="warning",
                log_config=None,  # uvicorn's loggers go through ours (`configure_logging`)
            )
        )
        server_task = asyncio.create_task(server.serve())
    try:
        await worker.run(stop, until_idle=until_idle)
    finally:
        if server is not None:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await server_task
        await worker.close()
        if smtp is not None:
            smtp.stop()


def _verifier(settings: NotifySettings) -> Verifier:
    from pathlib import Path  # noqa: PLC0415

    auth = AuthSettings()
    jwks = auth.auth_jwks_file or (
        str(settings.data_dir / "demo-issuer-jwks.json") if settings.demo else None
    )
    try:
        return Verifier(
            auth.auth_issuer,
            auth.auth_audience,
            Path(jwks) if jwks else None,
            auth.auth_jwks_url,
            auth.auth_jwks_refresh_seconds,
            auth.auth_jwks_min_refetch_seconds,
        )
    except Unauthenticated as error:  # no key set configured
        raise ConfigurationError(str(error)) from None
    except (OSError, ValueError, httpx.HTTPError) as error:
        where = jwks or auth.auth_jwks_url
        msg = f"cannot load the token issuer's keys from {where}: {error}"
        raise ConfigurationError(msg) from None


if __name__ == "__main__":
    raise SystemExit(main())
