"""Browser tests: Debian's Chromium driven by Playwright, axe-core from the npm registry, and
the app served by a real uvicorn server on a free port (SQLite and PostgreSQL).

Chromium is `/usr/bin/chromium` (Playwright's own browser download is not used); with
`CI=true` a missing one is installed with apt-get, otherwise the tests skip without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.settings import Settings
from playwright.sync_api import Page, Route, expect, sync_playwright

from tests.browser.pages import Browser
from tests.integration.notify_support import free_port

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI") == "true"


def _unavailable(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} (required in CI)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists() and IN_CI and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"],
            check=False,
            capture_output=True,
            timeout=900,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core's `axe.min.js`, from the npm registry's package (`npm pack axe-core`)."""
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("npm is needed to fetch axe-core")
        raise AssertionError  # unreachable
    folder = tmp_path_factory.mktemp("axe")
    done = subprocess.run(
        [npm, "pack", "axe-core@4", "--silent"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    packed = sorted(folder.glob("axe-core-*.tgz"))
    if done.returncode != 0 or not packed:
        _unavailable(f"npm pack axe-core failed: {done.stderr.strip()[:300]}")
    with tarfile.open(packed[-1]) as archive:
        member = archive.extractfile("package/axe.min.js")
        assert member is not None
        return member.read().decode("utf-8")


@dataclass(frozen=True)
class Served:
    url: str
    settings: Settings


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    """The app on a real HTTP server (uvicorn) on a free port, its lifespan running.

    The journey follows one candidate into the evaluator's figures, so small cells are shown
    (k = 1, as the replay tests do); withholding them is tested on the API.
    """
    with serve(settings.model_copy(update={"evaluation_min_cell": 1})) as found:
        yield found


@contextmanager
def serve(settings: Settings, started: Callable[[FastAPI], None] | None = None) -> Iterator[Served]:
    """Serve `create_app(settings)`; `started` sees the app once its lifespan has run."""
    port = free_port()
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/health/live", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.2)
    if started is not None:
        started(app)
    try:
        yield Served(url, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    """Note a failed test body on its item, so its browser fixture can take a screenshot."""
    report = yield
    if call.when == "call" and getattr(report, "failed", False):
        item.failed_call = True  # type: ignore[attr-defined]
    return report


@pytest.fixture
def browser(
    served: Served, chromium: Path, axe_script: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        context = launched.new_context(locale="nb-NO", bypass_csp=True, accept_downloads=True)

        def offline(route: Route) -> None:
            # Every asset must come from the service itself: anything else fails the page.
            if route.request.url.startswith(served.url):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", offline)
        page: Page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)  # a busy machine: waiting is not a failure
        try:
            yield Browser(page, served.url, axe_script)
        finally:
            failed = getattr(request.node, "failed_call", False)
            if failed:
                shots = Path(os.environ.get("HELGELAND_SCREENSHOTS", tmp_path))
                shots.mkdir(parents=True, exist_ok=True)
                shot = shots / f"{request.node.name}.png"
                page.screenshot(path=str(shot), full_page=True)
                print(f"screenshot of the failure: {shot}")
            context.close()
            launched.close()
