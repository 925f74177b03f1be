"""The privacy and subscription pages in a real browser, axe-core on every page.

A recruiter records a candidate's consent (the consent text shown) and its withdrawal, opens
the Norwegian export and downloads the JSON; an administrator finds the reads in the access
log (by candidate, by person, by day) and erases the candidate after a confirmation step; a
municipality adds and removes a webhook subscription, and an inside address is refused in
Norwegian. The server guards webhook destinations as outside demo mode does, so that the
refusal can be seen (demo mode lets every address through).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from helgeland_pipeline.settings import Settings
from helgeland_platform.egress import Destinations
from playwright.sync_api import expect

from tests.browser.conftest import Served, serve
from tests.browser.pages import Browser

RANA = "1833"


@pytest.fixture
def served(settings: Settings) -> Iterator[Served]:
    def guard_webhooks(app: FastAPI) -> None:
        app.state.services.core.app.webhook_destinations = Destinations(guarded=True)

    with serve(settings, guard_webhooks) as found:
        yield found


def today(days: int = 0) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def test_consent_export_access_log_and_erasure(browser: Browser) -> None:
    b, page = browser, browser.page
    b.sign_in("hospital_recruiter")
    b.goto("/sykehus/kandidater/ny")
    page.get_by_label("Navn").fill("Siri Slettmeg")
    page.get_by_label("E-post").fill("siri.slettmeg@example.no")
    b.submit("Registrer")
    candidate_page = page.url

    # Consent to be contacted for the evaluation: the text is there, given, then withdrawn.
    held = page.locator("#consent-evaluation_contact-held")
    expect(held).to_have_text("Ikke gitt.")
    page.get_by_text("Teksten kandidaten ser").last.click()
    expect(page.locator(".consent").last).to_contain_text("versjon 1")
    b.submit("Registrer samtykke: kontakt for evalueringen")
    assert b.flash().startswith("Samtykket er registrert.")
    b.reload_until(lambda: "tekstversjon 1" in held.inner_text(), "the consent given")
    expect(held).to_contain_text("Gitt")
    b.submit("Registrer at samtykket er trukket: kontakt for evalueringen")
    assert b.flash().startswith("Samtykket er registrert.")
    b.reload_until(lambda: held.inner_text() == "Ikke gitt.", "the consent withdrawn")

    # The export: the Norwegian page, and the JSON as a download.
    b.follow("Innsyn som side")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Innsyn")
    expect(page.locator("body")).to_contain_text("Siri Slettmeg")
    page.goto(candidate_page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Last ned innsyn (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert "Siri Slettmeg" in json.dumps(exported, ensure_ascii=False)
    assert download.value.suggested_filename.startswith("innsyn-")

    # The administrator: the access log names the recruiter's reads of her.
    b.sign_in("admin")
    b.follow("Personvern")
    b.follow("hvem har lest personopplysninger")
    page.goto(candidate_page)
    b.check()
    b.follow("Tilgangslogg for kandidaten")
    log = page.locator("#access-log tbody")
    expect(log).to_contain_text("Rekrutterer ved Helgelandssykehuset")
    expect(log).to_contain_text("/sykehus/kandidater/{candidate_id}/innsyn.{kind}")
    page.get_by_label("Fra dato").fill(today(1))
    b.submit("Filtrer")
    expect(log).to_have_text("Ingen lesinger.")
    page.get_by_label("Fra dato").fill(today(-1))
    page.get_by_label("Til og med dato").fill(today())
    b.submit("Filtrer")
    expect(log).to_contain_text("Rekrutterer ved Helgelandssykehuset")
    with page.expect_navigation():
        log.get_by_role("link", name="demo-recruiter", exact=True).first.click()
    b.check()
    expect(page.get_by_label("Bruker (hvem som leste)")).to_have_value("demo-recruiter")
    expect(log).to_contain_text("innsyn")
    expect(log).not_to_contain_text("Administrator")

    # Erasure: a reason is required, the page asks once more, then she is erased.
    page.goto(candidate_page)
    b.follow("Slett personopplysningene")
    page.get_by_label("Begrunnelse (påkrevd; uten navn, e-post eller telefon)").fill(
        "Slett Siri Slettmeg"
    )
    b.submit("Gå videre")  # her own name in the reason: refused, in Norwegian
    refused = b.flash()
    assert "«begrunnelse»" in refused
    assert "navn" in refused
    page.get_by_label("Begrunnelse (påkrevd; uten navn, e-post eller telefon)").fill(
        "Krav fra kandidaten, sak 2027/113"
    )
    b.submit("Gå videre")
    expect(page.get_by_role("heading", level=2)).to_have_text("Bekreft slettingen")
    expect(page.locator("#erasure-reason")).to_have_text("Krav fra kandidaten, sak 2027/113")
    b.submit("Slett for godt")
    assert b.flash().startswith("Personopplysningene er slettet.")
    expect(page.get_by_role("heading", level=1)).to_have_text("[slettet]")
    expect(page.locator("main")).not_to_contain_text("Siri")
    expect(page.locator("main")).not_to_contain_text("siri.slettmeg@example.no")

    # A recruiter may not open the erasure page: the Norwegian 403 page.
    b.sign_in("hospital_recruiter")
    response = page.goto(f"{b.base}/personvern/tilgangslogg")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingen tilgang")
    b.check()
    assert {"/personvern", "/personvern/tilgangslogg"} <= b.checked


def test_a_municipality_manages_its_webhooks(browser: Browser) -> None:
    b, page = browser, browser.page
    b.sign_in("municipality", RANA)
    b.follow("Varsler")
    expect(page.get_by_role("heading", level=1)).to_have_text("Varsler til våre systemer")

    # An address inside the network is refused, in Norwegian, keeping what was typed.
    page.get_by_label("Adresse (https://…)").fill("https://127.0.0.1/hooks/helgeland")
    page.get_by_label("Et LIS3-tilbud er gitt").check()
    b.submit("Legg til abonnementet")
    error = page.locator("#webhook-error")
    expect(error).to_contain_text("Adressen ble avvist")
    expect(error).to_contain_text("https")
    expect(page.get_by_label("Adresse (https://…)")).to_have_value(
        "https://127.0.0.1/hooks/helgeland"
    )
    expect(page.get_by_label("Et LIS3-tilbud er gitt")).to_be_checked()
    expect(page.locator("main table tbody")).to_have_text("Ingen abonnementer.")

    # No event chosen: refused, naming the field.
    page.get_by_label("Et LIS3-tilbud er gitt").uncheck()
    page.get_by_label("Adresse (https://…)").fill("https://1.1.1.1/hooks/helgeland")
    b.submit("Legg til abonnementet")
    expect(error).to_contain_text("«hendelser»")

    # A public address: added, the secret shown once; then removed.
    page.get_by_label("Et LIS3-tilbud er gitt").check()
    b.submit("Legg til abonnementet")
    expect(page.locator("#secret")).to_contain_text("whsec_")
    rows = page.locator("main table tbody")
    expect(rows).to_contain_text("https://1.1.1.1/hooks/helgeland")
    expect(rows).to_contain_text("Et LIS3-tilbud er gitt")
    b.goto(f"/kommune/{RANA}/varsler")
    expect(page.locator("#secret")).to_have_count(0)
    b.submit("Fjern abonnementet til https://1.1.1.1/hooks/helgeland")
    assert b.flash().startswith("Abonnementet er fjernet.")
    b.reload_until(lambda: rows.inner_text() == "Ingen abonnementer.", "no subscription")

    # The forum may not open a municipality's subscriptions.
    b.sign_in("forum")
    response = page.goto(f"{b.base}/kommune/{RANA}/varsler")
    assert response is not None
    assert response.status == 403
    b.check()
