"""What the access log costs a read: personal-data reads over HTTP (ASGI) with the log written,
next to the same reads with the access-log dependency replaced by one that writes nothing.

Run from the repository root (not part of the test run):

    .venv/bin/python -m bench.bench_access_log [--reads N] [--backend sqlite|postgres|both]

On a fresh store (a temporary SQLite file, or a PostgreSQL schema created for the run and
dropped afterwards) with 200 candidates, it times N reads of `GET /candidates/{id}` and N of
`GET /candidates?limit=50` (one entry naming 50 candidates), logged and unlogged, in alternating
rounds so that a busy machine slows both alike, and prints the median per read and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

import httpx
import psycopg
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.api.personal_data import personal_data
from helgeland_pipeline.bootstrap import demo_issuer
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.settings import Settings

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ACTOR = Actor("bench-recruiter", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER)


class _Unlogged:
    async def __call__(self, candidate_ids: Iterable[UUID | str]) -> None:
        list(candidate_ids)


async def _time(client: httpx.AsyncClient, paths: list[str], headers: dict[str, str]) -> float:
    started = time.perf_counter()
    for path in paths:
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
    return (time.perf_counter() - started) / len(paths)


async def run(settings: Settings, reads: int, rounds: int) -> None:
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60):
        services = app.state.services
        core = services.core
        ids = [
            core.app.register_candidate(ACTOR, f"Bench Kandidat {i}", f"b{i}@example.no").id
            for i in range(200)
        ]
        await asyncio.to_thread(core.catch_up)
        token = demo_issuer(settings).issue(Role.HOSPITAL_RECRUITER, "bench", ACTOR.organisation)
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, paths in (
                ("GET /candidates/{id}", [f"/candidates/{ids[i % 200]}" for i in range(reads)]),
                ("GET /candidates?limit=50", ["/candidates?limit=50"] * reads),
            ):
                logged, unlogged = [], []
                for _ in range(rounds):
                    app.dependency_overrides.pop(personal_data, None)
                    logged.append(await _time(client, paths, headers))
                    app.dependency_overrides[personal_data] = _Unlogged
                    unlogged.append(await _time(client, paths, headers))
                app.dependency_overrides.pop(personal_data, None)
                with_log, without = statistics.median(logged), statistics.median(unlogged)
                print(
                    f"  {label:26} logged {with_log * 1000:7.2f} ms/read, "
                    f"unlogged {without * 1000:7.2f} ms/read, ratio {with_log / without:4.2f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("HELGELAND_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            print(f"sqlite ({args.reads} reads x {args.rounds} rounds)")
            settings = Settings(
                database_url=f"sqlite:///{Path(folder) / 'bench.sqlite'}",
                data_dir=Path(folder),
                demo=True,
            )
            asyncio.run(run(settings, args.reads, args.rounds))
    if args.backend in ("postgres", "both"):
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(args.postgres_url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        try:
            with tempfile.TemporaryDirectory() as folder:
                print(f"postgres ({args.reads} reads x {args.rounds} rounds)")
                settings = Settings(
                    database_url=args.postgres_url,
                    database_schema=schema,
                    data_dir=Path(folder),
                    demo=True,
                )
                asyncio.run(run(settings, args.reads, args.rounds))
        finally:
            with psycopg.connect(args.postgres_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()
