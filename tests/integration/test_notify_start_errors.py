"""`helgeland-notify run` outside demo mode without a usable token issuer: one line and exit 2,
before anything starts (the compose file restarts it; its log says why)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.notify_support import free_port

BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    ("jwks", "said"),
    [
        ({}, "helgeland-notify: set HELGELAND_AUTH_JWKS_FILE or HELGELAND_AUTH_JWKS_URL"),
        (
            {"HELGELAND_AUTH_JWKS_URL": "http://127.0.0.1:9/jwks"},
            "helgeland-notify: cannot load the token issuer's keys from http://127.0.0.1:9/jwks",
        ),
        (
            {"HELGELAND_AUTH_JWKS_FILE": "/nonexistent/jwks.json"},
            "helgeland-notify: cannot load the token issuer's keys from /nonexistent/jwks.json",
        ),
    ],
)
def test_run_without_the_issuers_keys_is_one_line_and_exit_2(
    jwks: dict[str, str], said: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= {
        "HELGELAND_DATABASE_URL": f"sqlite:///{tmp_path / 'helgeland.sqlite'}",
        "HELGELAND_DATA_DIR": str(tmp_path / "data"),
        **jwks,
    }
    done = subprocess.run(
        [str(BIN / "helgeland-notify"), "run", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(said)
    assert not (tmp_path / "helgeland.sqlite").exists()  # refused before touching the store
