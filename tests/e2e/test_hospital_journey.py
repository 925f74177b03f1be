"""A candidate's whole journey at the hospital over HTTP, and what the read side then shows."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tests.e2e.api import HOSPITAL, PROBLEM, RECRUITER_PERSON, Api, iso_days

OSLO_WINTER = timezone(timedelta(hours=1))


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_whole_journey_to_an_accepted_coupled_offer(api: Api) -> None:
    started = datetime.now(UTC)
    # Back-dated times, written with a +01:00 offset: the API must keep the instant.
    registered = (started - timedelta(days=3)).astimezone(OSLO_WINTER).replace(microsecond=0)
    placement = (started - timedelta(days=2)).astimezone(OSLO_WINTER).replace(microsecond=0)
    interviewed = (started - timedelta(hours=5)).replace(microsecond=123456)

    round_id = await api.open_round(positions={"rana": 2, "mosjoen": 2}, coupled=2)
    opened = await api.read(f"/rounds/{round_id}")
    assert opened["status"] == "open"
    assert opened["positions"] == {"rana": 2, "mosjoen": 2}
    assert opened["coupled_positions"] == 2
    assert opened["application_deadline"] == iso_days(30)

    kari = await api.register("Kari Nordmann", phone="+47 900 00 000", occurred_at=str(registered))
    body = {"kind": "placement", "municipality": "1833", "occurred_at": placement.isoformat()}
    await api.command(f"/candidates/{kari}/contacts", body)
    await api.apply(kari, round_id, "general_practice", ["grew_up", "family"])
    # A stronger interview score, but no local connection: ranks after Kari.
    ola = await api.register("Ola Hansen")
    await api.apply(ola, round_id, "undecided")

    await api.advance(round_id, "interviewing")
    await api.interview(kari, 3, occurred_at=interviewed.isoformat(), notes="Vokste opp i Mo")
    await api.interview(ola, 5)
    await api.advance(round_id, "offering")
    await api.offer(kari, "rana", coupled=True)
    await api.command(f"/candidates/{kari}/offer/accept", {})
    finished = datetime.now(UTC)

    assert (await api.read(f"/rounds/{round_id}"))["status"] == "offering"

    candidate = await api.read(f"/candidates/{kari}")
    assert candidate["candidate_id"] == kari
    assert candidate["name"] == "Kari Nordmann"
    assert candidate["email"] == "kari.nordmann@example.no"
    assert candidate["phone"] == "+47 900 00 000"
    assert at(candidate["registered_at"]) == registered
    assert candidate["round_id"] == round_id
    assert candidate["stage"] == "accepted"
    assert candidate["preference"] == "general_practice"
    assert candidate["local_connection"] == ["family", "grew_up"]
    assert candidate["consent_to_share"] is True
    assert candidate["contacts"] == 1
    assert candidate["interviews"] == 1
    assert candidate["interview_score"] == 3
    assert candidate["offer_unit"] == "rana"
    assert candidate["offer_coupled"] is True
    assert candidate["offer_answer_by"] == iso_days(14)
    assert candidate["offer_state"] == "accepted"

    ranked = await api.read(f"/rounds/{round_id}/ranked")
    assert [(r["rank"], r["candidate"]["candidate_id"]) for r in ranked] == [(1, kari), (2, ola)]
    assert ranked[1]["candidate"]["interview_score"] == 5

    funnel = await api.read(f"/rounds/{round_id}/funnel")
    assert funnel == {
        "round_id": round_id,
        "applied": 2,
        "prefers_general_practice": 1,
        "undecided": 1,
        "local_connection": 1,
        "contacted_before_applying": 1,
        "interviewed": 2,
        "offered": 1,
        "offered_coupled": 1,
        "accepted": 1,
        "accepted_coupled": 1,
        "declined": 0,
        "withdrawn": 0,
    }

    timeline: list[dict[str, Any]] = await api.read(f"/candidates/{kari}/timeline")
    assert [e["event_type"] for e in timeline] == [
        "Registered",
        "ContactDetailsRecorded",
        "StudentContacted",
        "Lis1ApplicationSubmitted",
        "Lis1InterviewHeld",
        "Lis1Offered",
        "Lis1OfferAccepted",
    ]
    positions = [e["position"] for e in timeline]
    assert positions == sorted(set(positions))
    for entry in timeline:
        assert entry["actor_person"] == RECRUITER_PERSON
        assert entry["actor_organisation"] == HOSPITAL
        assert entry["actor_role"] == "hospital_recruiter"
        recorded = at(entry["recorded_at"])
        assert started <= recorded <= finished
        assert at(entry["occurred_at"]) <= recorded
    by_type = {e["event_type"]: e for e in timeline}
    assert at(by_type["Registered"]["occurred_at"]) == registered
    assert at(by_type["ContactDetailsRecorded"]["occurred_at"]) == registered
    assert at(by_type["StudentContacted"]["occurred_at"]) == placement
    assert at(by_type["Lis1InterviewHeld"]["occurred_at"]) == interviewed
    # Not back-dated: it happened when it was recorded.
    accepted = by_type["Lis1OfferAccepted"]
    assert at(accepted["occurred_at"]) == at(accepted["recorded_at"])
    assert by_type["StudentContacted"]["details"] == {"kind": "placement", "municipality": "1833"}
    assert by_type["Lis1InterviewHeld"]["details"] == {
        "interviewer": "Overlege Hansen",
        "primary_care_interest": 3,
        "notes": "Vokste opp i Mo",
    }
    assert by_type["Lis1Offered"]["details"] == {
        "unit": "rana",
        "coupled": True,
        "answer_by": iso_days(14),
    }
    # The timeline never shows personal data.
    assert by_type["ContactDetailsRecorded"]["details"] == {}
    assert "Kari" not in json.dumps(timeline)


async def test_candidates_page_by_cursor_each_exactly_once(api: Api) -> None:
    names = [f"Kandidat {n}" for n in range(5)]
    ids = [await api.register(name) for name in names]

    seen: list[str] = []
    pages: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await api.read("/candidates", **params)
        pages.append(len(page["items"]))
        seen += [item["candidate_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert len(pages) < 10, "the cursor never ran out"
    assert seen == ids
    assert pages == [2, 2, 1]

    everything = await api.read("/candidates", limit=5)
    assert [item["candidate_id"] for item in everything["items"]] == ids
    assert everything["next_cursor"] is None


def _cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def test_a_cursor_the_api_did_not_hand_out_is_a_400_problem(api: Api) -> None:
    await api.register()
    garbage = [
        "garbage",
        "%%%",
        _cursor(["seq"]),
        _cursor({"position": 3}),
        _cursor({"seq": "3"}),
        _cursor({"seq": 2.5}),
        _cursor(None),
    ]
    for cursor in garbage:
        await _bad_cursor(api, cursor)


async def test_a_forged_cursor_beyond_any_position_is_a_400_problem(api: Api) -> None:
    """Well-formed, but its position does not fit the database's integer: still a bad cursor."""
    await api.register()
    for seq in (2**63, -(2**63) - 1, 2**70):
        await _bad_cursor(api, _cursor({"seq": seq}))


async def _bad_cursor(api: Api, cursor: str) -> None:
    response = await api.get("/candidates", cursor=cursor)
    assert response.status_code == 400, (cursor, response.text)
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 400
    assert problem["title"] == "Bad cursor"
    assert problem["detail"]
    assert problem["type"] == "about:blank"
