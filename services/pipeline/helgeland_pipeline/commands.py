"""What the CLI's commands do, with the heavy imports kept out of `helgeland --help`."""

from __future__ import annotations

import contextlib
import signal
import threading
from functools import partial

import uvicorn
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.demo import seed_demo
from helgeland_pipeline.settings import Settings


def serve(settings: Settings, host: str | None, port: int | None) -> None:
    host, port = host or settings.host, port or settings.port
    if settings.demo:
        seed(settings)
    url = f"http://{host}:{port}"
    print(f"Helgelandslegen pipeline serving at {url}  (API docs: {url}/docs)")
    if settings.demo:
        print("Demo tokens (paste as 'Authorization: Bearer TOKEN'):")
        print("  .venv/bin/helgeland token hospital_recruiter")
        print("  .venv/bin/helgeland token municipality --municipality 1833")
        print("  .venv/bin/helgeland token forum | evaluator | admin")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


def seed(settings: Settings) -> None:
    services = build_services(settings)
    try:
        seeded = seed_demo(services.app)
        services.catch_up()
    finally:
        services.close()
    print("Demo data loaded." if seeded else "Demo data already present; nothing added.")


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
        with Progress(*columns) as progress:
            for runner in services.runners:
                runner.drop_tables()
                runner.create_tables()
                task = progress.add_task(f"rebuilding {runner.projection.name}", total=total)
                runner.catch_up(on_page=partial(progress.advance, task))
                progress.update(task, completed=total)
    finally:
        services.close()
    print(f"Rebuilt {len(services.runners)} read model(s) from {total} events.")
