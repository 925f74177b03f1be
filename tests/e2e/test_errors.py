"""Every refusal is an RFC 9457 problem, and a refused request appends nothing to the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from helgeland_pipeline.auth import DemoIssuer
from helgeland_pipeline.domain.common import Role

from tests.e2e.api import PROBLEM, Api, iso_days


async def refused(
    api: Api,
    status: int,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    authenticated: bool = True,
) -> dict[str, Any]:
    """Send a request that must be refused with `status`; return its problem document."""
    before = api.log_position()
    sent_headers = (api.auth() if authenticated else {}) | (headers or {})
    response = await api.client.request(
        method, path, json=body, content=content, headers=sent_headers, params=params
    )
    assert response.status_code == status, (method, path, body, response.text)
    assert response.headers["content-type"] == PROBLEM, response.headers
    problem: dict[str, Any] = response.json()
    assert problem["type"] == "about:blank"
    assert problem["status"] == status
    assert isinstance(problem["title"], str)
    assert problem["title"]
    assert isinstance(problem["detail"], str)
    assert problem["detail"]
    assert api.log_position() == before, f"{method} {path} was refused but wrote an event"
    return problem


def in_an_hour() -> str:
    return (datetime.now(UTC) + timedelta(hours=1)).isoformat()


async def test_malformed_json_is_400(api: Api) -> None:
    cid = await api.register()
    json_type = {"content-type": "application/json"}
    for path in ("/candidates", f"/candidates/{cid}/interviews", "/rounds"):
        for broken in (b'{"name": "Kari', b"{'name': 'Kari'}", b"not json at all"):
            problem = await refused(api, 400, "POST", path, content=broken, headers=json_type)
            assert problem["title"] == "Malformed request"


async def test_invalid_input_is_422(api: Api) -> None:
    round_id = await api.open_round()
    cid = await api.register()
    email = {"name": "Kari Nordmann", "email": "kari@example.no"}
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("/candidates", {"email": "kari@example.no"}, "name"),
        ("/candidates", {**email, "shoe_size": 42}, "shoe_size"),
        ("/candidates", {**email, "occurred_at": "2027-01-14T10:00:00"}, "occurred_at"),
        ("/candidates", {**email, "occurred_at": "yesterday"}, "occurred_at"),
        ("/candidates", {**email, "occurred_at": in_an_hour()}, "future"),
        ("/candidates", {"name": "Kari Nordmann", "email": "not-an-email"}, "e-mail"),
        (
            f"/candidates/{cid}/contacts",
            {"kind": "campus_visit", "occurred_at": in_an_hour()},
            "future",
        ),
        (f"/candidates/{cid}/contacts", {"kind": "placement", "municipality": "0301"}, "0301"),
        (f"/candidates/{cid}/contacts", {"kind": "placement"}, "municipality"),
        (f"/candidates/{cid}/contacts", {"kind": "telepathy"}, "kind"),
        (
            f"/candidates/{cid}/application",
            {"round_id": "not-a-uuid", "preference": "hospital", "consent_to_share": True},
            "round_id",
        ),
        (
            f"/candidates/{cid}/application",
            {"round_id": round_id, "preference": "surgery", "consent_to_share": True},
            "preference",
        ),
        (
            "/rounds",
            {
                "name": "LIS1 høst 2027",
                "positions": {"rana": 2, "tromso": 2},
                "coupled_positions": 1,
                "application_deadline": iso_days(30),
            },
            "tromso",
        ),
        (
            "/rounds",
            {
                "name": "LIS1 høst 2027",
                "positions": {"rana": 2},
                "coupled_positions": -1,
                "application_deadline": iso_days(30),
            },
            "coupled_positions",
        ),
        (
            "/rounds",
            {
                "name": "LIS1 høst 2027",
                "positions": {"rana": 2},
                "coupled_positions": 1,
                "application_deadline": iso_days(-1),
            },
            "application_deadline",
        ),
        (
            "/rounds",
            {
                "name": "LIS1 høst 2027",
                "positions": {},
                "coupled_positions": 0,
                "application_deadline": iso_days(30),
            },
            "positions",
        ),
        (
            "/rounds",
            {
                "name": "LIS1 høst 2027",
                "positions": {"rana": 0},
                "coupled_positions": 0,
                "application_deadline": iso_days(30),
            },
            "rana",
        ),
    ]
    for path, body, mentioned in cases:
        problem = await refused(api, 422, "POST", path, body=body)
        assert mentioned in problem["detail"], problem

    await api.apply(cid, round_id)
    for score in (0, 6, "strong"):
        body = {"interviewer": "Overlege Hansen", "primary_care_interest": score}
        problem = await refused(api, 422, "POST", f"/candidates/{cid}/interviews", body=body)
        assert "primary_care_interest" in problem["detail"]
        assert problem["errors"][0]["loc"] == ["body", "primary_care_interest"]

    await api.interview(cid, 4)
    await api.advance(round_id, "offering")
    body = {"unit": "tromso", "coupled": False, "answer_by": iso_days(14)}
    problem = await refused(api, 422, "POST", f"/candidates/{cid}/offer", body=body)
    assert "tromso" in problem["detail"]

    await refused(api, 422, "GET", "/candidates/not-a-uuid")
    await refused(api, 422, "POST", "/candidates/not-a-uuid/interviews", body={})
    for params in ({"limit": 0}, {"limit": 201}, {"stage": "hired"}, {"round_id": "x"}):
        problem = await refused(api, 422, "GET", "/candidates", params=params)
        assert next(iter(params)) in problem["detail"]


async def test_programme_rules_are_409(api: Api) -> None:
    too_many_coupled = {
        "name": "LIS1 høst 2027",
        "positions": {"rana": 2, "mosjoen": 2},
        "coupled_positions": 3,
        "application_deadline": iso_days(30),
    }
    problem = await refused(api, 409, "POST", "/rounds", body=too_many_coupled)
    assert "at most half" in problem["detail"]

    round_id = await api.open_round(positions={"rana": 2}, coupled=1)
    not_interviewed = await api.register("Ikke Intervjuet")
    await api.apply(not_interviewed, round_id)
    first, second = await api.register("Første Kandidat"), await api.register("Andre Kandidat")
    for cid in (first, second):
        await api.apply(cid, round_id)
        await api.interview(cid, 4)
    withdrawn = await api.register("Trukket Kandidat")
    await api.command(f"/candidates/{withdrawn}/withdraw", {"reason": "valgte Tromsø"})
    await api.advance(round_id, "offering")

    offer = {"unit": "rana", "coupled": False, "answer_by": iso_days(14)}
    problem = await refused(api, 409, "POST", f"/candidates/{not_interviewed}/offer", body=offer)
    assert "interview" in problem["detail"]

    await api.offer(first, "rana", coupled=True)
    coupled = offer | {"coupled": True}
    problem = await refused(api, 409, "POST", f"/candidates/{second}/offer", body=coupled)
    assert "coupled" in problem["detail"]

    await api.command(f"/candidates/{first}/offer/accept", {})
    problem = await refused(api, 409, "POST", f"/candidates/{first}/offer/accept", body={})
    assert "already accepted" in problem["detail"]
    await refused(api, 409, "POST", f"/candidates/{first}/offer/decline", body={})

    application = {"round_id": round_id, "preference": "hospital", "consent_to_share": True}
    problem = await refused(
        api, 409, "POST", f"/candidates/{withdrawn}/application", body=application
    )
    assert "withdrawn" in problem["detail"]
    await refused(api, 409, "POST", f"/candidates/{withdrawn}/withdraw", body={})

    problem = await refused(
        api, 409, "POST", f"/rounds/{round_id}/advance", body={"status": "interviewing"}
    )
    assert problem["title"] == "Conflict with the programme's rules"

    candidate = await api.read(f"/candidates/{first}")
    assert candidate["stage"] == "accepted"
    assert (await api.read(f"/candidates/{second}"))["offer_state"] is None


async def test_missing_or_bad_token_is_401(api: Api) -> None:
    cid = await api.register()
    other_key = DemoIssuer(
        api.settings.data_dir / "someone-elses-jwks.json",
        api.settings.auth_issuer,
        api.settings.auth_audience,
    )
    wrong_issuer = DemoIssuer(
        api.settings.demo_jwks_file, "https://evil.invalid/issuer", api.settings.auth_audience
    )
    wrong_audience = DemoIssuer(
        api.settings.demo_jwks_file, api.settings.auth_issuer, "someone-else"
    )
    recruiter = (Role.HOSPITAL_RECRUITER, "e2e-recruiter", "Helgelandssykehuset HF")
    bad_headers: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer a.b.c"},
        {"Authorization": f"Basic {api.token()}"},
        {"Authorization": f"Bearer {api.token(lifetime_seconds=-3600)}"},
        {"Authorization": f"Bearer {other_key.issue(*recruiter)}"},
        {"Authorization": f"Bearer {wrong_issuer.issue(*recruiter)}"},
        {"Authorization": f"Bearer {wrong_audience.issue(*recruiter)}"},
    ]
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/candidates", {"name": "Kari Nordmann", "email": "kari@example.no"}),
        ("POST", f"/candidates/{cid}/contacts", {"kind": "campus_visit"}),
        ("GET", f"/candidates/{cid}", None),
        ("GET", "/rounds", None),
    ]
    for headers in bad_headers:
        for method, path, body in requests:
            before = api.log_position()
            response = await api.client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (headers, path, response.text)
            assert response.headers["content-type"] == PROBLEM
            assert response.headers["www-authenticate"] == "Bearer"
            problem = response.json()
            assert problem["status"] == 401
            assert problem["title"] == "Unauthenticated"
            assert problem["detail"]
            assert api.log_position() == before


async def test_wrong_role_is_403(api: Api) -> None:
    round_id = await api.open_round()
    cid = await api.register()
    outsiders = [
        api.auth(Role.EVALUATOR, person="evaluator-1", organisation="NSDM"),
        api.auth(Role.FORUM, person="forum-1", organisation="Kommuneoverlegeforum Helgeland"),
        api.auth(
            Role.MUNICIPALITY, person="kommuneoverlege", organisation="Rana", municipality="1833"
        ),
    ]
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/candidates", {"name": "Kari Nordmann", "email": "kari@example.no"}),
        (
            "POST",
            f"/candidates/{cid}/application",
            {"round_id": round_id, "preference": "hospital", "consent_to_share": True},
        ),
        ("POST", f"/candidates/{cid}/withdraw", {}),
        ("POST", f"/rounds/{round_id}/advance", {"status": "offering"}),
        ("GET", "/candidates", None),
        ("GET", f"/candidates/{cid}", None),
        ("GET", f"/candidates/{cid}/timeline", None),
        ("GET", "/rounds", None),
        ("GET", f"/rounds/{round_id}/ranked", None),
        ("GET", f"/rounds/{round_id}/funnel", None),
    ]
    for headers in outsiders:
        for method, path, body in requests:
            problem = await refused(api, 403, method, path, body=body, headers=headers)
            assert problem["title"] == "Forbidden"
    # The hospital, a municipality (for itself) and the forum record a student's contacts; an
    # evaluator does not (tests/e2e/test_access_matrix.py: STUDENT_KEEPERS).
    contact = {"kind": "campus_visit"}
    problem = await refused(
        api, 403, "POST", f"/candidates/{cid}/contacts", body=contact, headers=outsiders[0]
    )
    assert problem["title"] == "Forbidden"
    # An admin may do what a recruiter does.
    admin = api.auth(Role.ADMIN, person="admin-1", organisation="Helgelandslegen")
    response = await api.client.get(f"/candidates/{cid}", headers=admin)
    assert response.status_code == 200
    assert (await api.read(f"/candidates/{cid}"))["stage"] == "registered"


async def test_unknown_ids_and_routes_are_404(api: Api) -> None:
    round_id = await api.open_round()
    cid = await api.register()
    nobody, nothing = uuid4(), uuid4()
    reads = [
        f"/candidates/{nobody}",
        f"/candidates/{nobody}/timeline",
        f"/rounds/{nothing}",
        f"/rounds/{nothing}/ranked",
        f"/rounds/{nothing}/funnel",
    ]
    for path in reads:
        problem = await refused(api, 404, "GET", path)
        assert problem["title"] == "Not found"
        assert str(nobody) in problem["detail"] or str(nothing) in problem["detail"]
    commands: list[tuple[str, dict[str, Any]]] = [
        (f"/candidates/{nobody}/contacts", {"kind": "campus_visit"}),
        (
            f"/candidates/{nobody}/interviews",
            {"interviewer": "Overlege", "primary_care_interest": 3},
        ),
        (f"/candidates/{nobody}/offer/accept", {}),
        (f"/candidates/{nobody}/withdraw", {}),
        (f"/rounds/{nothing}/advance", {"status": "offering"}),
        (f"/rounds/{nothing}/finalise", {}),
        # The candidate exists; the round does not.
        (
            f"/candidates/{cid}/application",
            {"round_id": str(nothing), "preference": "hospital", "consent_to_share": True},
        ),
        # A round id where a candidate id belongs, and the other way round.
        (f"/candidates/{round_id}/contacts", {"kind": "campus_visit"}),
        (f"/rounds/{cid}/advance", {"status": "offering"}),
    ]
    for path, body in commands:
        problem = await refused(api, 404, "POST", path, body=body)
        assert problem["title"] == "Not found"
    for method, path in (("GET", "/nowhere"), ("POST", "/candidates/x/y/z")):
        problem = await refused(api, 404, method, path, body={} if method == "POST" else None)
        assert problem["detail"] == "Not Found"
    # `/` is the pages' start page now (web/); a browser asking for an unknown page gets the
    # Norwegian 404 page, an API client the problem above.
    start = await api.client.get("/")
    assert start.status_code == 200
    assert 'lang="nb"' in start.text
    nowhere = await api.client.get("/nowhere", headers={"accept": "text/html"})
    assert nowhere.status_code == 404
    assert "Fant ikke siden" in nowhere.text
