"""A municipality follows its own doctors over HTTP: records milestones, corrects one, reads
them back; another municipality is refused. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from helgeland_pipeline.domain.common import Role

from tests.e2e.api import PROBLEM, Api, iso_days

RANA, VEFSN = "1833", "1824"
TERMS = {
    "supervisor": "Fastlege Veileder Hansen",
    "supervision_group": "ALIS Helgeland",
    "pay_model": "fixed_salary",
    "list_length": 700,
    "out_of_hours_share": 15,
    "training_share": 20,
}


def municipality(api: Api, number: str) -> dict[str, str]:
    return api.auth(
        Role.MUNICIPALITY, person=f"e2e-{number}", organisation=number, municipality=number
    )


def forum(api: Api) -> dict[str, str]:
    return api.auth(Role.FORUM, person="e2e-forum", organisation="Forumet")


def day(n: int) -> str:
    """Noon UTC `n` days ago."""
    today = datetime.now(UTC).date()
    return datetime.combine(today - timedelta(days=n), time(12), tzinfo=UTC).isoformat()


def ago(n: int) -> str:
    return (datetime.now(UTC).date() - timedelta(days=n)).isoformat()


@pytest.fixture
async def doctor(api: Api) -> str:
    """Kari Nordmann: coupled LIS1, Rana's LIS3 offer accepted, LIS1 started 500 days ago and
    LIS3 in Rana 10 days ago."""
    round_id = await api.open_round(positions={"rana": 2}, coupled=1)
    cid = await api.register("Kari Nordmann")
    await api.apply(cid, round_id)
    await api.interview(cid)
    await api.advance(round_id, "offering")
    await api.offer(cid, coupled=True)
    await api.command(f"/candidates/{cid}/offer/accept", {})
    await api.command(f"/rounds/{round_id}/finalise", {})
    await api.command(f"/rounds/{round_id}/forum-list", {}, expected=201)
    rana = municipality(api, RANA)
    offer = {"start_date": iso_days(700), "expires_on": iso_days(30), "terms": TERMS}
    made = await api.post(f"/forum/candidates/{cid}/offers", offer, headers=rana)
    assert made.status_code == 201, made.text
    accepted = await api.post(
        f"/forum/candidates/{cid}/offers/{made.json()['item_id']}/accept", {}, rana
    )
    assert accepted.status_code == 200, accepted.text
    await record(api, cid, api.auth(), kind="lis1_started", occurred_at=day(500))
    await record(api, cid, rana, kind="lis3_started", occurred_at=day(10))
    return cid


async def record(api: Api, cid: str, headers: dict[str, str], **body: Any) -> int:
    response = await api.post(f"/candidates/{cid}/milestones", body, headers=headers)
    assert response.status_code == 200, (body, response.text)
    position: int = response.json()["position"]
    return position


async def read(api: Api, path: str, headers: dict[str, str], expected: int = 200) -> Any:
    response = await api.get(path, headers=headers)
    assert response.status_code == expected, response.text
    return response.json()


async def test_a_municipality_records_corrects_and_reads_back_its_doctors_milestones(
    api: Api, doctor: str
) -> None:
    rana = municipality(api, RANA)
    await record(
        api, doctor, rana, kind="supervisor_assigned", supervisor="Feil Navn", occurred_at=day(6)
    )
    await record(api, doctor, rana, kind="education_plan_made", occurred_at=day(5))
    await record(api, doctor, rana, kind="education_plan_reviewed")

    [listed] = await read(api, f"/municipalities/{RANA}/doctors", rana)
    assert (listed["candidate_id"], listed["name"], listed["status"]) == (
        doctor,
        "Kari Nordmann",
        "employed",
    )
    assert listed["education_plan_made_on"] == ago(5)
    seen = await read(api, f"/municipalities/{RANA}/doctors/{doctor}", rana)
    numbers = {m["kind"]: m["number"] for m in seen["milestones"]}
    assert list(numbers) == [
        "lis1_started",
        "lis3_started",
        "supervisor_assigned",
        "education_plan_made",
        "education_plan_reviewed",
    ]

    before = api.log_position()
    fixed = await api.post(
        f"/candidates/{doctor}/milestones/{numbers['supervisor_assigned']}/correction",
        {"value": "Riktig Veileder", "happened_on": ago(9), "reason": "Skrivefeil"},
        headers=rana,
    )
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["position"] > before
    seen = await read(api, f"/municipalities/{RANA}/doctors/{doctor}", rana)
    assert seen["supervisor"] == "Riktig Veileder"
    [corrected] = [m for m in seen["milestones"] if m["kind"] == "supervisor_assigned"]
    assert corrected["corrected"] is True
    assert (corrected["value"], corrected["original_value"]) == ("Riktig Veileder", "Feil Navn")
    assert (corrected["happened_on"], corrected["correction_reason"]) == (ago(9), "Skrivefeil")
    assert corrected["original_happened_on"] == ago(6)

    # The forum reads every milestone; the hospital the LIS1 ones only.
    assert len((await read(api, f"/candidates/{doctor}/milestones", forum(api)))["milestones"]) == 5
    hospital_view = await read(api, f"/candidates/{doctor}/milestones", api.auth())
    assert [m["kind"] for m in hospital_view["milestones"]] == ["lis1_started"]
    assert hospital_view["supervisor"] is None


async def test_another_municipality_can_neither_read_nor_correct(api: Api, doctor: str) -> None:
    rana, vefsn = municipality(api, RANA), municipality(api, VEFSN)
    await record(api, doctor, rana, kind="education_plan_made")
    for path in (f"/municipalities/{RANA}/doctors", f"/municipalities/{RANA}/doctors/{doctor}"):
        response = await api.get(path, headers=vefsn)
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == PROBLEM
    assert await read(api, f"/municipalities/{VEFSN}/doctors", vefsn) == []
    await read(api, f"/municipalities/{VEFSN}/doctors/{doctor}", vefsn, expected=404)
    before = api.log_position()
    refused = await api.post(
        f"/candidates/{doctor}/milestones/3/correction",
        {"happened_on": ago(1), "reason": "Ikke vår lege"},
        headers=vefsn,
    )
    assert refused.status_code == 403, refused.text
    assert api.log_position() == before
    refused = await api.get(f"/candidates/{doctor}/milestones", headers=rana)
    assert refused.status_code == 403


async def test_a_correction_that_makes_no_sense_is_refused_naming_what(
    api: Api, doctor: str
) -> None:
    rana = municipality(api, RANA)
    before = api.log_position()
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("9", {"happened_on": ago(1), "reason": "x"}, 422, "no milestone 9"),
        ("2", {"value": "Rana", "reason": "x"}, 422, "only its date"),
        ("2", {"reason": "x"}, 422, "a date or a value"),
        ("2", {"happened_on": ago(1)}, 422, "reason"),
        ("2", {"happened_on": iso_days(3), "reason": "x"}, 422, "after today"),
        ("0", {"happened_on": ago(1), "reason": "x"}, 422, "number"),
    ]
    for number, body, status, named in cases:
        response = await api.post(
            f"/candidates/{doctor}/milestones/{number}/correction", body, headers=rana
        )
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert named in response.text, (named, response.text)
    unknown = await api.post(
        f"/candidates/{uuid.uuid4()}/milestones/2/correction",
        {"happened_on": ago(1), "reason": "x"},
        headers=rana,
    )
    assert unknown.status_code == 404
    assert api.log_position() == before, "a refused correction writes nothing"


async def test_recertification_cycles_over_http(api: Api, doctor: str) -> None:
    rana = municipality(api, RANA)
    await record(api, doctor, rana, kind="specialist_approved", occurred_at=day(8))
    await record(api, doctor, rana, kind="recertified", occurred_at=day(2))
    seen = await read(api, f"/municipalities/{RANA}/doctors/{doctor}", rana)
    recertified = datetime.now(UTC).date() - timedelta(days=2)
    assert seen["recertified_on"] == recertified.isoformat()
    assert seen["recertification_due"] == recertified.replace(year=recertified.year + 5).isoformat()
    refused = await api.post(
        f"/candidates/{doctor}/milestones", {"kind": "recertified", "occurred_at": day(2)}, rana
    )
    assert refused.status_code == 409
    assert "after the last one" in refused.text
