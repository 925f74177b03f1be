"""A chief physician follows the municipality's own doctor in the browser: reads the list,
records a supervisor and the education plan, corrects the supervisor's name and sees the
correction beside the original; another municipality gets the 403 page. axe-core checks
every page. The doctor is brought to LIS3 through the HTTP API, as the hospital's and the
municipality's own systems would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helgeland_pipeline.bootstrap import demo_issuer
from helgeland_pipeline.domain.common import Role
from playwright.sync_api import Page, expect, sync_playwright

from tests.browser.conftest import FLAGS, Served
from tests.browser.pages import Browser

RANA, VEFSN = "1833", "1824"


def day(n: int) -> str:
    today = datetime.now(UTC).date()
    return datetime.combine(today - timedelta(days=n), time(12), tzinfo=UTC).isoformat()


class Caller:
    """The API of the served app, with demo tokens."""

    def __init__(self, served: Served) -> None:
        self.client = httpx.Client(base_url=served.url, timeout=120)
        self.issuer = demo_issuer(served.settings)

    def call(self, path: str, body: dict[str, Any], role: Role, number: str | None = None) -> Any:
        token = self.issuer.issue(role, f"browser-{role}", f"org-{number}", number, 600)
        response = self.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.is_success, (path, response.text)
        return response.json()


def doctor_in_rana(served: Served) -> str:
    """Kari Nordmann: coupled LIS1, Rana's LIS3 offer accepted, LIS3 in Rana 10 days ago."""
    api = Caller(served)
    hospital = Role.HOSPITAL_RECRUITER
    today = datetime.now(UTC).date()
    round_id = api.call(
        "/rounds",
        {
            "name": "LIS1 nettleser",
            "positions": {"rana": 2},
            "coupled_positions": 1,
            "application_deadline": (today + timedelta(days=30)).isoformat(),
        },
        hospital,
    )["id"]
    cid = api.call("/candidates", {"name": "Kari Nordmann", "email": "kari@example.no"}, hospital)[
        "id"
    ]
    api.call(
        f"/candidates/{cid}/application",
        {"round_id": round_id, "preference": "general_practice", "consent_to_share": True},
        hospital,
    )
    api.call(
        f"/candidates/{cid}/interviews",
        {"interviewer": "Overlege", "primary_care_interest": 5},
        hospital,
    )
    api.call(f"/rounds/{round_id}/advance", {"status": "offering"}, hospital)
    answer_by = (today + timedelta(days=14)).isoformat()
    api.call(
        f"/candidates/{cid}/offer",
        {"unit": "rana", "coupled": True, "answer_by": answer_by},
        hospital,
    )
    api.call(f"/candidates/{cid}/offer/accept", {}, hospital)
    api.call(f"/rounds/{round_id}/finalise", {}, hospital)
    api.call(f"/rounds/{round_id}/forum-list", {}, hospital)
    terms = {
        "pay_model": "fixed_salary",
        "list_length": 700,
        "out_of_hours_share": 15,
        "training_share": 20,
    }
    offer = api.call(
        f"/forum/candidates/{cid}/offers",
        {
            "start_date": (today + timedelta(days=600)).isoformat(),
            "expires_on": (today + timedelta(days=30)).isoformat(),
            "terms": terms,
        },
        Role.MUNICIPALITY,
        RANA,
    )
    api.call(
        f"/forum/candidates/{cid}/offers/{offer['item_id']}/accept", {}, Role.MUNICIPALITY, RANA
    )
    milestones = f"/candidates/{cid}/milestones"
    api.call(milestones, {"kind": "lis1_started", "occurred_at": day(500)}, hospital)
    api.call(milestones, {"kind": "lis3_started", "occurred_at": day(10)}, Role.MUNICIPALITY, RANA)
    return str(cid)


@pytest.fixture
def browser(
    served: Served, chromium: Path, axe_script: str, request: pytest.FixtureRequest
) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        context = launched.new_context(locale="nb-NO", bypass_csp=True)
        page: Page = context.new_page()
        page.set_default_timeout(60_000)
        expect.set_options(timeout=60_000)  # a busy machine: waiting is not a failure
        try:
            yield Browser(page, served.url, axe_script)
        finally:
            context.close()
            launched.close()


def test_a_chief_physician_records_and_corrects_a_doctors_milestones(
    served: Served, browser: Browser
) -> None:
    doctor_in_rana(served)
    b, page = browser, browser.page
    b.sign_in("municipality", RANA)
    b.follow("Våre leger")
    doctors = page.locator("#doctors")
    expect(doctors).to_contain_text("Kari Nordmann")
    expect(doctors).to_contain_text("Ansatt")
    b.follow("Kari Nordmann")
    expect(page.locator("#milestones")).to_contain_text("LIS3 startet")

    page.get_by_label("Milepæl", exact=True).select_option(label="Veileder")
    page.get_by_label("Navn på veileder eller veiledningsgruppe (når det er milepælen)").fill(
        "Dr. Feilnavn"
    )
    b.submit("Registrer milepælen")
    assert b.flash() == "Milepælen er registrert."
    page.get_by_label("Milepæl", exact=True).select_option(label="Individuell utdanningsplan laget")
    b.submit("Registrer milepælen")
    assert b.flash() == "Milepælen er registrert."
    expect(page.locator("#doctor-supervisor")).to_have_text("Dr. Feilnavn")

    # A correction without a reason is refused, naming the field; nothing changes.
    page.get_by_label("Milepæl som skal korrigeres").select_option(index=1)
    page.get_by_label("Riktig veileder eller veiledningsgruppe (valgfritt)").fill("Dr. Riktig")
    page.locator("#reason").evaluate("e => e.removeAttribute('required')")
    b.submit("Korriger milepælen")
    assert "begrunnelse" in b.flash()
    expect(page.locator("#doctor-supervisor")).to_have_text("Dr. Feilnavn")

    options = page.get_by_label("Milepæl som skal korrigeres").locator("option")
    expect(options).to_have_count(3)  # Rana's own: LIS3 start, supervisor, plan (not LIS1)
    page.get_by_label("Milepæl som skal korrigeres").select_option(index=1)
    page.get_by_label("Riktig veileder eller veiledningsgruppe (valgfritt)").fill("Dr. Riktig")
    page.get_by_label("Begrunnelse").fill("Skrivefeil i navnet")
    b.submit("Korriger milepælen")
    assert b.flash() == "Milepælen er korrigert."
    expect(page.locator("#doctor-supervisor")).to_have_text("Dr. Riktig")
    row = page.locator("#milestones tr", has_text="Dr. Riktig")
    expect(row).to_contain_text("opprinnelig «Dr. Feilnavn»")
    expect(row).to_contain_text("Skrivefeil i navnet")

    # Vefsn has no such doctor, and Rana's page is not Vefsn's.
    b.sign_in("municipality", VEFSN)
    b.follow("Våre leger")
    expect(page.locator("#doctors")).to_contain_text("Ingen leger ennå.")
    response = page.goto(f"{b.base}/kommune/{RANA}/leger")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    b.check()
