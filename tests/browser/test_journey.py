"""Each role does its job in the browser, through the pages only: no token, no UUID typed.

A recruiter opens a round and takes a new candidate from registration to an accepted,
coupled LIS1 post, then sends the list to the forum; Vefsn and Rana offer LIS3, the
candidate accepts Rana's, and Vefsn's page says "accepted elsewhere" without saying where;
Vefsn opening Rana's page gets the 403 page; the forum sees the board; an evaluator moves the
as-of date and the figures change, and downloads the cohort as CSV. axe-core checks every
page on the way; a form without its CSRF token is refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.pages import Browser

RANA, VEFSN = "1833", "1824"


def days(n: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=n)).isoformat()


def count_in(b: Browser, table: str, step: str) -> str:
    row = b.page.locator(f"#{table} tr", has=b.page.get_by_role("rowheader", name=step, exact=True))
    return row.locator("td").first.inner_text()


def test_every_role_does_its_work_in_the_browser(browser: Browser) -> None:
    b, page = browser, browser.page

    # The start page leads to the sign-in; the skip link is the first stop for the keyboard.
    b.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Hopp til innholdet"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused element must show its focus"
    b.follow("Logg inn")
    b.follow("Rekrutterer ved Helgelandssykehuset")
    expect(page.get_by_role("heading", level=1)).to_have_text("LIS1-runder")

    # A round, opened from the page.
    page.get_by_label("Navn på runden").fill("LIS1 høst 2027")
    page.get_by_label("Helgelandssykehuset Mo i Rana").fill("2")
    page.get_by_label("Stillinger koblet til LIS3 (høyst halvparten)").fill("1")
    page.get_by_label("Søknadsfrist").fill(days(30))
    b.submit("Åpne runden")
    expect(page.get_by_role("heading", level=1)).to_have_text("LIS1 høst 2027")
    assert b.flash() == "Runden er åpnet."

    # A new candidate, from registration to an accepted coupled LIS1 post.
    b.follow("Kandidater")
    b.follow("Registrer en ny kandidat")
    page.get_by_label("Navn").fill("Kari Nordmann")
    page.get_by_label("E-post").fill("kari.nordmann@example.no")
    b.submit("Registrer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kari Nordmann")
    page.get_by_label("Type kontakt").select_option(label="Praksisplass i 5. studieår")
    page.get_by_label("Kommune (for praksisplass)").select_option(label="Rana")
    b.submit("Registrer kontakten")
    page.get_by_label("Runde").select_option(label="LIS1 høst 2027")
    page.get_by_label("Ønsket karriere").select_option(label="Allmennpraksis")
    page.get_by_label("Vokste opp på Helgeland").check()
    page.get_by_label("Samtykker til å bli presentert for kommuneoverlegeforumet").check()
    b.submit("Registrer søknaden")
    expect(page.locator("#stage")).to_have_text("Har søkt")
    page.get_by_label("Intervjuer", exact=True).fill("Overlege Hansen")
    page.get_by_label("5", exact=True).check()
    b.submit("Registrer intervjuet")
    expect(page.locator("#stage")).to_have_text("Intervjuet")
    candidate_page = page.url

    b.follow("LIS1 høst 2027")
    b.submit("Start tilbudsfasen")
    page.goto(candidate_page)
    b.check()
    page.get_by_label("Enhet").select_option(label="Helgelandssykehuset Mo i Rana")
    page.get_by_label("Koblet til en LIS3-stilling i en kommune").check()
    b.submit("Gi tilbud")
    expect(page.locator("#stage")).to_have_text("Har fått tilbud")
    b.submit("Kandidaten takket ja")
    expect(page.locator("#stage")).to_have_text("Takket ja")
    expect(page.locator(".timeline")).to_contain_text("Takket ja til LIS1")

    # Search by name finds her; the list goes to the forum.
    b.goto("/sykehus/kandidater")
    page.get_by_label("Navn").fill("kari")
    b.submit("Søk")
    expect(page.get_by_role("link", name="Kari Nordmann")).to_be_visible()
    b.goto("/sykehus/runder")
    b.follow("LIS1 høst 2027")
    b.submit("Gjør listen endelig")
    b.submit("Send listen til forumet")
    assert b.flash() == "Listen er sendt til kommuneoverlegeforumet."
    expect(page.locator("table#coupling")).to_contain_text("Kari Nordmann")

    # Vefsn offers first (too little training time is refused in Norwegian, naming the
    # field; a withdrawn offer can be made again); Rana invites, records her answer and the
    # meeting, and offers; she accepts Rana's.
    b.sign_in("municipality", VEFSN)
    b.follow("Kari Nordmann")
    page.get_by_label("Andel tid til utdanning (minst 20 %)").fill("10")
    b.submit("Gi tilbudet")
    refused = b.flash()
    assert "«andel tid til utdanning»" in refused
    assert "20" in refused
    assert not re.search(r"\b(the|must|training)\b", refused), refused
    expect(page.locator(".flash")).to_have_attribute("role", "alert")
    offers = page.locator("main table").nth(1)
    for again in (False, True):
        page.get_by_label("Andel tid til utdanning (minst 20 %)").fill("20")
        b.submit("Gi tilbudet")
        assert b.flash().startswith("Tilbudet om LIS3 er sendt.")
        b.reload_until(lambda: b.has_button("Trekk tilbudet"), "the open offer")
        if not again:
            b.submit("Trekk tilbudet")
            assert b.flash().startswith("Tilbudet er trukket tilbake.")
            b.reload_until(lambda: "Trukket tilbake" in offers.inner_text(), "withdrawn")

    b.sign_in("municipality", RANA)
    b.follow("Kari Nordmann")
    page.get_by_label("Invitasjon til").select_option(label="Omvisning")
    b.submit("Send invitasjonen")
    assert b.flash().startswith("Invitasjonen er sendt.")
    b.reload_until(lambda: b.has_button("Registrer svaret"), "the invitation")
    page.get_by_label("Foreslo en ny tid", exact=True).check()
    b.submit("Registrer svaret")  # a new time, but none given: refused, naming the field
    assert "«nytt tidspunkt»" in b.flash()
    page.get_by_label("Takket ja", exact=True).check()
    b.submit("Registrer svaret")
    assert b.flash().startswith("Kandidatens svar er registrert.")
    b.reload_until(lambda: b.has_button("Møtet er holdt"), "the accepted invitation")
    b.submit("Møtet er holdt")
    assert b.flash().startswith("Møtet er registrert som holdt.")
    invitations = page.locator("main table").first
    b.reload_until(lambda: "Gjennomført" in invitations.inner_text(), "the meeting held")
    page.get_by_label("Andel tid til utdanning (minst 20 %)").fill("20")
    b.submit("Gi tilbudet")
    assert b.flash().startswith("Tilbudet om LIS3 er sendt.")
    b.reload_until(lambda: b.has_button("Kandidaten takket ja"), "Rana's open offer")
    b.submit("Kandidaten takket ja")
    expect(page.locator("#shared-status")).to_contain_text("Rekruttert")
    b.follow("Våre leger")
    expect(page.locator("main table")).to_contain_text("Kari Nordmann")

    b.sign_in("municipality", VEFSN)
    b.follow("Våre tilbud")
    offers = page.locator("main table")
    expect(offers).to_contain_text("Akseptert et annet sted")
    expect(offers).not_to_contain_text("Rana")

    # Another municipality's page: the 403 page, in Norwegian.
    response = page.goto(f"{b.base}/kommune/{RANA}/tilbud")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    b.check()

    # A form without its CSRF token is refused, and nothing changes.
    b.goto(f"/kommune/{VEFSN}")
    b.follow("Kari Nordmann")
    page.evaluate("document.querySelectorAll('input[name=csrf]').forEach(e => e.remove())")
    with page.expect_navigation():
        page.get_by_role("button", name="Logg ut").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    expect(page.locator("main")).to_contain_text("sikkerhetsnøkkelen")

    # The forum's board shows every move.
    b.sign_in("forum")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forumtavlen")
    expect(page.locator("main")).to_contain_text("Kari Nordmann")

    # An evaluator: today the funnel counts her; as of yesterday it did not yet.
    b.sign_in("evaluator")
    expect(page.get_by_role("heading", level=1)).to_have_text("Evaluering")
    assert count_in(b, "funnel", "Søkte LIS1") == "1"
    assert count_in(b, "funnel", "Takket ja til LIS3") == "1"
    page.get_by_label("Per dato", exact=True).fill(days(-1))
    b.submit("Vis")
    assert count_in(b, "funnel", "Søkte LIS1") == "0"
    assert re.search(r"\d\d\.\d\d\.\d{4}", page.locator("main p").first.inner_text())
    with page.expect_download() as download:
        page.get_by_role("link", name="Last ned kohorten (CSV)").click()
    csv = Path(download.value.path()).read_text("utf-8")
    assert csv.splitlines()[0].startswith("pseudonym,")
    assert "Kari" not in csv
    img = page.get_by_role("img")
    assert img.evaluate("i => i.complete && i.naturalWidth > 0")

    # The API's documentation works with no internet (every other host is blocked here).
    page.goto(f"{b.base}/docs")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("Helgelandslegen")
    page.goto(f"{b.base}/redoc")
    expect(page.locator("redoc h1").first).to_contain_text("Helgelandslegen")

    assert {"/", "/logg-inn", "/sykehus/runder", "/evaluering", "/forum-tavle"} <= b.checked
