"""The domain is plain Python: aggregates import no web framework, database or HTTP client.

Two checks, as for the notifications service's boundary: no file under `domain/` imports a
forbidden package (any import form), and importing every domain module in a fresh interpreter
loads none of them, not even indirectly. The one library it builds on is `eventsourcing`'s
`domain` module (aggregates and events).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.imports import imported_modules

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = ROOT / "services" / "pipeline" / "helgeland_pipeline" / "domain"
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "psycopg",
    "asyncpg",
    "aiosqlite",
    "sqlite3",
    "httpx",
    "uvicorn",
    "pydantic",
    "helgeland_platform",
    "helgeland_pipeline.api",
    "helgeland_pipeline.readside",
    "eventsourcing.postgres",
    "eventsourcing.sqlite",
    "eventsourcing.persistence",
)


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN)


def test_no_domain_file_imports_a_framework_or_database_package() -> None:
    files = sorted(DOMAIN.glob("*.py"))
    assert len(files) >= 5
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(ast.parse(path.read_text("utf-8")))
        if _forbidden(module)
    ]
    assert offending == []


def test_the_checker_sees_a_forbidden_import() -> None:
    tree = ast.parse("from sqlalchemy import select\nimport fastapi.routing\n")
    assert [m for _, m in imported_modules(tree) if _forbidden(m)] == [
        "sqlalchemy",
        "sqlalchemy.select",
        "fastapi.routing",
    ]


def test_importing_the_domain_loads_no_framework_or_database_module() -> None:
    modules = [f"helgeland_pipeline.domain.{p.stem}" for p in sorted(DOMAIN.glob("*.py"))]
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(done.stdout)
    assert [m for m in loaded if _forbidden(m)] == []
