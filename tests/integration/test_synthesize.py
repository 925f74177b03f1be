"""`helgeland synthesize`: a seeded national history written through the application."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from helgeland_pipeline.bootstrap import Services, build_services
from helgeland_pipeline.national import NationalHistory, trust_municipalities
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.reference import load_norway, load_reference
from helgeland_pipeline.settings import Settings
from helgeland_pipeline.synthetic import SyntheticHistory
from sqlalchemy import func, select

from tests.conftest import sqlite_settings

HELGELAND = Path(sys.executable).parent / "helgeland"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def services_at(settings: Settings) -> Services:
    return build_services(settings, clock=lambda: NOW, migrate=True)


def decoded_events(services: Services) -> list[tuple[Any, ...]]:
    """Every event as its class, aggregate, version and fields (not the library's wall-clock
    `timestamp`); personal fields come back opened, so two stores' keys do not matter."""
    app = services.app
    found = []
    for notification in app.recorder.select_notifications(start=None, limit=1_000_000):
        event = app.mapper.to_domain_event(notification)
        fields = {k: v for k, v in vars(event).items() if k != "timestamp"}
        found.append((type(event).__qualname__, repr(sorted(fields.items(), key=str))))
    return found


def synthesize(settings: Settings, count: int, seed: int, years: int = 3) -> list[tuple[Any, ...]]:
    services = services_at(settings)
    try:
        NationalHistory(services.app, count, seed=seed, years=years).run()
        return decoded_events(services)
    finally:
        services.close()


def test_the_same_seed_writes_the_same_events(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    first = synthesize(sqlite_settings(tmp_path / "a"), 90, seed=7)
    again = synthesize(sqlite_settings(tmp_path / "b"), 90, seed=7)
    other = synthesize(sqlite_settings(tmp_path / "c"), 90, seed=8)
    assert len(first) > 90 * 5
    assert first == again
    assert first != other


def test_every_synthesized_candidate_reaches_the_read_models(settings: Settings) -> None:
    services = services_at(settings)
    try:
        history = NationalHistory(services.app, 120, seed=3, years=4)
        events = history.run()
        services.catch_up()
        assert services.runners[0].position() >= 1
        with services.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(candidates)).scalar_one()
            stages: dict[str, int] = dict(
                conn.execute(
                    select(candidates.c.stage, func.count()).group_by(candidates.c.stage)
                ).all()
            )
        assert services.app.recorder.max_notification_id() == events
    finally:
        services.close()
    assert rows == 120
    assert stages.get("accepted", 0) > 0
    assert stages.get("applied", 0) + stages.get("interviewed", 0) > 0


def test_every_municipality_of_norway_belongs_to_one_hospital_trust() -> None:
    norway = load_norway()
    helgeland = load_reference().municipalities
    raw = json.loads(
        resources.files("helgeland_pipeline.reference").joinpath("norway.json").read_text("utf-8")
    )
    assert len(raw["municipalities"]) == len(norway) == 357  # 1 January 2024
    assert {n: m.name for n, m in norway.items() if n in helgeland} == {
        n: m.name for n, m in helgeland.items()
    }
    served = [n for numbers in trust_municipalities(set(helgeland)).values() for n in numbers]
    assert sorted(served) == sorted(norway)
    assert all(trust_municipalities(set(helgeland)).values())


def test_the_demo_history_takes_rounds_larger_than_the_application_window(
    tmp_path: Path,
) -> None:
    services = services_at(sqlite_settings(tmp_path))
    try:
        commands = SyntheticHistory(services.app, applicants=400, first_year=2025).run()
        services.catch_up()
        with services.engine.connect() as conn:
            applied = conn.execute(
                select(func.count())
                .select_from(candidates)
                .where(candidates.c.round_id.is_not(None))
            ).scalar_one()
    finally:
        services.close()
    assert commands > 400 * 3
    assert applied == 400


# --- the command ---------------------------------------------------------------------------


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    return subprocess.run(
        [str(HELGELAND), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_synthesize_writes_the_history_and_shows_progress(tmp_path: Path) -> None:
    result = run(tmp_path, "synthesize", "--candidates", "60", "--years", "2", "--seed", "5")
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("Synthesized 60 candidates: ")
    assert "synthesizing candidates: 60/60" in result.stderr
    with sqlite3.connect(tmp_path / "data" / "helgeland.sqlite") as conn:
        (count,) = conn.execute("SELECT count(*) FROM stored_events").fetchone()
    assert f": {count} events in " in last


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--candidates", "0"], "--candidates must be a whole number from 1"),
        (["--candidates", "many"], "--candidates must be a whole number from 1"),
        (["--candidates", "5", "--years", "0"], "--years must be a whole number from 1 to 40"),
        (["--candidates", "5", "--seed", "-1"], "--seed must be a whole number from 0"),
        ([], "the following arguments are required: --candidates"),
    ],
)
def test_bad_input_is_refused_with_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    result = run(tmp_path, "synthesize", *args)
    assert result.returncode == 2
    assert says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data" / "helgeland.sqlite").exists()
