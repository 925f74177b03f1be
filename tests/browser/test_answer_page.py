"""The candidate's answer page in a real browser: opened from a signed link without signing in,
checked by axe-core in each state (the question, a missing time, the receipt, a used link).

The link is made as the notifications service makes it (`helgeland_platform.answer_links`,
the deployment's key); the e-mail that carries it is `tests/integration/test_answer_links.py`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from helgeland_pipeline.bootstrap import build_services
from helgeland_pipeline.domain.forum import InvitationKind
from helgeland_platform.answer_links import AnswerLink, Purpose, issue
from playwright.sync_api import expect, sync_playwright

from tests.browser.conftest import FLAGS, Served
from tests.browser.pages import Browser
from tests.factories import RANA, RECRUITER, forum_list, municipal


@pytest.fixture
def browser(served: Served, chromium: Path, axe_script: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        context = launched.new_context(locale="nb-NO", bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)
        try:
            yield Browser(page, served.url, axe_script)
        finally:
            context.close()
            launched.close()


def invitation_link(served: Served) -> str:
    """Kari, shared with the forum, invited by Rana; the path of her answer link."""
    services = build_services(served.settings)
    try:
        app = services.app
        fl = forum_list(app, shared=1)
        [kari] = fl.shared
        app.record_contact_details(RECRUITER, kari, "Kari Nordmann", "kari@example.no")
        when = app.clock() + timedelta(days=7)
        _, invitation = app.invite(municipal(RANA), kari, RANA, InvitationKind.INTERVIEW, [when])
    finally:
        services.close()
    link = AnswerLink(Purpose.INVITATION, kari, UUID(invitation), RANA, when)
    return f"/svar/{issue(served.settings.answer_link_key_bytes(), link)}"


def wait_until_shown(served: Served, path: str) -> None:
    """The served app's read model takes the invitation in its own time."""
    deadline = time.monotonic() + 120
    while httpx.get(served.url + path, timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the invitation never reached the page"
        time.sleep(0.3)


def test_the_candidate_proposes_another_time_on_the_answer_page(
    served: Served, browser: Browser
) -> None:
    b, page = browser, browser.page
    path = invitation_link(served)
    wait_until_shown(served, path)

    b.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invitasjon fra Rana kommune")
    expect(page.get_by_role("group", name="Ditt svar")).to_be_visible()

    # Another time, but none given: the form says so, as an alert, and records nothing.
    page.get_by_label("Jeg foreslår en annen tid").check()
    b.submit("Send svaret")
    expect(page.get_by_role("alert")).to_contain_text("Skriv inn tidspunktet du foreslår")

    wanted = (datetime.now(UTC) + timedelta(days=9)).strftime("%Y-%m-%dT10:00")
    page.get_by_label("Jeg foreslår en annen tid").check()
    page.get_by_label("Tidspunktet du foreslår (norsk tid)").fill(wanted)
    b.submit("Send svaret")
    expect(page.get_by_role("heading", level=1)).to_have_text("Takk, svaret ditt er registrert")
    expect(page.get_by_role("status")).to_contain_text("Du har foreslått en ny tid")

    # The link is used: opening it again says so.
    b.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Du har allerede svart")
    expect(page.get_by_role("button", name="Send svaret")).to_have_count(0)
