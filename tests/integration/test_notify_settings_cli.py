"""A refused notifications setting is one line naming the variable, exit 2, nothing started."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HELGELAND_NOTIFY_PUBLIC_URL", "not a url"),
        ("HELGELAND_NOTIFY_PUBLIC_URL", "ftp://example.no"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(variable: str, value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= {
        "HELGELAND_DATABASE_URL": f"sqlite:///{tmp_path / 'notify.sqlite'}",
        "HELGELAND_DATA_DIR": str(tmp_path),
        variable: value,
    }
    done = subprocess.run(
        [sys.executable, "-m", "helgeland_notifications.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"helgeland-notify: invalid setting {variable}: "), lines
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "notify.sqlite").exists()
