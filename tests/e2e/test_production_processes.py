"""The compose file's process layout without Docker: the one-shot migrations, then the API
(`helgeland serve`, not demo mode, leaving the read models to the worker), a projection worker
(`helgeland project`) and the notifications service (`helgeland-notify run`) as separate
processes on one PostgreSQL schema, with the settings of `infra/.env.example`, keys made by
`helgeland keys`, tokens from an issuer the test runs (its JWKS served over HTTP) and mail to a
local SMTP server. A command driven through the API shows in the read model the worker keeps
and ends as e-mail at the SMTP server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helgeland_notifications.messages import Recipients
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.deployment_support import env_example
from tests.integration.notify_support import SmtpSink, free_port, smtp_server
from tests.jwks_support import jwks_endpoint

BIN = Path(sys.executable).parent
START_TIMEOUT = 120.0
DEMO_FILES = ("demo-issuer-jwks.json", "demo-pseudonym-key", "demo-webhook-sealing-key")


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def run(env: dict[str, str], cwd: Path, *command: str) -> str:
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"{' '.join(command)}: {done.stderr}"
    return done.stdout


@contextmanager
def process(env: dict[str, str], cwd: Path, *command: str) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running command, its output in a log file; stopped (SIGTERM) at the end."""
    log_path = cwd / f"{command[0]}-{command[1]}.log"
    with log_path.open("wb") as log:
        started = subprocess.Popen(
            [str(BIN / command[0]), *command[1:]],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield started
    finally:
        if started.poll() is None:
            started.send_signal(signal.SIGTERM)
            try:
                started.wait(timeout=30)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()


def logs(cwd: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text('utf-8')[-3000:]}" for p in cwd.glob("*.log"))


class Issuer:
    """The identity provider's part: an ES256 key published as a JWKS, and tokens signed with
    it carrying the claims the services need (`sub`, `org`, `role`, `municipality`)."""

    def __init__(self, issuer: str, audience: str) -> None:
        self.issuer, self.audience = issuer, audience
        self.key = ECKey.generate_key("P-256", parameters={"kid": "idp-2026-1", "alg": "ES256"})

    def token(self, role: str, subject: str, org: str, **extra: Any) -> str:
        return sign(self.key, self.issuer, self.audience, role, subject, org, **extra)


def sign(
    key: ECKey, issuer: str, audience: str, role: str, subject: str, org: str, **extra: Any
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": subject,
        "org": org,
        "role": role,
    }
    claims |= {"iat": now, "exp": now + 600, **extra}
    return jwt.encode({"alg": "ES256", "kid": key.kid}, claims, key)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.postgres
def test_api_worker_and_notifications_run_as_separate_processes_with_production_settings(
    postgres_url: str, postgres_schema: str, tmp_path: Path
) -> None:
    example, _ = env_example()
    keys = dict(
        line.split("=", 1)
        for line in run(dict(os.environ), tmp_path, "helgeland", "keys").splitlines()
        if not line.startswith("#")
    )
    issuer = Issuer(example["HELGELAND_AUTH_ISSUER"], example["HELGELAND_AUTH_AUDIENCE"])
    api_port, notify_port = free_port(), free_port()
    api, notifications = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{notify_port}"
    data_dir = tmp_path / "data"
    smtp: SmtpSink
    with ExitStack() as stack:
        published = stack.enter_context(jwks_endpoint())
        published.publish(issuer.key)
        smtp = stack.enter_context(smtp_server())
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
        # As compose gives them: the example's settings, the keys, and what compose.yaml sets
        # (the database, `HELGELAND_API_PROJECTIONS=false`); here the issuer's JWKS and the mail
        # server are the test's own.
        env |= example | keys
        env |= {
            "HELGELAND_DATABASE_URL": postgres_url,
            "HELGELAND_DATABASE_SCHEMA": postgres_schema,
            "HELGELAND_DATA_DIR": str(data_dir),
            "HELGELAND_API_PROJECTIONS": "false",
            "HELGELAND_AUTH_JWKS_URL": published.url,
            "HELGELAND_SMTP_HOST": "127.0.0.1",
            "HELGELAND_SMTP_PORT": str(smtp.port),
            # A busy machine must not turn the answers into 202s: the worker has time.
            "HELGELAND_READ_YOUR_WRITES_TIMEOUT": "60",
        }

        # Outside demo mode nothing migrates by itself: the one-shot services come first.
        assert "Migrated the database" in run(env, tmp_path, "helgeland", "migrate")
        assert "Migrated the database" in run(env, tmp_path, "helgeland-notify", "migrate")
        started = [
            stack.enter_context(process(env, tmp_path, "helgeland", "project")),
            stack.enter_context(
                process(env, tmp_path, "helgeland-notify", "run", "--port", str(notify_port))
            ),
            stack.enter_context(
                process(env, tmp_path, "helgeland", "serve", "--port", str(api_port))
            ),
        ]

        def up(url: str) -> Callable[[], bool]:
            return lambda: all(p.poll() is None for p in started) and answers(url)

        wait_for(f"the API\n{logs(tmp_path)}", up(f"{api}/health/live"), START_TIMEOUT)
        wait_for(f"notifications\n{logs(tmp_path)}", up(f"{notifications}/health/live"))

        # Only the issuer's tokens are taken.
        assert httpx.get(f"{api}/rounds").status_code == 401
        stranger = ECKey.generate_key("P-256", parameters={"kid": "idp-2026-1", "alg": "ES256"})
        forged = sign(stranger, issuer.issuer, issuer.audience, "hospital_recruiter", "x", "y")
        assert httpx.get(f"{api}/rounds", headers=bearer(forged)).status_code == 401

        recruiter = bearer(
            issuer.token("hospital_recruiter", "rekrutterer-1", "Helgelandssykehuset HF")
        )
        today = date.today()

        def command(path: str, body: dict[str, Any]) -> dict[str, Any]:
            answer = httpx.post(f"{api}{path}", json=body, headers=recruiter, timeout=90)
            # 200/201: the read model the worker keeps showed the command; 202 would say not.
            assert answer.status_code in {200, 201}, f"{path}: {answer.text}\n{logs(tmp_path)}"
            found: dict[str, Any] = answer.json()
            return found

        name = "LIS1 produksjonstest"
        round_id = command(
            "/rounds",
            {
                "name": name,
                "positions": {"rana": 2},
                "coupled_positions": 1,
                "application_deadline": (today + timedelta(days=60)).isoformat(),
            },
        )["id"]
        candidate = command("/candidates", {"name": "Kari Nordmann", "email": "kari@example.no"})
        cid = candidate["id"]
        command(
            f"/candidates/{cid}/application",
            {
                "round_id": round_id,
                "preference": "general_practice",
                "local_connection": ["grew_up"],
                "consent_to_share": True,
            },
        )
        command(
            f"/candidates/{cid}/interviews",
            {"interviewer": "Overlege Hansen", "primary_care_interest": 5},
        )
        command(f"/rounds/{round_id}/advance", {"status": "offering"})
        answer_by = (today + timedelta(days=14)).isoformat()
        command(
            f"/candidates/{cid}/offer", {"unit": "rana", "coupled": True, "answer_by": answer_by}
        )
        command(f"/candidates/{cid}/offer/accept", {})
        command(f"/rounds/{round_id}/finalise", {})
        command(f"/rounds/{round_id}/forum-list", {})

        # The read models, kept by the worker process (the API runs no projections).
        shown = httpx.get(f"{api}/rounds/{round_id}", headers=recruiter)
        assert shown.status_code == 200, shown.text
        assert (shown.json()["name"], shown.json()["status"]) == (name, "list_final")
        timeline = httpx.get(f"{api}/candidates/{cid}/timeline", headers=recruiter)
        assert timeline.status_code == 200, timeline.text
        assert len(timeline.json()) >= 5
        forum = bearer(issuer.token("forum", "forumsleder-1", "Kommuneoverlegeforum Helgeland"))
        shared = httpx.get(f"{api}/forum/candidates", headers=forum)
        assert shared.status_code == 200, shared.text
        assert len(shared.json()) == 1

        # The forum list, as e-mail at the SMTP server: the forum and every municipality.
        recipients = Recipients.load(None)
        expected = {recipients.forum, *recipients.municipalities.values()}
        wait_for(
            f"the e-mails\n{logs(tmp_path)}",
            lambda: expected <= {m.to for m in smtp.snapshot()},
        )
        mails = [m for m in smtp.snapshot() if m.to in expected]
        assert {str(m.message["From"]) for m in mails} == {example["HELGELAND_MAIL_FROM"]}
        # The notifications API takes the same issuer's tokens and shows them delivered.
        deliveries = httpx.get(f"{notifications}/deliveries", headers=forum)
        assert deliveries.status_code == 200, deliveries.text
        delivered = {d["recipient"] for d in deliveries.json() if d["status"] == "delivered"}
        assert expected <= delivered

        status = run(env, tmp_path, "helgeland", "projections", "status", "--json")
        assert status.strip(), "no read models"

    # Production settings made nothing of demo mode's: no local issuer, no keys in a file.
    assert not any((data_dir / name).exists() for name in DEMO_FILES)
