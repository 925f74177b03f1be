"""The README's first command as a new user meets it: `helgeland serve --demo` as a process.

It loads the demo, serves the API, starts the notifications service and its demo SMTP server
beside it; sending the ready demo round's list to the forum then puts one e-mail per
municipality and the forum in `data/mail/` and a signed webhook on a subscription made through
the API. Stopping the service stops its notifications process; a second start keeps the data.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path

import httpx
import pytest
from helgeland_notifications.messages import Recipients

from tests.integration.notify_support import WebhookReceiver, free_port, webhook_receiver

BIN = Path(sys.executable).parent
READY_ROUND = "LIS1 høst 2026"
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Demo:
    cwd: Path
    env: dict[str, str]
    url: str
    notifications_url: str
    output: Path

    def token(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "helgeland"), "token", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.splitlines()[-1]

    def auth(self, *args: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*args)}"}


def wait_for(what: str, check: Callable[[], bool], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(cwd: Path, env: dict[str, str], port: int, notify_port: int) -> Iterator[Demo]:
    output = cwd / f"serve-{time.monotonic_ns()}.log"
    with output.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "helgeland"), "serve", "--demo", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    demo = Demo(cwd, env, f"http://127.0.0.1:{port}", f"http://127.0.0.1:{notify_port}", output)
    try:
        wait_for(
            "the API",
            lambda: process.poll() is None and answers(f"{demo.url}/openapi.json"),
            START_TIMEOUT,
        )
        wait_for("the notifications API", lambda: answers(f"{demo.notifications_url}/openapi.json"))
        yield demo
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    # Stopping the service stops the notifications process it started.
    wait_for("the notifications API to stop", lambda: not answers(f"{demo.notifications_url}/docs"))


@pytest.fixture
def workdir(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    env |= {
        "HELGELAND_SMTP_PORT": str(free_port()),
        "HELGELAND_NOTIFICATIONS_PORT": str(free_port()),
    }
    return tmp_path, env


def mails(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def test_the_demo_service_sends_the_forum_list_by_mail_and_signed_webhook(
    workdir: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = workdir
    port, notify_port = free_port(), int(env["HELGELAND_NOTIFICATIONS_PORT"])
    receiver: WebhookReceiver
    with webhook_receiver() as receiver, serving(cwd, env, port, notify_port) as demo:
        printed = demo.output.read_text("utf-8")
        assert "Demo data loaded." in printed
        assert f"serving at {demo.url}" in printed
        assert ".venv/bin/helgeland token hospital_recruiter" in printed
        assert "data/mail/" in printed
        # History is not news: the demo's past sends nothing.
        assert mails(cwd / "data" / "mail") == []

        vefsn = demo.auth("municipality", "--municipality", "1824")
        created = httpx.post(
            f"{demo.url}/webhooks/subscriptions",
            json={"url": receiver.url("/hook"), "event_types": ["forum_list_sent"]},
            headers=vefsn,
        )
        assert created.status_code == 201, created.text
        receiver.expect("/hook", created.json()["secret"])

        hospital = demo.auth("hospital_recruiter")
        rounds = httpx.get(f"{demo.url}/rounds", headers=hospital).json()
        [ready] = [r for r in rounds if r["name"] == READY_ROUND]
        sent = httpx.post(
            f"{demo.url}/rounds/{ready['round_id']}/forum-list", json={}, headers=hospital
        )
        assert sent.status_code == 201, sent.text

        recipients = Recipients.load(None)
        expected = {recipients.forum, *recipients.municipalities.values()}
        wait_for("the e-mails", lambda: len(mails(cwd / "data" / "mail")) >= len(expected))
        wait_for("the webhook", lambda: len(receiver.at("/hook")) == 1)
        deliveries = httpx.get(f"{demo.notifications_url}/deliveries", headers=vefsn)
        assert deliveries.status_code == 200, deliveries.text
        [delivery] = deliveries.json()  # Vefsn sees its own webhook only
        assert (delivery["channel"], delivery["status"]) == ("webhook", "delivered")

    parsed = [
        BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        for path in mails(cwd / "data" / "mail")
    ]
    assert sorted(str(m["To"]) for m in parsed) == sorted(expected)
    assert {str(m["Subject"]) for m in parsed} == {
        f"Helgelandslegen: LIS1-listen for {READY_ROUND} er sendt til forumet"
    }
    for message in parsed:  # dated, identified, and linking to the demo's own service
        assert parsedate_to_datetime(str(message["Date"])).tzinfo is not None
        assert re.fullmatch(
            r"<msg_[0-9a-f]{40}@helgelandslegen\.example>", str(message["Message-ID"]).strip()
        )
        text = message.get_body(preferencelist=("plain",))
        assert text is not None
        assert f"{demo.url}/forum/candidates" in text.get_content()
    assert len({str(m["Message-ID"]) for m in parsed}) == len(parsed)
    [hook] = receiver.at("/hook")
    assert receiver.unverified == []
    assert hook.headers["webhook-id"] == delivery["key"]
    assert hook.payload["type"] == "forum_list_sent"
    assert hook.payload["data"]["round_name"] == READY_ROUND

    # A second start keeps the first run's data: nothing seeded again, the list still sent.
    with serving(cwd, env, port, notify_port) as again:
        assert "Demo data already present; nothing added." in again.output.read_text("utf-8")
        hospital = again.auth("hospital_recruiter")
        rounds = httpx.get(f"{again.url}/rounds", headers=hospital)
        [ready] = [r for r in rounds.json() if r["name"] == READY_ROUND]
        resent = httpx.post(
            f"{again.url}/rounds/{ready['round_id']}/forum-list", json={}, headers=hospital
        )
        assert resent.status_code == 409, resent.text  # the list went out in the first run
        time.sleep(1.0)  # the notifications service has read the log again by now
        assert len(mails(cwd / "data" / "mail")) == len(expected)  # nothing sent twice
        exported_deliveries(again)
    assert len(mails(cwd / "data" / "mail")) == len(expected) + 1  # and the invitation


def exported_deliveries(demo: Demo) -> None:
    """A person's export (admin) asks the demo's notifications API for what was sent to them:
    Rana invites a shared candidate, the invitation is mailed, and the export shows it."""
    rana = demo.auth("municipality", "--municipality", "1833")
    shared = httpx.get(f"{demo.url}/forum/candidates", headers=rana).json()
    candidate = next(c for c in shared if c["status"] == "open")
    invited = httpx.post(
        f"{demo.url}/forum/candidates/{candidate['candidate_id']}/invitations",
        json={"kind": "tour", "proposed_times": ["2030-01-20T10:00:00+01:00"]},
        headers=rana,
    )
    assert invited.status_code == 201, invited.text
    admin = demo.auth("admin")
    url = f"{demo.url}/candidates/{candidate['candidate_id']}/export"

    def mailed() -> bool:
        items = httpx.get(url, headers=admin, timeout=30).json()["deliveries"]["items"]
        return any(d["channel"] == "email" and d["status"] == "delivered" for d in items)

    wait_for("the invitation in the export", mailed)
    document = httpx.get(url, headers=admin, timeout=30).json()
    assert document["deliveries"]["available"] is True
    [mail] = [d for d in document["deliveries"]["items"] if d["channel"] == "email"]
    assert mail["recipient"] == candidate["email"]
    assert candidate["name"] in mail["body_text"]


def children(pid: int) -> list[int]:
    """The process's children, whichever of its threads started them."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text("utf-8").split()]
    return sorted(found)


def test_serve_notices_its_notifications_process_die_and_restarts_it(
    workdir: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = workdir
    port, notify_port = free_port(), int(env["HELGELAND_NOTIFICATIONS_PORT"])
    with serving(cwd, env, port, notify_port) as demo:
        [serve] = [
            int(p.name)
            for p in Path("/proc").iterdir()
            if p.name.isdigit() and _cmdline(p).endswith(f"serve --demo --port {port}")
        ]
        [child] = children(serve)
        os.kill(child, signal.SIGKILL)
        wait_for(
            "serve to say so",
            lambda: "notifications process stopped (exit code -9)" in demo.output.read_text(),
        )
        wait_for("a new notifications process", lambda: children(serve) not in ([], [child]))
        wait_for("its API", lambda: answers(f"{demo.notifications_url}/openapi.json"), 60.0)
    assert "Helgelandslegen pipeline stopped." in demo.output.read_text("utf-8")


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def test_a_busy_port_is_one_line_before_anything_claims_to_serve(
    workdir: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = workdir
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(BIN / "helgeland"), "serve", "--demo", "--port", str(port)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 2
    assert "serving at" not in done.stdout
    assert done.stderr.strip().splitlines() == [
        f"helgeland serve: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]


def test_outside_demo_mode_missing_keys_are_one_line_before_anything_claims_to_serve(
    workdir: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = workdir
    done = subprocess.run(
        [str(BIN / "helgeland"), "serve", "--port", str(free_port())],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "serving at" not in done.stdout
    [line] = done.stderr.strip().splitlines()
    assert "HELGELAND_AUTH_JWKS_FILE" in line


SAID = re.compile(r"SMTP server on 127\.0\.0\.1:(\d+)\); notifications API: (\S+)/docs")


def said_ports(output: Path) -> bool:
    return SAID.search(output.read_text()) is not None


def test_two_demos_on_one_machine_each_get_their_own_mail_and_notifications_ports(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    started = []
    try:
        for name in ("first", "second"):
            cwd = tmp_path / name
            cwd.mkdir()
            output = cwd / "serve.log"
            with output.open("wb") as log:
                process = subprocess.Popen(
                    [str(BIN / "helgeland"), "serve", "--demo", "--port", str(free_port())],
                    cwd=cwd,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            started.append((process, output))
        found = []
        for process, output in started:
            wait_for("the ports it chose", partial(said_ports, output))
            match = SAID.search(output.read_text())
            assert match is not None
            assert process.poll() is None
            found.append((int(match.group(1)), match.group(2)))
        assert found[0][0] != found[1][0]
        assert found[0][1] != found[1][1]
        for _, url in found:
            wait_for("its notifications API", partial(answers, f"{url}/openapi.json"), 60.0)
        for _, output in started:
            assert "notifications process stopped" not in output.read_text()
    finally:
        for process, _ in started:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
