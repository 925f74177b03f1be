"""The README's walk-through, run as a user runs it, twice in a row.

Every `sh` block from "Trying it as a recruiter" up to "The CLI" is typed, line by line, into
bash in a fresh folder where `helgeland serve --demo` runs (with `.venv` beside it, as in a
clone). The values the README asks the user to fill in are filled in as it says: `U` and `N`
are the URLs `serve` printed, `C=...` a candidate from the list just shown with status "open",
`O=...` the item id just returned. Every curl must answer 2xx and every line must succeed, in
the first pass and again in the second, on the same data.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from tests.deployment_support import ROOT
from tests.integration.notify_support import free_port

VENV = Path(sys.executable).parents[1]
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"^([A-Z]+)=\.\.\.(\s.*)?$")
SAID = re.compile(r"notifications API: (\S+)/docs")
DONE = "__walkthrough_line_done__"
STATUS = "__walkthrough_http_status__"
# Every curl the user types, with the HTTP status written where the test can read it.
CURL = f"curl() {{ command curl -w '%{{stderr}}{STATUS} %{{http_code}}\\n' \"$@\"; }}"


def walkthrough() -> list[str]:
    """The README's shell lines, from the recruiter's walk-through to the CLI's section."""
    text = (ROOT / "README.md").read_text("utf-8")
    part = text[text.index("## Trying it as a recruiter") : text.index("## The CLI")]
    blocks = BLOCK.findall(part)
    assert len(blocks) >= 5, "the walk-through's blocks are gone"
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.2)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class Line:
    typed: str
    output: str
    statuses: list[int]
    exit_code: int


class Shell:
    """One interactive bash, fed a line at a time; each line's output, exit code and the
    HTTP status of every curl it ran."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.errors = cwd / f"bash-{time.monotonic_ns()}.err"
        self._errors = self.errors.open("wb")
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
        )
        self.read_so_far = 0
        self.buffer = b""
        self.run(CURL)

    def run(self, line: str, timeout: float = 300.0) -> Line:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\nprintf '\\n{DONE} %s\\n' $?\n".encode())
        self.process.stdin.flush()
        output, code = self._until_done(timeout)
        errors = self.errors.read_text("utf-8", errors="replace")
        fresh, self.read_so_far = errors[self.read_so_far :], len(errors)
        statuses = [int(m) for m in re.findall(rf"^{STATUS} (\d+)$", fresh, re.MULTILINE)]
        return Line(line, output, statuses, code)

    def _until_done(self, timeout: float) -> tuple[str, int]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        marker = re.compile(rf"\n{DONE} (\d+)\n".encode())
        while (found := marker.search(self.buffer)) is None:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"a line ran for more than {timeout:.0f} s"
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if ready:
                chunk = os.read(self.process.stdout.fileno(), 65536)
                assert chunk, "bash ended"
                self.buffer += chunk
        output = self.buffer[: found.start()].decode("utf-8", errors="replace")
        self.buffer = self.buffer[found.end() :]
        return output, int(found.group(1))

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self._errors.close()


def fill_in(name: str, comment: str, previous: str) -> str:
    """What the user puts where the README says `NAME=...   # comment`."""
    if name == "C":
        assert 'status "open"' in comment, comment
        listed = json.loads(previous)
        return next(str(c["candidate_id"]) for c in listed if c["status"] == "open")
    if name == "O":
        assert "item_id" in comment, comment
        return str(json.loads(previous)["item_id"])
    msg = f"the README asks to fill in {name}, and this test does not know how"
    raise AssertionError(msg)


@contextmanager
def demo(cwd: Path, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    port = free_port()
    log = cwd / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(cwd / ".venv" / "bin" / "helgeland"), "serve", "--demo", "--port", str(port)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        up = f"{url}/health/live"
        wait_for("the demo", lambda: process.poll() is None and answers(up), 180.0)
        wait_for("its notifications URL", lambda: SAID.search(log.read_text()) is not None)
        match = SAID.search(log.read_text())
        assert match is not None
        notifications = match.group(1)
        wait_for("the notifications API", lambda: answers(f"{notifications}/openapi.json"))
        yield url, notifications
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # say what the test saw, not this
            process.kill()
            process.wait()


def mailed(cwd: Path, at_least: int) -> bool:
    folder = cwd / "data" / "mail"
    return folder.exists() and len(list(folder.glob("*.eml"))) >= at_least


def test_the_readme_walkthrough_runs_twice_in_a_row_on_a_fresh_demo(tmp_path: Path) -> None:
    lines = walkthrough()
    (tmp_path / ".venv").symlink_to(VENV)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELGELAND_")}
    with demo(tmp_path, env) as (url, notifications):
        typed = [
            line.replace("http://127.0.0.1:8000", url).replace(
                "http://127.0.0.1:8001", notifications
            )
            for line in lines
        ]
        curls = sum(len(re.findall(r"\bcurl -", line)) for line in typed)
        for attempt in (1, 2):
            shell = Shell(tmp_path, env)
            answered: list[int] = []
            previous = ""
            try:
                for text in typed:
                    placeholder = PLACEHOLDER.match(text)
                    line = text
                    if placeholder:
                        name, comment = placeholder.group(1), placeholder.group(2) or ""
                        line = f"{name}={fill_in(name, comment, previous)}"
                    done = shell.run(line)
                    assert done.exit_code == 0, f"pass {attempt}: {line}\n{done.output}"
                    bad = [s for s in done.statuses if not 200 <= s < 300]
                    assert not bad, f"pass {attempt}: {line} answered {bad}\n{done.output}"
                    answered += done.statuses
                    previous = done.output
            finally:
                shell.close()
            assert len(answered) == curls, f"pass {attempt}: {len(answered)} of {curls} curls ran"
            # The list sent to the forum in this pass: one e-mail per municipality and the forum.
            wait_for(f"pass {attempt}'s e-mails", partial(mailed, tmp_path, 19 * attempt), 180.0)
