"""The `helgeland` command, run as a real process in an empty working directory."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from helgeland_pipeline.auth import TokenVerifier, load_key_set
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.settings import Settings

HELGELAND = Path(sys.executable).parent / "helgeland"


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI with no `HELGELAND_*` settings but those given, so defaults apply."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    return subprocess.run(
        [str(HELGELAND), *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def default_verifier(cwd: Path) -> TokenVerifier:
    """What demo mode trusts: the key set in `data/` and the default issuer and audience."""
    fields = Settings.model_fields
    return TokenVerifier(
        load_key_set(cwd / "data" / "demo-issuer-jwks.json", None),
        str(fields["auth_issuer"].default),
        str(fields["auth_audience"].default),
        ["ES256"],
    )


def event_count(cwd: Path) -> int:
    with sqlite3.connect(cwd / "data" / "helgeland.sqlite") as conn:
        (count,) = conn.execute("SELECT count(*) FROM stored_events").fetchone()
    return int(count)


# --- token -----------------------------------------------------------------------------------


def test_token_prints_a_jwt_alone_on_its_last_line(tmp_path: Path) -> None:
    result = run(tmp_path, "token", "hospital_recruiter")
    assert result.returncode == 0, result.stderr
    token = result.stdout.splitlines()[-1]
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+", token)
    assert default_verifier(tmp_path).verify(token) == Actor(
        "demo-recruiter", "Helgelandssykehuset HF", Role.HOSPITAL_RECRUITER, None
    )


def test_tokens_are_signed_with_the_same_demo_key_on_every_run(tmp_path: Path) -> None:
    first = run(tmp_path, "token", "forum").stdout.splitlines()[-1]
    keys = (tmp_path / "data" / "demo-issuer-jwks.json").read_text("utf-8")
    second = run(tmp_path, "token", "evaluator").stdout.splitlines()[-1]
    assert (tmp_path / "data" / "demo-issuer-jwks.json").read_text("utf-8") == keys
    verifier = default_verifier(tmp_path)
    assert verifier.verify(first).role == Role.FORUM
    assert verifier.verify(second).role == Role.EVALUATOR


def test_a_municipality_token_carries_its_municipality(tmp_path: Path) -> None:
    result = run(tmp_path, "token", "municipality", "--municipality", "1833")
    assert result.returncode == 0, result.stderr
    actor = default_verifier(tmp_path).verify(result.stdout.splitlines()[-1])
    assert (actor.role, actor.municipality) == (Role.MUNICIPALITY, "1833")
    assert actor.person_id == "demo-kommuneoverlege-1833"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "superuser"], "invalid choice: 'superuser'"),
        (["token"], "role"),
        (["token", "municipality"], "--municipality must be one of"),
        (["token", "forum", "--municipality", "1833"], "only for the municipality role"),
        (["token", "municipality", "--municipality", "9999"], "--municipality must be one of"),
        ([], "command"),
        (["serve", "--port", "70000"], "a port must be a whole number from 1 to 65535"),
        (
            ["projections", "skip", "--projection", "hospital", "--event", "1" + "0" * 30],
            "an event position must be a whole number",
        ),
        (["projections", "skip", "--projection", "hospital", "--event", "3"], "--reason"),
        (["projections"], "action"),
    ],
    ids=[
        "unknown-role",
        "no-role",
        "municipality-without-number",
        "number-for-another-role",
        "unknown-municipality",
        "no-command",
        "port-out-of-range",
        "event-position-out-of-range",
        "skip-without-reason",
        "projections-without-action",
    ],
)
def test_a_bad_request_fails_with_one_line_on_stderr(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(tmp_path, *args)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert message in result.stderr


def test_no_demo_tokens_outside_demo_mode(tmp_path: Path) -> None:
    jwks = tmp_path / "issuer-jwks.json"
    jwks.write_text('{"keys": []}', "utf-8")
    result = run(tmp_path, "token", "admin", HELGELAND_AUTH_JWKS_FILE=str(jwks))
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "helgeland token: tokens come from your identity provider outside demo mode"
    ]


def test_an_invalid_setting_fails_with_one_line_on_stderr(tmp_path: Path) -> None:
    result = run(tmp_path, "token", "admin", HELGELAND_DATABASE_URL="mysql://nope")
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "database_url" in result.stderr


# --- seed-demo and rebuild -------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory where `seed-demo` has run once."""
    cwd = tmp_path_factory.mktemp("seeded")
    result = run(cwd, "seed-demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Demo data loaded."
    assert event_count(cwd) > 0
    return cwd


def test_seed_demo_a_second_time_adds_nothing(seeded: Path) -> None:
    before = event_count(seeded)
    result = run(seeded, "seed-demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Demo data already present; nothing added."
    assert event_count(seeded) == before


def test_rebuild_replays_every_event(seeded: Path) -> None:
    events = event_count(seeded)
    result = run(seeded, "rebuild")
    assert result.returncode == 0, result.stderr
    summary = result.stdout.splitlines()[-1]
    assert re.fullmatch(rf"Rebuilt [1-9]\d* read model\(s\) from {events} events\.", summary)
    assert event_count(seeded) == events
