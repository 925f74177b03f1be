"""Evaluation benchmark: replaying a synthetic history and answering NSDM's questions.

Run: .venv/bin/python -m bench.bench_evaluation [--applicants N] [--first-year Y]

Measures, in the same run on a SQLite file:
  a) generating the seeded synthetic history through the real commands (commands/s);
  b) catching the read models up (events/s);
  c) answering funnel and retention (Kaplan–Meier + Cox) as of a date, next to a raw
     baseline that only reads the same fact rows (SELECT … WHERE occurred_at <= … ) —
     the ratio shows what the figures cost beyond reading the facts.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from helgeland_pipeline.bootstrap import build_evaluation, build_services
from helgeland_pipeline.evaluation.queries import EvaluationQueries
from helgeland_pipeline.readside.evaluation.tables import facts
from helgeland_pipeline.settings import Settings
from helgeland_pipeline.synthetic import SyntheticHistory
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine


async def _answers(evaluation: EvaluationQueries, as_of: datetime) -> None:
    await evaluation.funnel(as_of, as_of, "round")
    await evaluation.retention(as_of, as_of, "municipality", "centrality_class")


async def _raw(engine: AsyncEngine, as_of: datetime) -> int:
    query = select(facts).where(facts.c.occurred_at <= as_of, facts.c.recorded_at <= as_of)
    async with engine.connect() as conn:
        return len((await conn.execute(query)).all())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--applicants", type=int, default=60)
    parser.add_argument("--first-year", type=int, default=2015)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="helgeland-bench-eval-"))
    settings = Settings(
        database_url=f"sqlite:///{folder / 'eval.sqlite'}", data_dir=folder, auto_migrate=True
    )
    services = build_services(settings)
    started = time.perf_counter()
    commands = SyntheticHistory(
        services.app, applicants=args.applicants, first_year=args.first_year
    ).run()
    generate = time.perf_counter() - started
    events = services.app.recorder.max_notification_id() or 0
    started = time.perf_counter()
    services.catch_up()
    catch_up = time.perf_counter() - started
    engine = services.database.async_engine()
    evaluation = build_evaluation(services, engine)
    as_of = datetime.now(UTC)

    async def timed() -> tuple[list[float], list[float], int]:
        app_times, raw_times, rows = [], [], 0
        for _ in range(args.repeats):
            t = time.perf_counter()
            await _answers(evaluation, as_of)
            app_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            rows = await _raw(engine, as_of)
            raw_times.append(time.perf_counter() - t)
        await engine.dispose()
        return app_times, raw_times, rows

    app_times, raw_times, rows = asyncio.run(timed())
    services.close()
    app_median, raw_median = statistics.median(app_times), statistics.median(raw_times)
    print(
        f"command line: python -m bench.bench_evaluation --applicants {args.applicants} "
        f"--first-year {args.first_year} --repeats {args.repeats}"
    )
    print(
        f"a) synthetic history: {commands} commands, {events} events in {generate:.2f} s "
        f"({commands / generate:,.0f} commands/s)"
    )
    print(f"b) read-model catch-up (4 projections): {events / catch_up:,.0f} events/s")
    print(
        f"c) funnel + retention as of now over {rows} facts: median {app_median * 1000:.1f} ms; "
        f"raw fact read {raw_median * 1000:.1f} ms; ratio app/raw {app_median / raw_median:.1f}x"
    )


if __name__ == "__main__":
    main()
