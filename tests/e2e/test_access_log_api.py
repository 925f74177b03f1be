"""`GET /access-log`: administrators see who read whose personal data, a page at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from helgeland_pipeline.domain.common import Role, programme_day

from tests.e2e.api import PROBLEM, Api


async def test_an_administrator_pages_through_who_read_a_candidate(api: Api) -> None:
    kari = await api.register("Kari Nordmann")
    ola = await api.register("Ola Nordmann")
    for _ in range(3):
        await api.read(f"/candidates/{kari}")
    await api.read("/candidates")  # a list: both are in the entry
    admin = api.auth(Role.ADMIN, person="personvernombud")

    seen: list[dict[str, Any]] = []
    params: dict[str, str] = {"candidate": kari, "limit": "2"}
    while True:
        answer = await api.client.get("/access-log", params=params, headers=admin)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert [e["route"] for e in seen] == ["/candidates"] + ["/candidates/{candidate_id}"] * 3
    assert sorted(seen[0]["candidate_ids"]) == sorted([kari, ola])
    assert {e["person"] for e in seen} == {"e2e-recruiter"}

    by_person = await api.client.get(
        "/access-log", params={"person": "e2e-recruiter"}, headers=admin
    )
    assert len(by_person.json()["items"]) == 4
    about_ola = await api.client.get("/access-log", params={"candidate": ola}, headers=admin)
    assert [e["route"] for e in about_ola.json()["items"]] == ["/candidates"]
    # Reading the access log is not itself a read of candidates' personal data.
    assert len((await api.client.get("/access-log", headers=admin)).json()["items"]) == 4


async def test_the_access_log_narrows_to_norwegian_days(api: Api) -> None:
    kari = await api.register("Kari Nordmann")
    await api.read(f"/candidates/{kari}")
    admin = api.auth(Role.ADMIN)
    today = programme_day(datetime.now(UTC))
    days = {
        "yesterday": today - timedelta(days=1),
        "today": today,
        "tomorrow": today + timedelta(days=1),
    }

    async def count(**params: date) -> int:
        query = {"candidate": kari} | {k: v.isoformat() for k, v in params.items()}
        answer = await api.client.get("/access-log", params=query, headers=admin)
        assert answer.status_code == 200, answer.text
        return len(answer.json()["items"])

    assert await count(since=days["today"], until=days["today"]) == 1
    assert await count(since=days["yesterday"]) == 1
    assert await count(since=days["tomorrow"]) == 0
    assert await count(until=days["yesterday"]) == 0
    refused = await api.client.get("/access-log", params={"since": "31.12.2026"}, headers=admin)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == PROBLEM


async def test_the_access_log_refuses_others_and_bad_input(api: Api) -> None:
    for role in (Role.HOSPITAL_RECRUITER, Role.FORUM, Role.EVALUATOR):
        refused = await api.client.get("/access-log", headers=api.auth(role))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == PROBLEM
    admin = api.auth(Role.ADMIN)
    for params in ({"cursor": "nonsense"}, {"candidate": "not-a-uuid"}, {"limit": "0"}):
        answer = await api.client.get("/access-log", params=params, headers=admin)
        assert answer.status_code in (400, 422), answer.text
        assert answer.headers["content-type"] == PROBLEM
