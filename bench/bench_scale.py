"""National scale: synthesizing N candidates and rebuilding every read model, each beside a raw
baseline measured in the same run on the same store.

Run from the repository root (not part of the test run):

    .venv/bin/python -m bench.bench_scale [--candidates 20000] [--backend sqlite|postgres|both]

On each backend, on a fresh store (a temporary SQLite file, or a PostgreSQL schema created for
the run and dropped afterwards):

a) synthesize: `NationalHistory(...).run()` (what `helgeland synthesize` runs) in events/s,
   beside a raw insert of the same stored events (read back from the store) into a table shaped
   like the event store's, in transactions of the same size, with `executemany`;
b) rebuild: every read model dropped and built from position 0 (as `helgeland rebuild
   --from-zero`), in log events/s and peak RSS, beside the raw read-decode-upsert loop of
   `bench_pipeline` (pages of 500, one upsert per event, a tracked position, a transaction per
   page) with its own peak RSS.

Each measurement runs in a fresh child process, so each peak RSS is its own.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.national import BATCH_EVENTS, NationalHistory
from helgeland_pipeline.settings import Settings

from bench.bench_pipeline import (
    DEFAULT_POSTGRES_URL,
    RAW_EVENTS,
    PostgresRaw,
    SqliteRaw,
    events_table,
    fresh_schema,
    without_password,
)
from bench.bench_pipeline import _settings as pipeline_settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # one fixed clock: the same history each run
PAGE = 500


@dataclass(frozen=True)
class Figure:
    events: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _settings(url: str, schema: str | None, data_dir: str) -> Settings:
    return pipeline_settings(url, schema, Path(data_dir), PAGE)


# --- the children ------------------------------------------------------------------------------


def synthesize(url: str, schema: str | None, data_dir: str, candidates: int, seed: int) -> Figure:
    services = build_services(_settings(url, schema, data_dir), clock=lambda: NOW, migrate=True)
    try:
        started = time.perf_counter()
        events = NationalHistory(services.app, candidates, seed=seed).run()
        return Figure(events, time.perf_counter() - started, _peak_mb())
    finally:
        services.close()


def raw_insert(url: str, schema: str | None, data_dir: str) -> Figure:
    """The same stored events copied into a plain table, `BATCH_EVENTS` rows a transaction."""
    services = build_services(_settings(url, schema, data_dir))
    table = events_table(services)
    services.close()
    columns = "originator_id, originator_version, topic, state"
    read = f"SELECT {columns} FROM {table} ORDER BY originator_id, originator_version"
    spent, count = 0.0, 0
    if url.startswith("sqlite"):
        raw = SqliteRaw(Path(url.removeprefix("sqlite:///")), table)
        raw.create_tables()
        rows = raw.conn.execute(read).fetchall()
        for start in range(0, len(rows), BATCH_EVENTS):
            t0 = time.perf_counter()
            raw.conn.execute("BEGIN")
            raw.conn.executemany(
                f"INSERT INTO {RAW_EVENTS} VALUES (?,?,?,?)", rows[start : start + BATCH_EVENTS]
            )
            raw.conn.execute("COMMIT")
            spent += time.perf_counter() - t0
        count = len(rows)
        raw.close()
    else:
        assert schema is not None
        pg = PostgresRaw(url, schema, table)
        pg.create_tables()
        rows = pg.conn.execute(read).fetchall()
        insert = f"INSERT INTO {RAW_EVENTS} ({columns}) VALUES (%s, %s, %s, %s)"
        for start in range(0, len(rows), BATCH_EVENTS):
            t0 = time.perf_counter()
            with pg.conn.cursor() as cursor:
                cursor.executemany(insert, rows[start : start + BATCH_EVENTS])
            pg.conn.commit()
            spent += time.perf_counter() - t0
        count = len(rows)
        pg.close()
    return Figure(count, spent, _peak_mb())


def rebuild(url: str, schema: str | None, data_dir: str) -> Figure:
    services = build_services(_settings(url, schema, data_dir))
    try:
        total = int(services.app.recorder.max_notification_id() or 0)
        for runner in services.runners:
            runner.drop_tables()
            runner.create_tables()
        started = time.perf_counter()
        services.catch_up()
        seconds = time.perf_counter() - started
        return Figure(total, seconds, _peak_mb())
    finally:
        services.close()


def raw_loop(url: str, schema: str | None, data_dir: str) -> Figure:
    services = build_services(_settings(url, schema, data_dir))
    table = events_table(services)
    services.close()
    raw: SqliteRaw | PostgresRaw
    if url.startswith("sqlite"):
        raw = SqliteRaw(Path(url.removeprefix("sqlite:///")), table)
    else:
        assert schema is not None
        raw = PostgresRaw(url, schema, table)
    raw.reset_projection()
    timed = raw.catch_up(PAGE)
    raw.close()
    return Figure(timed.count, timed.seconds, _peak_mb())


def in_child(function: Callable[..., Figure], *args: Any) -> Figure:
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# --- one backend -------------------------------------------------------------------------------


def run_backend(label: str, url: str, schema: str | None, candidates: int, seed: int) -> list[str]:
    with tempfile.TemporaryDirectory() as data_dir:
        if label == "sqlite":
            url = f"sqlite:///{Path(data_dir) / 'helgeland.sqlite'}"
        made = in_child(synthesize, url, schema, data_dir, candidates, seed)
        raw = in_child(raw_insert, url, schema, data_dir)
        built = in_child(rebuild, url, schema, data_dir)
        loop = in_child(raw_loop, url, schema, data_dir)
    return [
        f"{label}: {candidates} candidates, {made.events} events",
        f"  synthesize  {made.rate:9.0f} events/s ({made.seconds:.1f} s)   raw batched insert "
        f"{raw.rate:9.0f} rows/s   ratio {made.rate / raw.rate:.3f}",
        f"  rebuild     {built.rate:9.0f} events/s ({built.seconds:.1f} s, all read models, "
        f"peak RSS {built.peak_rss_mb:.0f} MB)   raw loop {loop.rate:9.0f} events/s "
        f"(peak RSS {loop.peak_rss_mb:.0f} MB)   ratio {built.rate / loop.rate:.3f}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_scale", description=__doc__)
    parser.add_argument("--candidates", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HELGELAND_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    args = parser.parse_args(argv)
    lines = [
        f"$ {shlex.join([sys.executable, '-m', 'bench.bench_scale', *(argv or sys.argv[1:])])}",
        f"{platform.node()} · {os.cpu_count()} cores · load at start "
        f"{os.getloadavg()[0]:.2f} · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
    ]
    print("\n".join(lines), flush=True)
    if args.backend in ("sqlite", "both"):
        print("\n".join(run_backend("sqlite", "", None, args.candidates, args.seed)), flush=True)
    if args.backend in ("postgres", "both"):
        with fresh_schema(args.postgres_url) as schema:
            found = run_backend("postgres", args.postgres_url, schema, args.candidates, args.seed)
        found[0] += f" ({without_password(args.postgres_url)})"
        print("\n".join(found), flush=True)
    print(f"load at end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
