"""The `helgeland` command imports the web framework and the plotting library only for the
commands that use them: `--help` and `token` start in a fraction of a second."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("fastapi", "matplotlib", "lifelines", "uvicorn")

# Runs the CLI's `main` in a fresh interpreter, then reports which heavy modules it imported.
_PROBE = """
import contextlib, io, json, sys
from helgeland_pipeline.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code
heavy = [name for name in {heavy!r} if name in sys.modules]
print(json.dumps({{"code": code, "heavy": heavy, "out": out.getvalue()}}))
"""


def probe(cwd: Path, *args: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return found


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["rebuild", "--help"],
        ["token", "hospital_recruiter"],
        ["token", "municipality", "--municipality", "1833"],
    ],
)
def test_light_commands_import_neither_the_web_framework_nor_plotting(
    tmp_path: Path, args: list[str]
) -> None:
    found = probe(tmp_path, *args)
    assert found["code"] == 0
    assert found["out"]
    assert found["heavy"] == []


def test_the_probe_sees_a_heavy_import_when_there_is_one(tmp_path: Path) -> None:
    """The check above can fail: importing the API module does pull the framework in."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    code = "import sys, helgeland_pipeline.api.main; print('fastapi' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip() == "True"
