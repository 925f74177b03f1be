"""The notifications service reads the pipeline through `helgeland_contracts` only.

Two checks: no source file under `services/notifications/` imports `helgeland_pipeline` (any
submodule, any import form), and importing the service's entry points in a fresh interpreter
loads no `helgeland_pipeline` module, not even indirectly.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.imports import imported_modules

ROOT = Path(__file__).resolve().parents[2]
SERVICE = ROOT / "services" / "notifications"
FORBIDDEN = "helgeland_pipeline"


def _forbidden(module: str) -> bool:
    return module == FORBIDDEN or module.startswith(FORBIDDEN + ".")


def test_the_checker_sees_every_form_of_import() -> None:
    """The walker itself: each of these forms must be caught, and a lookalike must not."""
    caught = [
        "import helgeland_pipeline",
        "import helgeland_pipeline.domain.forum as f",
        "from helgeland_pipeline import bootstrap",
        "from helgeland_pipeline.domain import common",
        "import importlib\nimportlib.import_module('helgeland_pipeline.settings')",
        "def f():\n    from helgeland_pipeline.auth import DemoIssuer",
        "if True:\n    __import__('helgeland_pipeline')",
    ]
    for source in caught:
        modules = imported_modules(ast.parse(source))
        assert any(_forbidden(m) for _, m in modules), source
    lookalikes = ["import helgeland_pipeline_extra", "from helgeland_contracts import log"]
    for source in lookalikes:
        assert not any(_forbidden(m) for _, m in imported_modules(ast.parse(source))), source


def test_no_source_file_of_the_service_imports_the_pipeline() -> None:
    files = sorted(SERVICE.rglob("*.py"))
    names = {f.name for f in files}
    # The walk must have reached the service's modules, or the test would pass on nothing.
    assert {"cli.py", "worker.py", "api.py", "messages.py", "senders.py"} <= names
    offences = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in files
        for line, module in imported_modules(ast.parse(path.read_text("utf-8"), str(path)))
        if _forbidden(module)
    ]
    assert offences == []


@pytest.mark.parametrize(
    "modules",
    [
        "helgeland_notifications.cli, helgeland_notifications.worker, helgeland_notifications.api",
        "helgeland_notifications.messages, helgeland_notifications.senders",
    ],
)
def test_importing_the_service_loads_no_pipeline_module(modules: str) -> None:
    code = (
        f"import {modules}; import sys, json; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('helgeland_'))))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    # It did import the service, which reads the log through the contracts.
    assert {m.strip() for m in modules.split(",")} <= set(loaded)
    assert "helgeland_contracts.events_v1" in loaded
    assert [m for m in loaded if _forbidden(m)] == []
