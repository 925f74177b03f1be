"""Over HTTP: Rana meets a student on placement before anyone has their contact details; the
same student (the same candidate id) applies for LIS1, takes a coupled position and reaches
the forum list; Rana records its placement capacity, and its LIS3 offer fills the slot."""

from __future__ import annotations

from typing import Any

import httpx
from helgeland_pipeline.domain.common import Role

from tests.e2e.api import PROBLEM, Api, iso_days
from tests.factories import RANA, VEFSN

RANA_ORG, VEFSN_ORG = "Rana kommune", "Vefsn kommune"


class Roles:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.rana = api.auth(Role.MUNICIPALITY, municipality=RANA, organisation=RANA_ORG)
        self.vefsn = api.auth(Role.MUNICIPALITY, municipality=VEFSN, organisation=VEFSN_ORG)
        self.forum = api.auth(Role.FORUM, person="e2e-forum", organisation="Kommuneoverlegeforum")
        self.hospital = api.auth()

    async def send(
        self, who: dict[str, str], method: str, path: str, body: Any = None, expected: int = 200
    ) -> Any:
        response: httpx.Response = await self.api.client.request(
            method, path, json=body, headers=who
        )
        assert response.status_code == expected, (method, path, response.text)
        if expected >= 400:
            assert response.headers["content-type"] == PROBLEM
        return response.json()


async def test_a_placement_student_met_by_rana_applies_and_reaches_the_forum_list(
    api: Api,
) -> None:
    who = Roles(api)
    placement = {"kind": "placement", "municipality": RANA}
    student = (await who.send(who.rana, "POST", "/students", placement, 201))["id"]
    await who.send(who.rana, "POST", f"/candidates/{student}/contacts", {"kind": "summer_job"})
    # A municipality records its own contacts only; the forum names the municipality.
    named = {"kind": "placement", "municipality": VEFSN}
    await who.send(who.rana, "POST", "/students", named, 403)
    await who.send(who.forum, "POST", "/students", {"kind": "student_project"}, 403)
    await who.send(who.forum, "POST", f"/candidates/{student}/contacts", named)

    details = {"name": "Kari Student", "email": "kari.student@example.no"}
    other = (await who.send(who.vefsn, "POST", "/students", {"kind": "campus_visit"}, 201))["id"]
    await who.send(who.rana, "PUT", f"/candidates/{other}/contact-details", details, 403)
    await who.send(who.rana, "PUT", f"/candidates/{student}/contact-details", details)

    seen = await who.send(who.hospital, "GET", f"/candidates/{student}")
    assert seen["name"] == "Kari Student"
    assert [(c["kind"], c["municipality"], c["recorded_by"]) for c in seen["early_contacts"]] == [
        ("placement", RANA, RANA_ORG),
        ("summer_job", RANA, RANA_ORG),
        ("placement", VEFSN, "Kommuneoverlegeforum"),
    ]
    assert await who.send(who.forum, "GET", "/forum/students") == []  # no consent yet

    # The same student applies under the same id, and takes a coupled LIS1 position.
    round_id = await api.open_round(positions={"rana": 4}, coupled=2, lis1_starts_on=iso_days(60))
    await api.apply(student, round_id, "general_practice", ["placement"])
    undecided = await api.register("Ola Usikker")
    await api.apply(undecided, round_id, "undecided")
    await api.advance(round_id, "offering")
    for cid in (student, undecided):
        await api.interview(cid, 5)
    refused = await who.send(
        who.hospital,
        "POST",
        f"/candidates/{undecided}/offer",
        {"unit": "rana", "coupled": True, "answer_by": iso_days(14)},
        409,
    )
    assert "general practice" in refused["detail"]
    assert "undecided" in refused["detail"]
    await api.offer(undecided, "rana", coupled=False)
    await api.offer(student, "rana", coupled=True)
    for cid in (student, undecided):
        await api.command(f"/candidates/{cid}/offer/accept", {})
    await api.command(f"/rounds/{round_id}/finalise", {})
    await api.command(f"/rounds/{round_id}/forum-list", {}, 201)

    shared = await who.send(who.rana, "GET", "/forum/candidates")
    assert [(c["candidate_id"], c["coupled_slot"]) for c in shared] == [(student, 1)]
    [met] = await who.send(who.forum, "GET", "/forum/students")
    assert (met["candidate_id"], met["name"], met["applied"]) == (student, "Kari Student", True)

    # Placement capacity: Rana for itself, the forum for Vefsn; read by the forum.
    capacity = {"year": 2027, "students": 2}
    await who.send(who.vefsn, "PUT", f"/municipalities/{RANA}/placement-capacity", capacity, 403)
    await who.send(who.rana, "PUT", f"/municipalities/{RANA}/placement-capacity", capacity)
    await who.send(
        who.forum, "PUT", f"/municipalities/{VEFSN}/placement-capacity", {**capacity, "students": 1}
    )
    found = await who.send(who.forum, "GET", "/forum/placement-capacity")
    assert [(p["municipality"], p["students"]) for p in found] == [(VEFSN, 1), (RANA, 2)]
    board = await who.send(who.forum, "GET", "/forum/board")
    places = {m["municipality"]: m["placement_students"] for m in board["municipalities"]}
    assert (places[RANA], places[VEFSN]) == (2, 1)

    # Rana's LIS3 offer names the coupled slot it fills; another slot is refused.
    start = (await who.send(who.hospital, "GET", f"/rounds/{round_id}"))["lis1_starts_on"]
    offer = {
        "start_date": iso_days(60 + 18 * 31),
        "expires_on": iso_days(30),
        "terms": {"pay_model": "fixed_salary", "list_length": 700, "out_of_hours_share": 15}
        | {"training_share": 20},
    }
    assert start == iso_days(60)
    path = f"/forum/candidates/{student}/offers"
    wrong = await who.send(who.rana, "POST", path, {**offer, "coupled_slot": 2}, 409)
    assert "coupled slot 2" in wrong["detail"]
    made = await who.send(who.rana, "POST", path, {**offer, "coupled_slot": 1}, 201)
    await who.send(who.rana, "POST", f"{path}/{made['item_id']}/accept", {})
    slots = (await who.send(who.hospital, "GET", f"/rounds/{round_id}"))["coupled_slots"]
    outcome = [
        (s["slot"], s["candidate_id"], s["lis3_offers"], s["lis3_accepted_by"]) for s in slots
    ]
    assert outcome == [
        (1, student, 1, RANA),
        (2, None, 0, None),
    ]
