"""The Norwegian error pages and form refusals say what was wrong in Norwegian, naming the
field, where the API says it in English. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from helgeland_pipeline.domain.common import Role

from tests.e2e.api import PROBLEM, Api

ENGLISH = ("must", "the ", "should", "not a", "Value error")


@pytest.fixture
async def signed_in(api: Api) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://test"
    ) as client:
        yield client


async def sign_in(client: httpx.AsyncClient, query: str) -> str:
    """Sign in through the demo sign-in; the CSRF token the pages' forms carry."""
    assert (await client.get(f"/demo/logg-inn?{query}")).status_code == 303
    start = await client.get("/", headers={"accept": "text/html"})
    return start.text.split('name="csrf" value="')[1].split('"')[0]


async def test_an_error_page_names_the_field_in_norwegian(
    api: Api, signed_in: httpx.AsyncClient
) -> None:
    await sign_in(signed_in, "rolle=evaluator")
    page = await signed_in.get("/evaluering?as_of=31.12.2026", headers={"accept": "text/html"})
    assert page.status_code == 422
    assert "Ugyldige opplysninger" in page.text
    assert "«per dato» må være en dato (ÅÅÅÅ-MM-DD)" in page.text
    detail = page.text.split('class="detail"')[1].split("</p>")[0]
    assert not [w for w in ENGLISH if w in detail], detail
    answer = await api.client.get(
        "/evaluation/funnel?as_of=31.12.2026", headers=api.auth(Role.EVALUATOR)
    )
    assert answer.status_code == 422  # the API keeps its problem document
    assert answer.headers["content-type"] == PROBLEM


async def test_a_refused_form_comes_back_with_the_reason_in_norwegian(
    api: Api, signed_in: httpx.AsyncClient
) -> None:
    token = await sign_in(signed_in, "rolle=hospital_recruiter")
    before = api.log_position()
    posted = await signed_in.post(
        "/sykehus/runder",
        data={"csrf": token, "name": "", "coupled_positions": "-1", "application_deadline": "x"},
    )
    assert posted.status_code == 303
    assert api.log_position() == before  # nothing written
    form = await signed_in.get(posted.headers["location"], headers={"accept": "text/html"})
    flash = form.text.split('class="flash flash-error"')[1].split("</div>")[0]
    assert "«navn» må fylles ut" in flash
    assert "«søknadsfrist» må være en dato" in flash
    assert not [w for w in ENGLISH if w in flash], flash


async def test_erasure_asks_before_it_erases_and_refuses_the_persons_own_name(
    api: Api, signed_in: httpx.AsyncClient
) -> None:
    cid = await api.register("Petter Smart")
    token = await sign_in(signed_in, "rolle=admin")
    here = f"/personvern/kandidater/{cid}/sletting"
    before = api.log_position()

    named = await signed_in.post(here, data={"csrf": token, "reason": "Petter ba om det"})
    assert named.status_code == 303
    form = await signed_in.get(here, headers={"accept": "text/html"})
    assert "«begrunnelse» kan ikke inneholde personens navn" in form.text

    asked = await signed_in.post(here, data={"csrf": token, "reason": "Sak 2027/113"})
    assert asked.status_code == 200
    assert "Bekreft slettingen" in asked.text
    assert api.log_position() == before  # nothing is erased before the confirmation

    done = await signed_in.post(f"{here}/bekreft", data={"csrf": token, "reason": "Sak 2027/113"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/sykehus/kandidater/{cid}"
    assert api.log_position() > before
    erased = await api.client.get(f"/candidates/{cid}", headers=api.auth(Role.ADMIN))
    assert "Petter" not in erased.text
