"""What the CLI's commands do, with the heavy imports kept out of `helgeland --help`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import datetime
from functools import partial
from pathlib import Path

from helgeland_platform.leadership import Leadership
from pydantic import SecretStr
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from helgeland_pipeline.bootstrap import (
    Services,
    build_evaluation,
    build_services,
    build_verifier,
    demo_issuer,
)
from helgeland_pipeline.bootstrap import migrate as migrate_database
from helgeland_pipeline.cli_errors import CliError
from helgeland_pipeline.domain.common import Role, end_of_day, programme_day
from helgeland_pipeline.readside.overview import (
    ReadModelStatus,
    read_status,
    skip_event,
    status_json,
)
from helgeland_pipeline.readside.runner import (
    ProjectionFailed,
    ProjectionRunner,
    catch_up_together,
)
from helgeland_pipeline.readside.status import SkipRefused
from helgeland_pipeline.settings import Settings

_STDERR = Console(stderr=True)  # progress goes to stderr; stdout holds only the result


def serve(settings: Settings, host: str | None, port: int | None) -> None:
    host, port = host or settings.host, port or settings.port
    # Whatever would stop the service is said in one line before anything claims to serve.
    _preflight(settings)
    listener = _listen(host, port)
    demo_end = seed(settings) if settings.demo else 0
    url = f"http://{host}:{port}"
    print(f"Helgelandslegen pipeline serving at {url}  (API docs: {url}/docs)")
    ports = _demo_ports(settings) if settings.demo else None
    # The demo's e-mails link to this service unless another public URL is configured.
    os.environ.setdefault("HELGELAND_NOTIFY_PUBLIC_URL", url)
    if ports is not None:
        settings = with_demo_notifications(settings, ports[1])
    notifications = _NotificationsChild(settings, demo_end, *ports).start() if ports else None
    if settings.demo:
        print(f"Open {url} in a browser and sign in as any demo role (Logg inn).")
        print("Demo tokens (paste as 'Authorization: Bearer TOKEN'):")
        print("  .venv/bin/helgeland token hospital_recruiter")
        print("  .venv/bin/helgeland token municipality --municipality 1833")
        print("  .venv/bin/helgeland token forum | evaluator | admin")
        assert ports is not None
        print(
            f"Demo e-mail lands in {settings.data_dir / 'mail'}/ as .eml files (demo SMTP "
            f"server on 127.0.0.1:{ports[0]}); "
            f"notifications API: http://127.0.0.1:{ports[1]}/docs"
        )
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again: with this handler
    # that ends in SystemExit, so the notifications process is stopped below, not orphaned.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    import uvicorn  # noqa: PLC0415 - the web stack is imported by the commands that serve

    from helgeland_pipeline.api.main import create_app  # noqa: PLC0415

    try:
        # No log config of uvicorn's own: its loggers go through ours (`configure_logging`).
        config = uvicorn.Config(create_app(settings), log_level="warning", log_config=None)
        server = uvicorn.Server(config)
        server.run(sockets=[listener])
    finally:
        if notifications is not None:
            notifications.stop()
        print("Helgelandslegen pipeline stopped.", flush=True)


def with_demo_notifications(settings: Settings, port: int) -> Settings:
    """In demo mode the export asks the demo's notifications API, with an admin token of the
    demo issuer, unless another service is configured."""
    if settings.notifications_url is not None:
        return settings
    token = demo_issuer(settings).issue(
        Role.ADMIN, "helgeland-pipeline", "Helgelandslegen", lifetime_seconds=365 * 24 * 3600
    )
    return settings.model_copy(
        update={
            "notifications_url": f"http://127.0.0.1:{port}",
            "notifications_token": SecretStr(token),
        }
    )


def _preflight(settings: Settings) -> None:
    """The settings the service cannot start without, and (outside demo mode, which migrates
    and seeds first) a reachable, migrated database."""
    build_verifier(settings)
    settings.pseudonym_key_bytes()
    if not settings.demo:
        build_services(settings).close()


def _listen(host: str, port: int) -> socket.socket:
    """Bind the service's socket now, so a busy port is one clear line, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as error:
        listener.close()
        msg = f"helgeland serve: cannot listen on {host}:{port}: {error.strerror or error}"
        raise CliError(msg) from None
    return listener


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


class _NotificationsChild:
    """The demo's notifications process, watched: when it dies, `serve` says so and restarts
    it (after a pause that grows while it keeps dying), instead of answering on without it."""

    def __init__(self, settings: Settings, demo_end: int, smtp_port: int, port: int) -> None:
        self.settings = settings
        self.demo_end = demo_end
        self.ports = (smtp_port, port)
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="notifications", daemon=True)

    def start(self) -> _NotificationsChild:
        self.process = _start_demo_notifications(self.settings, self.demo_end, *self.ports)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        pause = 1.0
        while not self._stopping.wait(0.5):
            assert self.process is not None
            code = self.process.poll()
            if code is None:
                continue
            print(
                f"The notifications process stopped (exit code {code}); "
                f"restarting it in {pause:.0f} s.",
                file=sys.stderr,
                flush=True,
            )
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, 60.0)
            self.process = _start_demo_notifications(self.settings, self.demo_end, *self.ports)

    def stop(self) -> None:
        self._stopping.set()
        self._watcher.join(timeout=5)
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()  # its pending messages wait for the next start
            self.process.wait()


def _demo_ports(settings: Settings) -> tuple[int, int]:
    """The demo's SMTP and notifications ports: the configured ones, else free ones (so two
    demos on one machine do not collide)."""
    configured_smtp = os.environ.get("HELGELAND_SMTP_PORT")
    smtp = int(configured_smtp) if configured_smtp else _free_port()
    configured = "notifications_port" in settings.model_fields_set
    return smtp, settings.notifications_port if configured else _free_port()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_demo_notifications(
    settings: Settings, demo_end: int, smtp_port: int, port: int
) -> subprocess.Popen[bytes]:
    """The notifications service is its own process; demo mode starts it beside the API.

    On its first start it stays quiet about the demo's history, up to `demo_end`, and not up
    to wherever the log is when it gets going: a list sent in the meantime is news.
    """
    env = {
        **os.environ,
        "HELGELAND_DATABASE_URL": settings.database_url,
        "HELGELAND_DATA_DIR": str(settings.data_dir),
        "HELGELAND_QUIET_UNTIL": str(demo_end),
        "HELGELAND_SMTP_PORT": str(smtp_port),
    }
    if settings.database_schema:
        env["HELGELAND_DATABASE_SCHEMA"] = settings.database_schema
    command = [
        *(sys.executable, "-m", "helgeland_notifications.cli", "run", "--demo"),
        *("--port", str(port)),
    ]
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own module, fixed arguments


def migrate(settings: Settings) -> None:
    """Bring the database's own tables to this release's schema."""
    before, after = migrate_database(settings)
    if before == after:
        print(f"The database is at migration {after}; nothing to do.")
    else:
        print(f"Migrated the database from {before or 'nothing'} to {after}.")


def seed(settings: Settings) -> int:
    """Load the demo data once; return the log's last position."""
    from helgeland_pipeline.demo import seed_demo  # noqa: PLC0415 - only this command seeds

    services = build_services(settings, migrate=True)
    try:
        seeded = seed_demo(services.app)
        services.catch_up()
        end = services.app.recorder.max_notification_id() or 0
    finally:
        services.close()
    print("Demo data loaded." if seeded else "Demo data already present; nothing added.")
    return end


def synthesize(settings: Settings, candidates: int, seed: int, years: int) -> None:
    """Write a national synthetic history into the configured store (read models follow when
    the service runs or `helgeland rebuild` builds them). A bar on a terminal, lines otherwise.
    """
    from time import perf_counter  # noqa: PLC0415

    from helgeland_pipeline.national import NationalHistory  # noqa: PLC0415

    services = build_services(settings, migrate=True)
    try:
        history = NationalHistory(services.app, candidates, seed=seed, years=years)
        started = perf_counter()
        with _progress() as progress:
            task = progress.add_task("synthesizing candidates", total=candidates)
            events = history.run(lambda people, _: progress.advance(task, people))
            progress.update(task, completed=candidates)
        seconds = max(perf_counter() - started, 1e-9)
    finally:
        services.close()
    print(
        f"Synthesized {candidates} candidates: {events} events in {seconds:.1f} s "
        f"({events / seconds:.0f} events/s)."
    )


def project(settings: Settings, *, until_caught_up: bool) -> None:
    services = build_services(settings)
    try:
        if until_caught_up:
            try:
                services.catch_up()
            except ProjectionFailed as failed:
                raise CliError(f"helgeland project: {failed}") from None
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        services.start_runners()
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        services.close()


def projections_status(settings: Settings, *, as_json: bool) -> int:
    """Print every read model's state; exit 1 when one is failing (for scripts and probes)."""
    services = build_services(settings)
    try:
        found = read_status(services.runners)
    finally:
        services.close()
    if as_json:
        for item in found:
            print(json.dumps(status_json(item), ensure_ascii=False))
    else:
        _print_status(found)
    return 1 if any(item.failing for item in found) else 0


def _print_status(found: list[ReadModelStatus]) -> None:
    table = Table(box=None, pad_edge=False)
    for column in ("read model", "state", "position", "log end", "lag", "last error"):
        table.add_column(column)
    for item in found:
        error = "-"
        if item.failure is not None:
            failure = item.failure
            where = f"event {failure.position} ({failure.event_type})" if failure.position else ""
            error = f"{where} {failure.error} ×{failure.attempts}".strip()
        lag = f"{item.lag_events} events, {item.lag_seconds:.0f} s" if item.lag_events else "0"
        table.add_row(item.key, item.state, str(item.position), str(item.head), lag, error)
    Console(width=200).print(table)
    for item in found:
        for skip in item.skips:
            print(
                f"{item.key}: skipped event {skip.position} ({skip.event_type}) "
                f"by {skip.skipped_by} at {skip.skipped_at:%Y-%m-%d %H:%M} UTC: {skip.reason}"
            )


def projections_skip(
    settings: Settings, projection: str, position: int, reason: str, by: str | None
) -> None:
    services = build_services(settings)
    try:
        skip = skip_event(services.runners, projection, position, reason, by)
    except SkipRefused as error:
        raise CliError(f"helgeland projections skip: {error}") from None
    finally:
        services.close()
    print(
        f"{skip.projection} will step over event {skip.position} ({skip.event_type}); "
        f"recorded as decided by {skip.skipped_by}"
    )


def rebuild(settings: Settings, *, from_zero: bool = False) -> None:
    """Build every read model version that is not caught up (a new version starts from the
    first event, beside the live one), switch reads to it, retire older versions; with
    `from_zero`, drop the current versions first. Each page of the log is read and decoded once
    for all of them; stopped midway, it goes on from where each one stopped. A progress bar
    with the time left on a terminal, lines otherwise.
    """
    services = build_services(settings)
    building: list[ProjectionRunner] = []
    try:
        total = services.app.recorder.max_notification_id() or 0
        with contextlib.ExitStack() as leases:
            for runner in services.runners:
                lead = leases.enter_context(
                    Leadership(services.engine, settings.database_schema, runner.key)
                )
                if not lead.acquire():
                    print(
                        f"{runner.key} is kept by a running service; "
                        "`helgeland projections status` shows how far it has come"
                    )
                    continue
                if from_zero:
                    runner.drop_tables()
                    runner.create_tables()
                building.append(runner)
            with _progress() as progress:
                names = ", ".join(r.projection.name for r in building)
                task = progress.add_task(f"building {names}", total=total)
                if building:
                    progress.update(task, completed=min(r.position() for r in building))
                try:
                    catch_up_together(building, lambda p: progress.update(task, completed=p))
                except ProjectionFailed as failed:
                    raise CliError(f"helgeland rebuild: {failed}") from None
                progress.update(task, completed=total)
    finally:
        services.close()
    print(f"Rebuilt {len(building)} read model(s) from {total} events.")


class _LineProgress:
    """Progress as plain lines, every tenth, where stderr is not a terminal (logs, CI)."""

    def __init__(self) -> None:
        self.tasks: dict[int, tuple[str, int, int, int]] = {}

    def __enter__(self) -> _LineProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: int) -> TaskID:
        self.tasks[len(self.tasks)] = (description, total, 0, -1)
        return TaskID(len(self.tasks) - 1)

    def advance(self, task: TaskID, amount: float) -> None:
        self.update(task, completed=self.tasks[task][2] + int(amount))

    def update(self, task: TaskID, completed: float) -> None:
        description, total, _, shown = self.tasks[task]
        tenth = int(10 * completed / total) if total else 10
        if tenth != shown:
            print(f"{description}: {int(completed)}/{total}", file=sys.stderr, flush=True)
        self.tasks[task] = (description, total, int(completed), tenth)


def _progress() -> Progress | _LineProgress:
    if not _STDERR.is_terminal:
        return _LineProgress()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), TimeRemainingColumn(), console=_STDERR)


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
    from helgeland_pipeline.evaluation.report import VIEWS, render  # noqa: PLC0415 - plots

    engine = services.database.async_engine()
    evaluation = build_evaluation(services, engine)
    total = services.app.recorder.max_notification_id() or 0
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    views = VIEWS
    try:
        with Progress(*columns, console=_STDERR) as progress:
            replay = progress.add_task("replaying the log", total=total)
            for runner in services.runners:
                runner.catch_up(on_page=partial(progress.advance, replay))
            progress.update(replay, completed=total)
            steps = progress.add_task("computing figures", total=len(views) + 3)
            funnel = await evaluation.funnel(as_of, known, "all")
            progress.advance(steps)
            retention = {}
            for label, scope, group in views:
                retention[label] = await evaluation.retention(as_of, known, scope, group)
                progress.advance(steps)
            cycles = await evaluation.cycles(as_of, known)
            progress.advance(steps)
            vacancy = await evaluation.vacancy(as_of, known)
            progress.advance(steps)
        return render(as_of, known, funnel, retention, cycles, vacancy)
    finally:
        await engine.dispose()
