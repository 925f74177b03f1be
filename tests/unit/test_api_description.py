"""The API's description says, for each operation, which roles may call it."""

from __future__ import annotations

from pathlib import Path

from helgeland_pipeline.api.main import create_app

from tests.conftest import sqlite_settings


def test_each_operation_names_its_roles(tmp_path: Path) -> None:
    paths = create_app(sqlite_settings(tmp_path)).openapi()["paths"]
    described = {
        (method, path): op.get("description", "")
        for path, ops in paths.items()
        for method, op in ops.items()
    }
    missing = [
        key
        for key, text in described.items()
        if not text.endswith(".") or ("Roles: " not in text and "Public: " not in text)
    ]
    assert missing == []
    assert described[("get", "/rounds")].endswith("Roles: hospital_recruiter, admin.")
    assert described[("get", "/evaluation/cohort")].endswith("Roles: evaluator, admin.")
    assert (
        "Roles: municipality, forum, admin."
        in described[("post", "/forum/candidates/{candidate_id}/offers")]
    )
    every_role = "Roles: hospital_recruiter, municipality, forum, evaluator, admin."
    assert described[("get", "/reference/units")].endswith(every_role)
    assert described[("get", "/health/live")].endswith("Public: no token needed.")
    assert not any(path.startswith(("/sykehus", "/kommune", "/logg-inn")) for path in paths)
