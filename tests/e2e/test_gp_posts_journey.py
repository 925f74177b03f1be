"""The forum's problem over HTTP: Rana reports its GP posts, the forum board shows them, Vefsn
may not report for Rana, nonsense is refused by name, and NSDM sees the vacancy trend."""

from __future__ import annotations

from typing import Any

import httpx
from helgeland_pipeline.domain.common import Role

from tests.e2e.api import PROBLEM, Api, iso_days
from tests.factories import RANA, VEFSN

RANA_POSTS = "/municipalities/1833/gp-posts"


def posts(as_of: str, total: int, vacant: int, locums: int, retiring: int) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "total": total,
        "vacant": vacant,
        "held_by_locums": locums,
        "retirements_expected": retiring,
    }


async def test_a_municipality_reports_its_posts_and_the_forum_board_shows_them(api: Api) -> None:
    rana = api.auth(
        Role.MUNICIPALITY, person="rana", organisation="Rana kommune", municipality=RANA
    )
    vefsn = api.auth(
        Role.MUNICIPALITY, person="vefsn", organisation="Vefsn kommune", municipality=VEFSN
    )
    forum = api.auth(Role.FORUM, person="forum", organisation="Kommuneoverlegeforum")

    # Rana reports October 2020 late (back-dated), then today's figures.
    for body in (posts("2020-10-15", 26, 3, 2, 4), posts(iso_days(0), 26, 1, 1, 3)):
        response = await api.client.post(RANA_POSTS, json=body, headers=rana)
        assert response.status_code == 201, response.text
        assert response.json()["position"] <= api.log_position()

    # Vefsn may not report Rana's posts; the hospital reports none; nothing is written.
    before = api.log_position()
    for headers in (vefsn, api.auth()):
        refused = await api.client.post(
            RANA_POSTS, json=posts("2021-10-15", 26, 9, 0, 0), headers=headers
        )
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == PROBLEM
    assert api.log_position() == before

    # Nonsense is refused, naming what is wrong.
    too_many = await api.client.post(RANA_POSTS, json=posts("2021-10-15", 5, 4, 2, 0), headers=rana)
    assert too_many.status_code == 422
    assert "vacant (4) and held by locums (2)" in too_many.json()["detail"]
    ahead = await api.client.post(RANA_POSTS, json=posts(iso_days(2), 26, 1, 1, 0), headers=rana)
    assert ahead.status_code == 422
    assert iso_days(2) in ahead.json()["detail"]
    negative = await api.client.post(
        RANA_POSTS, json=posts("2021-10-15", 26, -1, 0, 0), headers=rana
    )
    assert negative.status_code == 422
    assert "vacant" in negative.text
    unknown = await api.client.post(
        "/municipalities/9999/gp-posts", json=posts("2021-10-15", 1, 0, 0, 0), headers=forum
    )
    assert unknown.status_code == 404  # the path names no municipality
    assert api.log_position() == before

    # The forum reports for Vefsn, and corrects it the same day.
    vefsn_posts = "/municipalities/1824/gp-posts"
    for body in (posts("2021-10-15", 14, 3, 1, 2), posts("2021-10-15", 14, 2, 1, 2)):
        response = await api.client.post(vefsn_posts, json=body, headers=forum)
        assert response.status_code == 201, response.text

    history = (await api.client.get(RANA_POSTS, headers=vefsn)).json()
    assert [(r["as_of"], r["vacant"]) for r in history["reports"]] == [
        ("2020-10-15", 3),
        (iso_days(0), 1),
    ]
    assert history["latest"]["reported_by"] == "Rana kommune"
    corrected = (await api.client.get(vefsn_posts, headers=rana)).json()
    assert [(r["vacant"], r["current"], r["corrects_earlier"]) for r in corrected["reports"]] == [
        (3, False, False),
        (2, True, True),
    ]
    assert (await api.client.get("/municipalities/9999/gp-posts", headers=rana)).status_code == 404

    board = (await api.client.get("/forum/board", headers=vefsn)).json()
    assert [(p["name"], p["vacant"], p["held_by_locums"]) for p in board["gp_posts"]] == [
        ("Vefsn", 2, 1),
        ("Rana", 1, 1),
    ]

    # The board page, in Norwegian, as Vefsn's chief physician sees it.
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://test"
    ) as browser:
        signed_in = await browser.get(f"/demo/logg-inn?rolle=municipality&kommune={VEFSN}")
        assert signed_in.status_code == 303
        page = await browser.get("/forum-tavle", headers={"accept": "text/html"})
    assert page.status_code == 200
    table = page.text.split('id="gp-posts"')[1].split("</table>")[0]
    assert "Fastlegehjemlene" in page.text
    assert "Rana" in table
    assert "Vefsn" in table
    assert "Rana kommune" in table
    assert '<th scope="row">Sum</th>' in table

    # NSDM's evaluators see the trend beside recruitment.
    evaluator = api.auth(Role.EVALUATOR, person="nsdm", organisation="NSDM")
    trend = (await api.client.get("/evaluation/vacancy", headers=evaluator)).json()
    by_year = {y["year"]: (y["municipalities_reporting"], y["vacant"]) for y in trend["years"]}
    assert by_year[2020] == (1, 3)
    assert by_year[2021] == (2, 5)  # Rana's 2020 carried forward, Vefsn's corrected report
    assert (await api.client.get("/evaluation/vacancy", headers=vefsn)).status_code == 403


async def test_a_chief_physician_reports_through_the_page_and_a_correction_is_marked(
    api: Api,
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api.app), base_url="http://test"
    ) as browser:
        signed_in = await browser.get(f"/demo/logg-inn?rolle=municipality&kommune={RANA}")
        assert signed_in.status_code == 303
        page = await browser.get("/kommune/1833/fastlegehjemler", headers={"accept": "text/html"})
        assert page.status_code == 200
        assert "Ingen rapporter ennå." in page.text
        token = page.text.split('name="csrf" value="')[1].split('"')[0]

        def form(vacant: int, locums: int) -> dict[str, str]:
            fields = posts("2021-10-15", 26, vacant, locums, 2)
            return {"csrf": token, **{k: str(v) for k, v in fields.items()}}

        before = api.log_position()
        refused = await browser.post("/kommune/1833/fastlegehjemler", data=form(20, 10))
        assert refused.status_code == 303
        again = await browser.get("/kommune/1833/fastlegehjemler", headers={"accept": "text/html"})
        assert "Ledige (20) og besatt av vikar (10)" in again.text
        assert api.log_position() == before

        for vacant in (4, 3):  # the second corrects the first, for the same date
            sent = await browser.post("/kommune/1833/fastlegehjemler", data=form(vacant, 1))
            assert sent.status_code == 303
        shown = await browser.get("/kommune/1833/fastlegehjemler", headers={"accept": "text/html"})
        assert "Fastlegehjemlene er rapportert." in shown.text
        history = shown.text.split('id="gp-post-history"')[1].split("</table>")[0]
        assert history.count("15.10.2021") == 2
        assert "Rettet senere" in history
        assert "Retting" in history
        assert 'value="3"' in shown.text  # the form starts from the latest report

        # Vefsn's chief physician may not open Rana's form.
        await browser.get(f"/demo/logg-inn?rolle=municipality&kommune={VEFSN}")
        other = await browser.get("/kommune/1833/fastlegehjemler", headers={"accept": "text/html"})
        assert other.status_code == 403
