"""The OpenAPI document tells the truth: Schemathesis, with all its checks, over every operation
and with every role's token, against a real HTTP server finds nothing.

Two runs of the same check:

- bounded, part of the suite: the app (no demo story) under uvicorn in this process, every
  operation tested once, by one role that may call it (the operations are shared out among the
  roles), two examples per operation, deterministic generation: the same run every time;
- the campaign, opt-in (`HELGELAND_SCHEMATHESIS=1`): `helgeland serve --demo` (the demo story
  loaded, the notifications service beside it), every operation with every role's token, more
  examples (`HELGELAND_SCHEMATHESIS_EXAMPLES`, default 10). Minutes per role.

Each role is its own `schemathesis run` process; a failure prints the report, which holds a
`curl` line per failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings

from tests.conftest import GENEROUS_AUTH_FAILURE_LIMIT, sqlite_settings
from tests.processes import cli_env

BIN = Path(sys.executable).parent
ROLES: dict[str, tuple[Role, str | None, str]] = {
    "hospital_recruiter": (Role.HOSPITAL_RECRUITER, None, "Helgelandssykehuset HF"),
    "municipality": (Role.MUNICIPALITY, "1833", "Rana kommune"),
    "forum": (Role.FORUM, None, "Kommuneoverlegeforum Helgeland"),
    "evaluator": (Role.EVALUATOR, None, "Nasjonalt senter for distriktsmedisin"),
    "admin": (Role.ADMIN, None, "Helgelandssykehuset HF IT"),
}
CAMPAIGN = os.environ.get("HELGELAND_SCHEMATHESIS") == "1"
# Deterministic generation, no shrinking: bounded, and the same run every time.
BOUNDED = ["--max-examples", "2", "--generation-deterministic", "--no-shrink"]
CAMPAIGN_BOUNDS = [
    "--max-examples",
    os.environ.get("HELGELAND_SCHEMATHESIS_EXAMPLES", "10"),
    "--seed",
    "20261203",
    "--generation-deterministic",
]
# A busy machine answers slowly (the survival analysis): a transport bound only.
TIMEOUT = ["--request-timeout", "120"]
PHASES = "examples,fuzzing"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def share_out(document: dict[str, Any]) -> dict[str, list[str]]:
    """Each operation to one role that may call it (public ones to any), the fewest first."""
    shares: dict[str, list[str]] = {role: [] for role in ROLES}
    for operations in document["paths"].values():
        for operation in operations.values():
            allowed = operation["x-roles"]
            candidates = list(ROLES) if allowed == ["public"] else allowed
            role = min(candidates, key=lambda r: (len(shares[r]), list(ROLES).index(r)))
            shares[role].append(operation["operationId"])
    return shares


def schemathesis(url: str, token: str, report: Path, *options: str) -> None:
    executable = shutil.which("schemathesis", path=str(BIN))
    assert executable is not None, "schemathesis is a dev dependency: pip install -e '.[dev]'"
    command = [
        executable,
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        PHASES,
        *options,
        *TIMEOUT,
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {token}",
        "--no-color",
        "--report-dir",
        str(report),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_")}
    result = subprocess.run(  # noqa: PLW1510 - the exit code is the verdict, read below
        command, env=env, capture_output=True, text=True, cwd=report.parent, timeout=1800
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]


def token_for(settings: Settings, role: str) -> str:
    kind, municipality, organisation = ROLES[role]
    return demo_issuer(settings).issue(
        kind, f"schemathesis-{role}", organisation, municipality, 3600
    )


# --- bounded: part of the suite -------------------------------------------------------------


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    """The app under uvicorn on a free port, in a thread, with a round and a candidate."""
    data = tmp_path_factory.mktemp("schemathesis-bounded")
    settings = sqlite_settings(data)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(2400):  # a bound for a broken start, not a measure of speed
            if server.started or not thread.is_alive():
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        seed(url, token_for(settings, "hospital_recruiter"))
        yield url, settings
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def seed(url: str, token: str) -> None:
    """Something for the lists to show (the generated ids find nothing, as they should)."""
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=auth, timeout=120) as client:
        deadline = time.strftime("%Y-12-31", time.gmtime(time.time() + 86400 * 400))
        body = {
            "name": "LIS1 Schemathesis",
            "positions": {"rana": 2},
            "coupled_positions": 1,
            "application_deadline": deadline,
        }
        assert client.post("/rounds", json=body).status_code in (201, 202)
        person = {"name": "Sara Schema", "email": "sara.schema@example.no"}
        assert client.post("/candidates", json=person).status_code in (201, 202)


def test_every_operation_is_shared_out_to_a_role_that_may_call_it(
    app_server: tuple[str, Settings],
) -> None:
    url, _ = app_server
    document = httpx.get(f"{url}/openapi.json", timeout=120).json()
    shares = share_out(document)
    every = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert sorted(op for ops in shares.values() for op in ops) == sorted(every)
    assert all(shares.values()), shares


@pytest.mark.parametrize("role", list(ROLES))
def test_schemathesis_finds_nothing_in_a_bounded_run(
    app_server: tuple[str, Settings], role: str, tmp_path: Path
) -> None:
    url, settings = app_server
    document = httpx.get(f"{url}/openapi.json", timeout=120).json()
    included = [f"--include-operation-id={op}" for op in share_out(document)[role]]
    report = tmp_path / f"report-{role}"
    schemathesis(url, token_for(settings, role), report, *BOUNDED, *included)


# --- the campaign: opt-in --------------------------------------------------------------------


def wait_until_live(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(600):  # the demo seeds its story first; a busy machine may take a while
        if server.poll() is not None:
            pytest.fail(f"the server stopped: {log.read_text('utf-8')[-2000:]}")
        try:
            if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail("the server did not answer within five minutes")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("schemathesis")
    settings = sqlite_settings(data)
    port = free_port()
    env = cli_env(settings) | {
        "HELGELAND_NOTIFICATIONS_PORT": str(free_port()),
        "HELGELAND_AUTH_FAILURE_LIMIT": GENEROUS_AUTH_FAILURE_LIMIT,  # `ignored_auth` sends many
    }
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "helgeland"), "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=data,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(url, process, log)
        yield url, data
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.skipif(not CAMPAIGN, reason="the campaign is opt-in: HELGELAND_SCHEMATHESIS=1")
@pytest.mark.parametrize("role", list(ROLES))
def test_schemathesis_finds_nothing_in_a_campaign(demo_server: tuple[str, Path], role: str) -> None:
    url, data = demo_server
    token = token_for(sqlite_settings(data), role)
    schemathesis(url, token, data / f"report-{role}", *CAMPAIGN_BOUNDS)
