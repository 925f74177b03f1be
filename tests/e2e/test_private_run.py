"""A real demo run keeps personal data out of its logs and its files to itself.

`helgeland serve --demo` as a process (with its notifications process and demo SMTP server):
a candidate with a distinctive name, e-mail, phone and interview notes goes through the API,
along with the requests that fail (422, 401, 413, 404); a municipality invites a shared
candidate, so the notifications worker mails them and retries a failing webhook. Everything
both processes log is captured and searched for every piece of personal data used; every
folder and file the run wrote in `data/` is private to the service's user. On SQLite (the
database, its WAL and lock files in `data/`) and on PostgreSQL (a schema of its own).
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import httpx
from helgeland_pipeline.settings import Settings
from helgeland_platform import engines

from tests.e2e.test_demo_service import Demo, mails, serving, wait_for
from tests.integration.notify_support import free_port, webhook_receiver

NAME = "Ådne Qwyxzøbakken"
EMAIL = "adne.qwyxzobakken@eksempel.no"
PHONE = "+47 913 57 246"
NOTES = "Snakket om Vrzgårdsmoen legekontor"
INTERVIEWER = "Overlege Brynjulf Tvxqheim"
OPEN_ROUND = "LIS1 høst 2027"


def forms(text: str) -> set[str]:
    """The ways a text can appear in a log line: as is, cased, escaped in JSON, in parts."""
    found = {text, text.lower(), text.upper(), json.dumps(text)[1:-1]}
    found |= {json.dumps(text, ensure_ascii=True)[1:-1]}
    found |= {part for part in text.replace("@", " ").split() if len(part) > 5}
    return found


def journey(demo: Demo, receiver_url: str) -> list[str]:
    """Personal data through every route that takes it; returns what else must not be logged
    (the shared candidate the municipality invites)."""
    recruiter = demo.auth("hospital_recruiter")
    rounds = httpx.get(f"{demo.url}/rounds", headers=recruiter).json()
    [open_round] = [r["round_id"] for r in rounds if r["name"] == OPEN_ROUND]

    def post(path: str, body: object, headers: dict[str, str], status: int) -> httpx.Response:
        answer = httpx.post(f"{demo.url}{path}", json=body, headers=headers, timeout=30)
        assert answer.status_code == status, (path, answer.text)
        return answer

    person = {"name": NAME, "email": EMAIL, "phone": PHONE}
    cid = post("/candidates", person, recruiter, 201).json()["id"]
    answer = httpx.put(
        f"{demo.url}/candidates/{cid}/contact-details", json=person, headers=recruiter
    )
    assert answer.status_code == 200, answer.text
    application = {
        "round_id": open_round,
        "preference": "general_practice",
        "local_connection": ["grew_up"],
        "consent_to_share": True,
    }
    post(f"/candidates/{cid}/application", application, recruiter, 200)
    interview = {"interviewer": INTERVIEWER, "primary_care_interest": 5, "notes": NOTES}
    post(f"/candidates/{cid}/interviews", interview, recruiter, 200)
    assert NAME in httpx.get(f"{demo.url}/candidates/{cid}", headers=recruiter).text

    # Refusals that carry personal data in what they refuse.
    post("/candidates", {"name": NAME, "email": [EMAIL]}, recruiter, 422)
    post("/candidates", {"name": NAME * 20, "email": EMAIL}, recruiter, 422)
    post("/candidates", person, {"Authorization": f"Bearer {EMAIL}"}, 401)
    post("/candidates", {"name": NAME * 60_000, "email": EMAIL}, recruiter, 413)
    post(f"/candidates/{uuid.uuid4()}/interviews", interview, recruiter, 404)

    # The notifications side: a municipality invites a shared candidate (an e-mail to them)
    # and its webhook fails, so the worker retries it.
    rana = demo.auth("municipality", "--municipality", "1833")
    hook = {"url": receiver_url, "event_types": ["invitation_sent"]}
    post("/webhooks/subscriptions", hook, rana, 201)
    shared = httpx.get(f"{demo.url}/forum/candidates", headers=rana).json()
    invited = next(c for c in shared if c.get("email") and c.get("status") == "open")
    invitation = {"kind": "tour", "proposed_times": ["2027-01-20T10:00:00+01:00"]}
    post(f"/forum/candidates/{invited['candidate_id']}/invitations", invitation, rana, 201)
    return [value for key in ("name", "email") if (value := invited.get(key))]


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_a_demo_run_logs_no_personal_data_and_keeps_its_files_private(
    tmp_path: Path, settings: Settings
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= {
        "HELGELAND_SMTP_PORT": str(free_port()),
        "HELGELAND_NOTIFICATIONS_PORT": str(free_port()),
    }
    on_sqlite = not engines.is_postgres(settings.database_url)
    if not on_sqlite:  # the data folder keeps the mail; the database is the server's
        assert settings.database_schema is not None
        env |= {
            "HELGELAND_DATABASE_URL": settings.database_url,
            "HELGELAND_DATABASE_SCHEMA": settings.database_schema,
        }
    port, notify_port = free_port(), int(env["HELGELAND_NOTIFICATIONS_PORT"])
    data = tmp_path / "data"
    old_umask = os.umask(0o022)  # a permissive umask, as a login shell has
    try:
        with webhook_receiver() as receiver, serving(tmp_path, env, port, notify_port) as demo:
            receiver.fail("/hook", -1)
            also_secret = journey(demo, receiver.url("/hook"))
            wait_for("the invitation e-mail", lambda: len(mails(data / "mail")) >= 1)
            wait_for("a retried webhook", lambda: len(receiver.attempts) >= 2)
            # While it runs: the database with its WAL and shared memory, the lock files.
            running = sorted(data.rglob("*"))
            names = {p.name for p in running}
            assert "mail" in names
            if on_sqlite:
                sqlite = {"helgeland.sqlite", "helgeland.sqlite-wal", "helgeland.sqlite-shm"}
                assert names >= sqlite
                assert any(p.suffix == ".lock" for p in running), running
            else:
                assert not any(p.name.startswith("helgeland.sqlite") for p in running), running
            assert [p for p in [data, *running] if not private(p)] == []
            output = demo.output
    finally:
        os.umask(old_umask)

    assert [p for p in [data, *data.rglob("*")] if not private(p)] == []
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    if on_sqlite:
        assert stat.S_IMODE((data / "helgeland.sqlite").stat().st_mode) == 0o600
    assert all(stat.S_IMODE(m.stat().st_mode) == 0o600 for m in mails(data / "mail"))

    logged = output.read_text("utf-8")
    # Both processes' logs are here: the API's request lines and the worker's deliveries.
    assert '"message": "request"' in logged
    assert '"route": "/candidates/{candidate_id}/interviews"' in logged
    assert '"outcome": "delivered"' in logged
    assert '"outcome": "retrying"' in logged
    secrets = [NAME, EMAIL, PHONE, NOTES, INTERVIEWER, *also_secret]
    leaked = sorted({form for s in secrets for form in forms(s) if form in logged})
    assert leaked == [], leaked
