"""Input no store or read model can hold is refused with a 422 naming it, and writes nothing.

Each case was once answered 2xx and then froze every read model: a time whose conversion to
UTC overflows, a NUL or a lone surrogate PostgreSQL cannot store, a count beyond `integer`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from helgeland_pipeline.domain.common import Role

from tests.e2e.api import PROBLEM, Api, iso_days

ATTACK_TIME = "0001-01-01T00:00:00+14:00"
KARI = {"name": "Kari Nordmann", "email": "kari@example.no"}


async def refused(
    api: Api,
    path: str,
    body: dict[str, Any] | str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST `body` (a dict, or raw JSON text) that must get a 422 problem; nothing is written."""
    before = api.log_position()
    content = body if isinstance(body, str) else json.dumps(body)
    sent = api.auth() | {"content-type": "application/json"} | (headers or {})
    response = await api.client.post(path, content=content.encode(), headers=sent)
    assert response.status_code == 422, (path, body, response.text)
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert problem["status"] == 422
    assert api.log_position() == before, f"{path} was refused but wrote an event"
    api.services.core.catch_up()
    return problem


def named(problem: dict[str, Any]) -> list[list[Any]]:
    """The locations the problem names (`errors[].loc`)."""
    return [error["loc"] for error in problem["errors"]]


async def still_works(api: Api) -> None:
    """A valid command after the refusal is stored and read back."""
    cid = await api.register(f"Etter Avvisning {uuid4().hex[:6]}")
    candidate = await api.read(f"/candidates/{cid}")
    assert candidate["stage"] == "registered"
    api.services.core.catch_up()


async def test_a_time_whose_utc_conversion_overflows_is_refused(api: Api) -> None:
    problem = await refused(api, "/candidates", {**KARI, "occurred_at": ATTACK_TIME})
    assert named(problem) == [["body", "occurred_at"]]
    assert "occurred_at" in problem["detail"]
    assert "1950-01-01" in problem["detail"]
    await still_works(api)


async def test_a_time_with_an_odd_offset_inside_the_window_is_kept_in_utc(api: Api) -> None:
    cid = await api.register(occurred_at="2024-01-14T10:00:00+14:00")
    timeline = await api.read(f"/candidates/{cid}/timeline")
    assert timeline
    for entry in timeline:
        assert datetime.fromisoformat(entry["occurred_at"]) == datetime(2024, 1, 13, 20, tzinfo=UTC)


async def test_a_nul_in_a_name_is_refused(api: Api) -> None:
    problem = await refused(api, "/candidates", {**KARI, "name": "Kari\x00Nordmann"})
    assert named(problem) == [["body", "name"]]
    assert "U+0000" in problem["detail"]
    await still_works(api)


async def test_a_lone_surrogate_is_refused(api: Api) -> None:
    raw = '{"name": "Kari \\ud800 Nordmann", "email": "kari@example.no"}'
    problem = await refused(api, "/candidates", raw)
    assert named(problem) == [["body", "name"]]
    # ... also where it would be echoed back: as a unit code, or as an unknown field's name.
    deadline = iso_days(30)
    raw = '{"name": "LIS1", "positions": {"ra\\ud800na": 2}, "coupled_positions": 1, '
    raw += f'"application_deadline": "{deadline}"}}'
    assert named(await refused(api, "/rounds", raw)) == [["body", "positions"]]
    raw = '{"name": "Kari", "email": "kari@example.no", "\\udfff": 1}'
    assert named(await refused(api, "/candidates", raw)) == [["body"]]
    await still_works(api)


async def test_a_count_beyond_postgresql_integer_is_refused(api: Api) -> None:
    body = {
        "name": "LIS1 høst 2027",
        "positions": {"rana": 2},
        "coupled_positions": 99999999999,
        "application_deadline": iso_days(30),
    }
    problem = await refused(api, "/rounds", body)
    assert named(problem) == [["body", "coupled_positions"]]
    problem = await refused(api, "/rounds", body | {"positions": {"rana": 99999999999}})
    assert ["body", "positions", "rana"] in named(problem)
    await api.open_round()
    await still_works(api)


async def test_free_text_keeps_its_lines_but_no_other_control_character(api: Api) -> None:
    round_id = await api.open_round()
    cid = await api.register()
    await api.apply(cid, round_id)
    await api.interview(cid, notes="Første linje\nAndre linje\r\n\tmed innrykk")
    body = {"interviewer": "Overlege Hansen", "primary_care_interest": 4, "notes": "\x1b[2J"}
    problem = await refused(api, f"/candidates/{cid}/interviews", body)
    assert named(problem) == [["body", "notes"]]
    problem = await refused(api, f"/candidates/{cid}/withdraw", {"reason": "nei\x00"})
    assert named(problem) == [["body", "reason"]]


async def test_forum_career_and_webhook_inputs_are_bounded(api: Api) -> None:
    rana = api.auth(Role.MUNICIPALITY, person="e2e-1833", organisation="1833", municipality="1833")
    somebody = uuid4()
    invitation = {"kind": "tour", "proposed_times": ["2027-01-20T10:00:00+01:00", ATTACK_TIME]}
    problem = await refused(api, f"/forum/candidates/{somebody}/invitations", invitation, rana)
    assert named(problem) == [["body", "proposed_times", 1]]
    answer = {"answer": "new_time_proposed", "new_time": "9999-12-31T23:59:59-14:00"}
    path = f"/forum/candidates/{somebody}/invitations/{uuid4()}/answer"
    assert named(await refused(api, path, answer, rana)) == [["body", "new_time"]]
    terms = {"pay_model": "fixed_salary", "list_length": 700, "out_of_hours_share": 15}
    offer = {
        "start_date": "0001-01-01",
        "expires_on": iso_days(30),
        "terms": terms | {"training_share": 20, "supervisor": "Dr.\x00"},
    }
    problem = await refused(api, f"/forum/candidates/{somebody}/offers", offer, rana)
    assert sorted(named(problem)) == [["body", "start_date"], ["body", "terms", "supervisor"]]
    milestone = {"kind": "supervisor_assigned", "supervisor": "Dr.\x00Veileder"}
    problem = await refused(api, f"/candidates/{somebody}/milestones", milestone, rana)
    assert named(problem) == [["body", "supervisor_assigned", "supervisor"]]
    milestone = {"kind": "moved_within_helgeland", "to_municipality": "1824\x00"}
    problem = await refused(api, f"/candidates/{somebody}/milestones", milestone, rana)
    assert named(problem) == [["body", "moved_within_helgeland", "to_municipality"]]
    hook = {"url": "https://kommune.example:443/h\x00ok", "event_types": ["forum_list_sent"]}
    problem = await refused(api, "/webhooks/subscriptions", hook, rana)
    assert named(problem) == [["body", "url"]]


async def test_evaluation_times_outside_the_window_are_refused_by_name(api: Api) -> None:
    evaluator = api.auth(Role.EVALUATOR, person="e2e-evaluator", organisation="NSDM")
    for parameter in ("as_of", "known_at"):
        for moment in (ATTACK_TIME, "1949-12-31T23:59:59Z"):
            response = await api.client.get(
                "/evaluation/cycles", params={parameter: moment}, headers=evaluator
            )
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == PROBLEM
            assert [e["loc"] for e in response.json()["errors"]] == [["query", parameter]]
    response = await api.client.get(
        "/evaluation/cycles", params={"as_of": "2024-06-30T23:59:00+14:00"}, headers=evaluator
    )
    assert response.status_code == 200, response.text
