"""Careers as they happen, over HTTP on SQLite and PostgreSQL: dropouts, a return counted as a
second stay, and input whose dates make no sense refused with the dates named.

The evaluation here counts exactly (k = 1): its suppression of small cells is tested in
test_evaluation_api.py.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.domain.career import career_id
from helgeland_pipeline.domain.common import Role, programme_day
from helgeland_pipeline.settings import Settings

from tests.e2e.api import PROBLEM, Api, iso_days, settle_after_commands, today

RANA, VEFSN = "1833", "1824"
TERMS = {
    "supervisor": None,
    "supervision_group": "ALIS Helgeland",
    "pay_model": "fixed_salary",
    "list_length": 700,
    "out_of_hours_share": 15,
    "training_share": 20,
}


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    """As the shared `api` fixture, with the evaluation counting every cell (k = 1)."""
    app = create_app(settings.model_copy(update={"evaluation_min_cell": 1}))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://test",
            event_hooks={"response": [settle_after_commands(app)]},
        ) as client:
            yield Api(app, client, settings)


def day(n: int) -> str:
    """Noon UTC `n` days ago."""
    return datetime.combine(today() - timedelta(days=n), time(12), tzinfo=UTC).isoformat()


def norway_today() -> str:
    return programme_day(datetime.now(UTC)).isoformat()


def municipality(api: Api, number: str) -> dict[str, str]:
    return api.auth(
        Role.MUNICIPALITY, person=f"e2e-{number}", organisation=number, municipality=number
    )


async def shared_doctors(api: Api, names: list[str], **round_extra: Any) -> list[str]:
    """A round's accepted LIS1 doctors (general practice, consenting), sent to the forum."""
    round_id = await api.open_round(
        positions={"rana": len(names)}, coupled=len(names) // 2, **round_extra
    )
    ids = [await api.register(name) for name in names]
    for cid in ids:
        await api.apply(cid, round_id)
        await api.interview(cid)
    await api.advance(round_id, "offering")
    for cid in ids:
        await api.offer(cid)
        await api.command(f"/candidates/{cid}/offer/accept", {})
    await api.command(f"/rounds/{round_id}/finalise", {})
    await api.command(f"/rounds/{round_id}/forum-list", {}, expected=201)
    return ids


async def offer(
    api: Api, cid: str, number: str, start: str, expires: str, expected: int = 201
) -> httpx.Response:
    body = {"start_date": start, "expires_on": expires, "terms": TERMS}
    before = api.log_position()
    response = await api.post(
        f"/forum/candidates/{cid}/offers", body, headers=municipality(api, number)
    )
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
        assert api.log_position() == before, "a refused request writes nothing"
    return response


async def accepted(api: Api, cid: str, number: str) -> None:
    made = await offer(api, cid, number, iso_days(700), iso_days(30))
    response = await api.post(
        f"/forum/candidates/{cid}/offers/{made.json()['item_id']}/accept",
        {},
        municipality(api, number),
    )
    assert response.status_code == 200, response.text


async def milestone(
    api: Api, cid: str, headers: dict[str, str], expected: int = 200, **body: Any
) -> httpx.Response:
    before = api.log_position()
    response = await api.post(f"/candidates/{cid}/milestones", body, headers=headers)
    assert response.status_code == expected, (body, response.text)
    if expected >= 400:
        assert response.headers["content-type"] == PROBLEM
        assert api.log_position() == before, "a refused request writes nothing"
    return response


async def evaluation(api: Api, path: str, **params: Any) -> Any:
    headers = api.auth(Role.EVALUATOR, person="e2e-evaluator", organisation="NSDM")
    response = await api.get(path, headers=headers, **params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_return_is_a_second_stay_and_dropouts_are_counted(api: Api) -> None:
    hospital, rana, vefsn = api.auth(), municipality(api, RANA), municipality(api, VEFSN)
    ada, bo, cai = await shared_doctors(api, ["Ada Vik", "Bo Lund", "Cai Moe"])
    for cid in (ada, bo):
        await accepted(api, cid, RANA)
    # Nothing to drop out of before LIS1 starts (Cai accepted no LIS3 offer).
    await milestone(api, cai, hospital, 409, kind="dropped_out", reason="other")
    for cid in (ada, bo, cai):
        await milestone(api, cid, hospital, kind="lis1_started", occurred_at=day(900))

    # Cai leaves LIS1 for a hospital specialty: the hospital records it, not a municipality.
    body: dict[str, Any] = {
        "kind": "dropped_out",
        "reason": "other_specialty",
        "occurred_at": day(700),
    }
    await milestone(api, cai, rana, 403, **body)
    answer = await milestone(api, cai, hospital, note="Valgte indremedisin", **body)
    assert answer.json()["id"] == str(career_id(uuid.UUID(cai)))
    # Bo accepted Rana's LIS3 offer and leaves during LIS1: Rana may record it.
    await milestone(api, bo, vefsn, 403, kind="dropped_out", reason="family")
    await milestone(api, bo, rana, kind="dropped_out", reason="family", occurred_at=day(600))
    await milestone(api, bo, rana, 409, kind="lis3_started")  # gone
    await milestone(api, bo, hospital, 409, kind="dropped_out", reason="family")  # once only

    # Ada: LIS3 in Rana, leaves Helgeland, comes back to Vefsn: two stays.
    steps: tuple[tuple[dict[str, str], dict[str, Any]], ...] = (
        (hospital, {"kind": "lis1_part_completed", "part": "hospital", "occurred_at": day(535)}),
        (hospital, {"kind": "lis1_part_started", "part": "municipal", "occurred_at": day(534)}),
        (hospital, {"kind": "lis1_part_completed", "part": "municipal", "occurred_at": day(400)}),
        (rana, {"kind": "lis3_started", "occurred_at": day(390)}),
        (
            rana,
            {
                "kind": "left",
                "reason": "family",
                "destination": "abroad",
                "occurred_at": day(200),
            },
        ),
        (vefsn, {"kind": "returned", "municipality": VEFSN, "occurred_at": day(100)}),
    )
    for headers, step in steps:
        await milestone(api, ada, headers, **step)

    for scope in ("municipality", "region"):
        body = await evaluation(api, "/evaluation/retention", scope=scope, group_by="all")
        (group,) = body["groups"]
        assert (group["doctors"], group["stays"], group["left"]) == (1, 2, 1), scope
        assert group["curve"][0]["at_risk"] == 2
    (cycle,) = (await evaluation(api, "/evaluation/cycles"))["rounds"]
    assert (cycle["still_in_post"], cycle["dropped_out"], cycle["returned"]) == (1, 2, 1)
    # As things stood before the return: one stay, ended.
    body = await evaluation(api, "/evaluation/retention", as_of=day(150), group_by="all")
    (before,) = body["groups"]
    assert (before["doctors"], before["stays"], before["left"]) == (1, 1, 1)

    funnel = await evaluation(api, "/evaluation/funnel", group_by="all")
    counts = {s["step"]: s["count"] for s in funnel["groups"][0]["steps"]}
    hospital_steps = ("interviewed", "offered_lis1", "accepted_lis1", "started_lis1")
    assert [counts[s] for s in hospital_steps] == [3, 3, 3, 3]
    assert (counts["accepted_lis3"], counts["started_lis3"]) == (2, 1)

    # The notes stay sealed: no evaluator ever reads them.
    for path in ("/evaluation/cohort", "/evaluation/cycles", "/evaluation/funnel"):
        assert "indremedisin" not in str(await evaluation(api, path))


async def test_dates_that_make_no_sense_are_refused_with_both_dates_named(api: Api) -> None:
    before = api.log_position()
    body = {
        "name": "LIS1 høst 2027",
        "positions": {"rana": 2},
        "coupled_positions": 1,
        "application_deadline": iso_days(-1),
    }
    response = await api.post("/rounds", body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    # The schema refuses a deadline before today (UTC) first, naming both days.
    assert f"{iso_days(-1)} lies in the past (before {iso_days(0)}, UTC)" in response.text
    assert api.log_position() == before

    starts = date.fromisoformat(iso_days(40))
    (dag,) = await shared_doctors(api, ["Dag Ås"], lis1_starts_on=starts.isoformat())
    months = starts.month - 1 + 18  # LIS1 lasts 18 months (`Lis1Round.lis1_ends_on`)
    lis1_ends = date(starts.year + months // 12, months % 12 + 1, min(starts.day, 28))
    # A LIS3 post that starts before LIS1 ends, and an offer that expires after its start.
    early = await offer(api, dag, RANA, iso_days(100), iso_days(30), expected=422)
    assert f"after LIS1 ends on {lis1_ends.isoformat()}, not on {iso_days(100)}" in early.text
    late = await offer(api, dag, RANA, iso_days(700), iso_days(701), expected=422)
    assert f"expires on {iso_days(701)}, after the post starts on {iso_days(700)}" in late.text
    # LIS3 cannot start (today) before LIS1 ends, whatever the offer said.
    await accepted(api, dag, RANA)
    hospital, rana = api.auth(), municipality(api, RANA)
    await milestone(api, dag, hospital, kind="lis1_started")
    refused = await milestone(api, dag, rana, 422, kind="lis3_started")
    assert f"after LIS1 ends on {lis1_ends.isoformat()}, not on {norway_today()}" in refused.text
