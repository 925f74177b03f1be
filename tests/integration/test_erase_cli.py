"""`helgeland erase` as a process: erases, says what it did, refuses bad input in one line."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from helgeland_contracts.personal import ERASED
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.readside.hospital.tables import candidates
from helgeland_pipeline.settings import Settings
from sqlalchemy import select

from tests.factories import RECRUITER
from tests.processes import cli_env

HELGELAND = str(Path(sys.executable).parent / "helgeland")


def erase(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HELGELAND, "erase", *args],
        env=cli_env(settings),
        cwd=settings.data_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_erase_from_the_command_line(settings: Settings) -> None:
    services = build_services(settings, migrate=True)
    try:
        cid = services.app.register_candidate(RECRUITER, "Trine Zqx Lund", "trine@example.no").id
        other = services.app.register_candidate(RECRUITER, "Per Zqx", "per@example.no").id
        services.catch_up()
    finally:
        services.close()

    for args, why in (
        (["not-a-uuid", "--reason", "x"], "not a candidate id"),
        ([str(uuid.uuid4()), "--reason", "Forespørsel"], "no candidate"),
        ([str(cid), "--reason", "Trine ba om det"], "name or contact details"),
        ([str(cid), "--reason", "ring 912 34 567"], "phone number"),
        ([str(cid)], "--reason"),
    ):
        refused = erase(settings, *args)
        assert refused.returncode == 2, refused
        assert why in refused.stderr
        assert refused.stderr.strip().count("\n") == 0, refused.stderr

    done = erase(settings, str(cid), "--reason", "Forespørsel fra kandidaten, sak 2027/113")
    assert done.returncode == 0, done.stderr
    assert f"Erased candidate {cid}" in done.stdout
    again = erase(settings, str(cid), "--reason", "Forespørsel fra kandidaten")
    assert again.returncode == 0, again.stderr
    assert "already erased" in again.stdout

    services = build_services(settings)
    try:
        with services.engine.connect() as conn:
            rows = dict(conn.execute(select(candidates.c.candidate_id, candidates.c.name)).all())
        assert rows[str(cid)] == ERASED  # the CLI let the read models apply it
        assert rows[str(other)] == "Per Zqx"
        assert services.app.keys.is_erased(str(cid))
    finally:
        services.close()
