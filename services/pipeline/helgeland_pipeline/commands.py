"""What the CLI's commands do, with the heavy imports kept out of `helgeland --help`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
from datetime import datetime
from functools import partial
from pathlib import Path

import uvicorn
from helgeland_contracts.evaluation_v1 import Scope
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import Services, build_evaluation, build_services
from helgeland_pipeline.cli_errors import CliError
from helgeland_pipeline.demo import seed_demo
from helgeland_pipeline.domain.common import end_of_day, programme_day
from helgeland_pipeline.evaluation.report import render
from helgeland_pipeline.settings import Settings

_STDERR = Console(stderr=True)  # progress goes to stderr; stdout holds only the result


def serve(settings: Settings, host: str | None, port: int | None) -> None:
    host, port = host or settings.host, port or settings.port
    demo_end = seed(settings) if settings.demo else 0
    url = f"http://{host}:{port}"
    print(f"Helgelandslegen pipeline serving at {url}  (API docs: {url}/docs)")
    notifications = _start_demo_notifications(settings, demo_end) if settings.demo else None
    if settings.demo:
        print("Demo tokens (paste as 'Authorization: Bearer TOKEN'):")
        print("  .venv/bin/helgeland token hospital_recruiter")
        print("  .venv/bin/helgeland token municipality --municipality 1833")
        print("  .venv/bin/helgeland token forum | evaluator | admin")
        print(
            f"Demo e-mail lands in {settings.data_dir / 'mail'}/ as .eml files; "
            f"notifications API: http://127.0.0.1:{settings.notifications_port}/docs"
        )
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: with this handler
    # that ends in SystemExit, so the notifications process is stopped below, not orphaned.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    finally:
        if notifications is not None:
            notifications.terminate()
            try:
                notifications.wait(timeout=10)
            except subprocess.TimeoutExpired:
                notifications.kill()  # its pending messages wait for the next start
                notifications.wait()


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _start_demo_notifications(settings: Settings, demo_end: int) -> subprocess.Popen[bytes]:
    """The notifications service is its own process; demo mode starts it beside the API.

    On its first start it stays quiet about the demo's history, up to `demo_end`, and not up
    to wherever the log is when it gets going: a list sent in the meantime is news.
    """
    env = {
        **os.environ,
        "HELGELAND_DATABASE_URL": settings.database_url,
        "HELGELAND_DATA_DIR": str(settings.data_dir),
        "HELGELAND_QUIET_UNTIL": str(demo_end),
    }
    if settings.database_schema:
        env["HELGELAND_DATABASE_SCHEMA"] = settings.database_schema
    command = [
        *(sys.executable, "-m", "helgeland_notifications.cli", "run", "--demo"),
        *("--port", str(settings.notifications_port)),
    ]
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own module, fixed arguments


def seed(settings: Settings) -> int:
    """Load the demo data once; return the log's last position."""
    services = build_services(settings)
    try:
        seeded = seed_demo(services.app)
        services.catch_up()
        end = services.app.recorder.max_notification_id() or 0
    finally:
        services.close()
    print("Demo data loaded." if seeded else "Demo data already present; nothing added.")
    return end


def project(settings: Settings, *, until_caught_up: bool) -> None:
    services = build_services(settings)
    try:
        if until_caught_up:
            services.catch_up()
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        services.start_runners()
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        services.close()


def rebuild(settings: Settings) -> None:
    """Drop every read model and replay the whole log, with a progress bar."""
    services = build_services(settings)
    try:
        total = services.app.recorder.max_notification_id() or 0
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=_STDERR) as progress:
            for runner in services.runners:
                runner.drop_tables()
                runner.create_tables()
                task = progress.add_task(f"rebuilding {runner.projection.name}", total=total)
                runner.catch_up(on_page=partial(progress.advance, task))
                progress.update(task, completed=total)
    finally:
        services.close()
    print(f"Rebuilt {len(services.runners)} read model(s) from {total} events.")


def report(
    settings: Settings, as_of: datetime, known_at: datetime | None, out: Path | None
) -> None:
    """Catch the read models up, then compute every figure as of the date, with progress."""
    services = build_services(settings)
    now = services.app.clock()
    # Today as a bare date: as far as today has gone.
    today = end_of_day(programme_day(now))
    as_of, known = (now if t == today else t for t in (as_of, known_at or now))
    try:
        if as_of > now or known > now:
            msg = "helgeland report: --as-of and --known-at cannot lie in the future"
            raise CliError(msg)
        path = out or Path("reports") / f"evaluation-{programme_day(as_of).isoformat()}.html"
        _check_writable(path)
        html = asyncio.run(_report(services, as_of, known))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, "utf-8")
        except OSError as error:
            msg = f"helgeland report: cannot write {path}: {error.strerror or error}"
            raise CliError(msg) from None
    finally:
        services.close()
    print(f"Wrote {path}")


def _check_writable(path: Path) -> None:
    """Refuse an output path that cannot be written before spending time on the replay."""
    problem = None
    existing = next((p for p in (path.parent, *path.parent.parents) if p.exists()), None)
    if path.is_dir():
        problem = "it is a folder"
    elif path.exists():
        if not os.access(path, os.W_OK):
            problem = "it is not writable"
    elif existing is None:
        problem = "no folder on its path exists"
    elif not existing.is_dir():
        problem = f"{existing} is not a folder"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = f"{existing} is not writable"
    if problem is not None:
        msg = f"helgeland report: cannot write {path}: {problem}"
        raise CliError(msg)


async def _report(services: Services, as_of: datetime, known: datetime) -> str:
    engine = services.database.async_engine()
    evaluation = build_evaluation(services, engine)
    total = services.app.recorder.max_notification_id() or 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    views: tuple[tuple[str, Scope, str], ...] = (
        ("stay in the municipality", "municipality", "all"),
        ("stay in the region", "region", "all"),
        ("by centrality class", "municipality", "centrality_class"),
    )
    try:
        with Progress(*columns, console=_STDERR) as progress:
            replay = progress.add_task("replaying the log", total=total)
            for runner in services.runners:
                runner.catch_up(on_page=partial(progress.advance, replay))
            progress.update(replay, completed=total)
            steps = progress.add_task("computing figures", total=len(views) + 2)
            funnel = await evaluation.funnel(as_of, known, "all")
            progress.advance(steps)
            retention = {}
            for label, scope, group in views:
                retention[label] = await evaluation.retention(as_of, known, scope, group)
                progress.advance(steps)
            cycles = await evaluation.cycles(as_of, known)
            progress.advance(steps)
        return render(as_of, known, funnel, retention, cycles)
    finally:
        await engine.dispose()
