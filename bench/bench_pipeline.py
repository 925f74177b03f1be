"""Write and catch-up throughput of the pipeline, each next to a raw baseline from the same run.

Run from the repository root (not part of the test run):

    .venv/bin/python -m bench.bench_pipeline [--events N] [--backend sqlite|postgres|both]

On each backend, on a fresh store (a temporary SQLite file, or a PostgreSQL schema created for
the run and dropped afterwards), it measures:

a) commands/s through the real application (`build_services(Settings(...))`, then alternately
   `register_candidate` and `record_student_contact`, which loads the candidate and saves it),
   next to raw rows/s: one plain INSERT per transaction, as many rows as commands, into a table
   shaped like the event store's (sqlite3 in WAL mode with explicit BEGIN/COMMIT like the event
   store; psycopg on PostgreSQL);
b) projection catch-up in events/s from position 0 to the end of the log: `Services.catch_up()`
   with only the hospital runner (the headline figure), and the whole `Services.catch_up()`
   (every projection), next to a raw loop that reads the same stored events in pages of the
   same size, json-decodes each state, upserts one row per event and moves a tracking position,
   one transaction per page.

Application and baseline run in alternating rounds so that a noisy machine hits both alike.
See bench/README.md for what the ratios mean.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.domain.candidates import ContactKind
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.settings import Settings
from psycopg import sql

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ACTOR = Actor("bench-recruiter", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER)
MUNICIPALITIES = ("1833", "1820", "1824", "1813", "1832")

RAW_EVENTS = "bench_raw_events"
RAW_PROJECTION = "bench_raw_projection"
RAW_TRACKING = "bench_raw_tracking"

Payload = tuple[str, bytes]  # a stored event's topic and state


# --- measurements ----------------------------------------------------------------------------


@dataclass
class Timed:
    """How many things were done in how long, with the time of each one when it was kept."""

    count: int
    seconds: float
    each: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else float("nan")

    @staticmethod
    def total(parts: Sequence[Timed]) -> Timed:
        each = [t for part in parts for t in part.each]
        return Timed(sum(p.count for p in parts), sum(p.seconds for p in parts), each)

    @staticmethod
    def median(parts: Sequence[Timed]) -> Timed:
        return sorted(parts, key=lambda p: p.seconds)[(len(parts) - 1) // 2]

    def percentile_ms(self, fraction: float) -> float:
        if not self.each:
            return float("nan")
        ordered = sorted(self.each)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def spread(parts: Sequence[Timed]) -> str:
    rates = sorted(p.rate for p in parts)
    return f"{rates[0]:,.0f}–{rates[-1]:,.0f}" if len(rates) > 1 else f"{rates[0]:,.0f}"


@dataclass
class Result:
    backend: str
    where: str
    page_size: int
    events_appended: int
    mean_state_bytes: float
    commands: list[Timed]  # one per round
    raw_inserts: list[Timed]
    hospital: list[Timed]  # one per repetition
    everything: list[Timed]
    raw_catch_up: list[Timed]
    runners: list[str]


# --- the application side, the same on both backends -----------------------------------------


class Workload:
    """Half registrations (two events, nothing loaded), half student contacts (one event, the
    candidate loaded first), the contacts spread over the candidates registered so far."""

    def __init__(self, services: Services) -> None:
        self.app = services.app
        self.candidates: list[UUID] = []
        self.done = 0

    def run(self, count: int) -> Timed:
        each: list[float] = []
        kinds = list(ContactKind)
        started = time.perf_counter()
        for _ in range(count):
            i = self.done
            t0 = time.perf_counter()
            if i % 2 == 0 or not self.candidates:
                saved = self.app.register_candidate(
                    ACTOR, f"Kandidat Nummer {i}", f"kandidat{i}@student.uit.no", "+47 400 00 000"
                )
                self.candidates.append(saved.id)
            else:
                kind = kinds[i // 2 % len(kinds)]
                self.app.record_student_contact(
                    ACTOR,
                    self.candidates[i * 7919 % len(self.candidates)],
                    kind,
                    MUNICIPALITIES[i % len(MUNICIPALITIES)]
                    if kind == ContactKind.PLACEMENT
                    else None,
                )
            each.append(time.perf_counter() - t0)
            self.done += 1
        return Timed(count, time.perf_counter() - started, each)


def timed_catch_up(services: Services, total_events: int) -> Timed:
    """Rebuild the services' read models from position 0 and time `Services.catch_up()`."""
    for runner in services.runners:
        runner.drop_tables()
        runner.create_tables()
    started = time.perf_counter()
    services.catch_up()
    seconds = time.perf_counter() - started
    for runner in services.runners:
        if runner.position() != total_events:
            msg = f"{runner.projection.name} stopped at {runner.position()} of {total_events}"
            raise RuntimeError(msg)
    return Timed(total_events, seconds)


def events_table(services: Services) -> str:
    recorder = services.app.recorder
    if isinstance(recorder, (SQLiteApplicationRecorder, PostgresApplicationRecorder)):
        return recorder.events_table_name
    msg = f"unexpected recorder {type(recorder).__name__}"
    raise TypeError(msg)


def max_position(services: Services) -> int:
    return int(services.app.recorder.max_notification_id() or 0)


def occurred_at(state: dict[str, Any]) -> str | None:
    """The one field the raw projection takes from a decoded state (the stamp's time)."""
    stamp = state.get("stamp")
    data = stamp.get("_data_", stamp) if isinstance(stamp, dict) else None
    value = data.get("occurred_at") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


# --- the raw baselines -------------------------------------------------------------------------


class RawStore:
    """Plain SQL next to the application's tables: the same work, none of the machinery."""

    def create_tables(self) -> None:
        raise NotImplementedError

    def insert_rows(self, payloads: Sequence[Payload], count: int) -> Timed:
        raise NotImplementedError

    def reset_projection(self) -> None:
        raise NotImplementedError

    def catch_up(self, page_size: int) -> Timed:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteRaw(RawStore):
    def __init__(self, path: Path, events: str) -> None:
        # Like the event store: autocommit mode with explicit BEGIN/COMMIT, WAL, same timeout.
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        mode = self.conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            msg = f"SQLite did not switch to WAL (journal_mode={mode})"
            raise RuntimeError(msg)
        self.events = events

    def create_tables(self) -> None:
        self.conn.execute(
            f"CREATE TABLE {RAW_EVENTS} (originator_id TEXT, originator_version INTEGER, "
            "topic TEXT, state BLOB, PRIMARY KEY (originator_id, originator_version))"
        )

    def insert_rows(self, payloads: Sequence[Payload], count: int) -> Timed:
        statement = f"INSERT INTO {RAW_EVENTS} VALUES (?,?,?,?)"
        each: list[float] = []
        started = time.perf_counter()
        for i in range(count):
            topic, state = payloads[i % len(payloads)]
            t0 = time.perf_counter()
            self.conn.execute("BEGIN")
            self.conn.execute(statement, (uuid.uuid4().hex, 1, topic, state))
            self.conn.execute("COMMIT")
            each.append(time.perf_counter() - t0)
        return Timed(count, time.perf_counter() - started, each)

    def reset_projection(self) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS {RAW_PROJECTION}")
        self.conn.execute(f"DROP TABLE IF EXISTS {RAW_TRACKING}")
        self.conn.execute(
            f"CREATE TABLE {RAW_PROJECTION} (originator_id TEXT PRIMARY KEY, "
            "events INTEGER NOT NULL, last_position INTEGER NOT NULL, last_topic TEXT NOT NULL, "
            "occurred_at TEXT)"
        )
        self.conn.execute(f"CREATE TABLE {RAW_TRACKING} (name TEXT PRIMARY KEY, position INTEGER)")
        self.conn.execute(f"INSERT INTO {RAW_TRACKING} VALUES ('raw', 0)")

    def catch_up(self, page_size: int) -> Timed:
        conn = self.conn
        select_page = (
            f"SELECT rowid, originator_id, topic, state FROM {self.events} "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )
        upsert = (
            f"INSERT INTO {RAW_PROJECTION} VALUES (?, 1, ?, ?, ?) "
            "ON CONFLICT (originator_id) DO UPDATE SET events = events + 1, "
            "last_position = excluded.last_position, last_topic = excluded.last_topic, "
            "occurred_at = excluded.occurred_at"
        )
        advance = f"UPDATE {RAW_TRACKING} SET position = ? WHERE name = 'raw' AND position = ?"
        applied = 0
        started = time.perf_counter()
        while True:
            conn.execute("BEGIN")
            old = conn.execute(f"SELECT position FROM {RAW_TRACKING} WHERE name = 'raw'")
            position = int(old.fetchone()[0])
            page = conn.execute(select_page, (position, page_size)).fetchall()
            if not page:
                conn.execute("COMMIT")
                break
            for rowid, originator_id, topic, state in page:
                decoded = json.loads(state)
                conn.execute(upsert, (originator_id, rowid, topic, occurred_at(decoded)))
            if conn.execute(advance, (page[-1][0], position)).rowcount != 1:
                msg = "raw tracking position moved"
                raise RuntimeError(msg)
            conn.execute("COMMIT")
            applied += len(page)
        return Timed(applied, time.perf_counter() - started)

    def close(self) -> None:
        self.conn.close()


class PostgresRaw(RawStore):
    def __init__(self, url: str, schema: str, events: str) -> None:
        self.conn = psycopg.connect(url, options=f"-c search_path={schema}")
        self.events = sql.Identifier(events)
        self.table = sql.Identifier(RAW_EVENTS)
        self.projection = sql.Identifier(RAW_PROJECTION)
        self.tracking = sql.Identifier(RAW_TRACKING)

    def create_tables(self) -> None:
        self.conn.execute(
            sql.SQL(
                "CREATE TABLE {} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
                " topic text, state bytea, notification_id bigserial,"
                " PRIMARY KEY (originator_id, originator_version))"
            ).format(self.table)
        )
        self.conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (notification_id)").format(self.table))
        self.conn.commit()

    def insert_rows(self, payloads: Sequence[Payload], count: int) -> Timed:
        statement = sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s) RETURNING notification_id"
        ).format(self.table)
        each: list[float] = []
        started = time.perf_counter()
        for i in range(count):
            topic, state = payloads[i % len(payloads)]
            t0 = time.perf_counter()
            self.conn.execute(statement, (uuid.uuid4(), 1, topic, state)).fetchone()
            self.conn.commit()
            each.append(time.perf_counter() - t0)
        return Timed(count, time.perf_counter() - started, each)

    def reset_projection(self) -> None:
        for table in (self.projection, self.tracking):
            self.conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))
        self.conn.execute(
            sql.SQL(
                "CREATE TABLE {} (originator_id uuid PRIMARY KEY, events integer NOT NULL,"
                " last_position bigint NOT NULL, last_topic text NOT NULL, occurred_at text)"
            ).format(self.projection)
        )
        self.conn.execute(
            sql.SQL("CREATE TABLE {} (name text PRIMARY KEY, position bigint)").format(
                self.tracking
            )
        )
        self.conn.execute(sql.SQL("INSERT INTO {} VALUES ('raw', 0)").format(self.tracking))
        self.conn.commit()

    def catch_up(self, page_size: int) -> Timed:
        conn = self.conn
        read_position = sql.SQL("SELECT position FROM {} WHERE name = 'raw'").format(self.tracking)
        select_page = sql.SQL(
            "SELECT notification_id, originator_id, topic, state FROM {}"
            " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(self.events)
        upsert = sql.SQL(
            "INSERT INTO {0} VALUES (%s, 1, %s, %s, %s)"
            " ON CONFLICT (originator_id) DO UPDATE SET events = {0}.events + 1,"
            " last_position = excluded.last_position, last_topic = excluded.last_topic,"
            " occurred_at = excluded.occurred_at"
        ).format(self.projection)
        advance = sql.SQL(
            "UPDATE {} SET position = %s WHERE name = 'raw' AND position = %s"
        ).format(self.tracking)
        applied = 0
        started = time.perf_counter()
        while True:
            row = conn.execute(read_position).fetchone()
            position = int(row[0]) if row else 0
            page = conn.execute(select_page, (position, page_size)).fetchall()
            if not page:
                conn.commit()
                break
            with conn.cursor() as cursor:
                for notification_id, originator_id, topic, state in page:
                    decoded = json.loads(state)
                    cursor.execute(
                        upsert, (originator_id, notification_id, topic, occurred_at(decoded))
                    )
            if conn.execute(advance, (page[-1][0], position)).rowcount != 1:
                msg = "raw tracking position moved"
                raise RuntimeError(msg)
            conn.commit()
            applied += len(page)
        return Timed(applied, time.perf_counter() - started)

    def close(self) -> None:
        self.conn.close()


# --- one backend, start to end -------------------------------------------------------------


def measure(
    backend: str,
    where: str,
    settings: Settings,
    open_raw: Callable[[str], RawStore],
    count: int,
    rounds: int,
) -> Result:
    services = build_services(settings)
    try:
        workload = Workload(services)
        workload.run(2)  # opens the pools; its three events are the raw rows' payloads
        first = services.app.recorder.select_notifications(start=None, limit=3)
        payloads = [(n.topic, bytes(n.state)) for n in first]
        raw = open_raw(events_table(services))
        try:
            raw.create_tables()
            raw.insert_rows(payloads, 2)
            return _measure(backend, where, services, workload, raw, payloads, count, rounds)
        finally:
            raw.close()
    finally:
        services.close()


def _measure(
    backend: str,
    where: str,
    services: Services,
    workload: Workload,
    raw: RawStore,
    payloads: Sequence[Payload],
    count: int,
    rounds: int,
) -> Result:
    print(f"[{backend}] {count} commands and {count} raw inserts, {rounds} rounds", flush=True)
    before = max_position(services)
    commands: list[Timed] = []
    inserts: list[Timed] = []
    for k in range(rounds):
        batch = count // rounds + (1 if k < count % rounds else 0)
        if k % 2 == 0:  # alternate who goes first
            commands.append(workload.run(batch))
            inserts.append(raw.insert_rows(payloads, batch))
        else:
            inserts.append(raw.insert_rows(payloads, batch))
            commands.append(workload.run(batch))
    total = max_position(services)

    page_size = services.settings.projection_page_size
    hospital_only = replace(
        services, runners=[r for r in services.runners if r.projection.name == "hospital"]
    )
    if not hospital_only.runners:
        msg = "the services have no hospital runner"
        raise RuntimeError(msg)
    hospital: list[Timed] = []
    everything: list[Timed] = []
    raw_catch_up: list[Timed] = []

    def raw_step() -> Timed:
        raw.reset_projection()
        timed = raw.catch_up(page_size)
        if timed.count != total:
            msg = f"the raw loop applied {timed.count} of {total} events"
            raise RuntimeError(msg)
        return timed

    steps: list[Callable[[], None]] = [
        lambda: hospital.append(timed_catch_up(hospital_only, total)),
        lambda: everything.append(timed_catch_up(services, total)),
        lambda: raw_catch_up.append(raw_step()),
    ]
    print(f"[{backend}] catch-up of {total} events from 0, {rounds} times each", flush=True)
    for k in range(rounds):
        for step in steps[k % 3 :] + steps[: k % 3]:  # rotate who goes first
            step()
    return Result(
        backend=backend,
        where=where,
        page_size=page_size,
        events_appended=total - before,
        mean_state_bytes=sum(len(state) for _, state in payloads) / len(payloads),
        commands=commands,
        raw_inserts=inserts,
        hospital=hospital,
        everything=everything,
        raw_catch_up=raw_catch_up,
        runners=[r.projection.name for r in services.runners],
    )


def run_sqlite(count: int, rounds: int, page_size: int | None) -> Result:
    with tempfile.TemporaryDirectory(prefix="helgeland-bench-") as tmp:
        path = Path(tmp) / "bench.sqlite"
        return measure(
            "sqlite",
            f"temporary file {path} (SQLite {sqlite3.sqlite_version}, WAL)",
            _settings(f"sqlite:///{path}", None, Path(tmp), page_size),
            lambda events: SqliteRaw(path, events),
            count,
            rounds,
        )


@contextmanager
def fresh_schema(url: str) -> Iterator[str]:
    """A schema of the benchmark's own, dropped afterwards whatever happens."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield schema
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def run_postgres(count: int, rounds: int, page_size: int | None, url: str) -> Result:
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        version = str(row[0]).split()[0] if row else "?"
    with fresh_schema(url) as schema, tempfile.TemporaryDirectory(prefix="helgeland-bench-") as tmp:
        return measure(
            "postgres",
            f"{without_password(url)}, fresh schema {schema} (PostgreSQL {version})",
            _settings(url, schema, Path(tmp), page_size),
            lambda events: PostgresRaw(url, schema, events),
            count,
            rounds,
        )


def _settings(url: str, schema: str | None, data_dir: Path, page_size: int | None) -> Settings:
    extra: dict[str, Any] = {} if page_size is None else {"projection_page_size": page_size}
    return Settings(
        database_url=url, database_schema=schema, data_dir=data_dir, auto_migrate=True, **extra
    )


def without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


# --- the report ----------------------------------------------------------------------------


def source_state() -> str:
    """The commit measured, and whether the working tree had changes."""
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty=+uncommitted changes", "--abbrev=10"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    return described.stdout.strip().replace("+", " + ")


def _catch_up_line(parts: Sequence[Timed]) -> str:
    return f"{Timed.median(parts).seconds:7.3f} s  ({spread(parts)} events/s)"


def report(results: Sequence[Result], command_line: str, rounds: int, load_at_start: float) -> str:
    lines = [
        "",
        "Helgeland pipeline benchmark",
        f"command line: {command_line}",
        f"source: {source_state()}; 1-min load average {load_at_start:.2f} at start,"
        f" {os.getloadavg()[0]:.2f} at end",
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()},"
        f" {os.cpu_count()} CPUs; {rounds} rounds; projection page size"
        f" {', '.join(sorted({str(r.page_size) for r in results}))}",
    ]
    for r in results:
        commands, inserts = Timed.total(r.commands), Timed.total(r.raw_inserts)
        everything = f"catch_up(), all runners: {', '.join(r.runners)}"
        width = max(len(everything), 32)
        lines += [
            "",
            f"[{r.backend}] {r.where}",
            f"  a) {commands.count} commands appended {r.events_appended} events"
            f" (mean stored state {r.mean_state_bytes:.0f} B) in {commands.seconds:.2f} s;"
            f" {inserts.count} raw inserts in {inserts.seconds:.2f} s",
            f"     per round: commands/s {spread(r.commands)}, raw rows/s {spread(r.raw_inserts)}",
            f"     latency p50/p99: command {commands.percentile_ms(0.5):.2f}/"
            f"{commands.percentile_ms(0.99):.2f} ms, raw insert {inserts.percentile_ms(0.5):.2f}/"
            f"{inserts.percentile_ms(0.99):.2f} ms",
            f"  b) catch-up of {r.hospital[0].count} events from position 0, each timed"
            f" {len(r.hospital)} times (median time; range of events/s):",
            f"     {'catch_up(), hospital runner only':<{width}} {_catch_up_line(r.hospital)}",
            f"     {everything:<{width}} {_catch_up_line(r.everything)}",
            f"     {'raw loop':<{width}} {_catch_up_line(r.raw_catch_up)}",
        ]
    header = f"{'backend':<9} {'measure':<46} {'app':>10} {'raw':>10} {'app/raw':>8}"
    lines += ["", header, "-" * len(header)]
    for r in results:
        commands, inserts = Timed.total(r.commands), Timed.total(r.raw_inserts)
        raw_catch_up = Timed.median(r.raw_catch_up).rate
        rows = [
            ("a) commands/s vs raw rows/s", commands.rate, inserts.rate),
            (
                "a) events appended/s vs raw rows/s",
                r.events_appended / commands.seconds,
                inserts.rate,
            ),
            ("b) catch-up events/s: hospital vs raw", Timed.median(r.hospital).rate, raw_catch_up),
            (
                f"b) catch-up events/s: all {len(r.runners)} runners vs raw",
                Timed.median(r.everything).rate,
                raw_catch_up,
            ),
        ]
        for label, app, raw in rows:
            lines.append(
                f"{r.backend:<9} {label:<46} {app:>10,.0f} {raw:>10,.0f} {app / raw:>8.3f}"
            )
    lines.append("")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_pipeline",
        description="Commands/s and projection catch-up events/s, each next to a raw baseline.",
    )
    parser.add_argument(
        "--events",
        type=int,
        default=2000,
        metavar="N",
        help="commands to append, half registrations (2 events each) and half student contacts "
        "(1 event); the raw baseline inserts as many rows (default %(default)s)",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating rounds of app and raw appends, and catch-up repetitions "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=None,
        help="projection page size for the runners and the raw loop (default: the settings')",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HELGELAND_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="server and database to use; a schema is created and dropped there "
        f"(default: $HELGELAND_TEST_POSTGRES_URL or {DEFAULT_POSTGRES_URL})",
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.events < 2 * args.rounds:
        parser.error("need --rounds >= 1 and --events >= 2 * rounds")
    load_at_start = os.getloadavg()[0]
    results: list[Result] = []
    if args.backend in ("sqlite", "both"):
        results.append(run_sqlite(args.events, args.rounds, args.page_size))
    if args.backend in ("postgres", "both"):
        results.append(run_postgres(args.events, args.rounds, args.page_size, args.postgres_url))
    given = list(sys.argv[1:] if argv is None else argv)
    command_line = shlex.join([python_as_typed(), "-m", "bench.bench_pipeline", *given])
    print(report(results, command_line, args.rounds, load_at_start))
    return 0


def python_as_typed() -> str:
    """The interpreter as typed when it lives under the current directory (.venv/bin/python)."""
    executable = Path(sys.executable)
    try:
        return str(executable.relative_to(Path.cwd()))
    except ValueError:
        return str(executable)


if __name__ == "__main__":
    raise SystemExit(main())
