"""`Idempotency-Key`: a command sent twice runs once, and the second answer is the first one.

On SQLite and PostgreSQL: replays, a key reused for another request, keys per caller, refusals
replayed, concurrent duplicates, a key released after a failure, and a connection cut before
the answer arrived, over a real socket to uvicorn.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import uvicorn
from helgeland_pipeline.api.idempotency import IdempotencyMiddleware, idempotency_keys
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.e2e.api import PROBLEM, RECRUITER_PERSON, Api

REPLAYED = "idempotent-replayed"


def new_key() -> str:
    return str(uuid.uuid4())


def someone() -> dict[str, str]:
    name = f"Kari {uuid.uuid4().hex[:8]}"
    return {"name": name, "email": f"{name.split()[1]}@example.no"}


def keyed(key: str, **headers: str) -> dict[str, str]:
    return {"Idempotency-Key": key, **headers}


async def named(api: Api, name: str) -> list[dict[str, Any]]:
    page = await api.read("/candidates", limit=200)
    return [c for c in page["items"] if c["name"] == name]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    problem: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= problem.keys()
    assert problem["status"] == status
    return problem


async def test_the_same_command_again_is_answered_from_the_first_without_running(
    api: Api,
) -> None:
    key, body = new_key(), someone()
    first = await api.post("/candidates", body, keyed(key))
    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    written = api.log_position()

    again = await api.post("/candidates", body, keyed(key))
    assert again.status_code == 201
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()
    assert again.headers["content-type"] == first.headers["content-type"]
    assert api.log_position() == written
    [candidate] = await named(api, body["name"])
    assert candidate["candidate_id"] == first.json()["id"]


async def test_the_same_key_for_another_request_is_a_422_problem_and_writes_nothing(
    api: Api,
) -> None:
    key, body = new_key(), someone()
    first = await api.post("/candidates", body, keyed(key))
    written = api.log_position()

    other = await api.post("/candidates", someone(), keyed(key))
    assert_problem(other, 422)
    elsewhere = await api.post(f"/candidates/{first.json()['id']}/withdraw", {}, keyed(key))
    assert_problem(elsewhere, 422)
    assert api.log_position() == written
    # The key still answers the request it was first used for.
    again = await api.post("/candidates", body, keyed(key))
    assert (again.status_code, again.headers[REPLAYED]) == (201, "true")


async def test_keys_belong_to_the_caller(api: Api) -> None:
    key, body = new_key(), someone()
    callers = [
        api.auth(),
        api.auth(person="another-recruiter"),
        api.auth(Role.ADMIN, person=RECRUITER_PERSON),
    ]
    answers = [await api.post("/candidates", body, keyed(key, **auth)) for auth in callers]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert not any(REPLAYED in a.headers for a in answers)
    assert len({a.json()["id"] for a in answers}) == 3
    assert len(await named(api, body["name"])) == 3


async def test_a_refusal_is_replayed_too(api: Api) -> None:
    key, path = new_key(), f"/candidates/{uuid.uuid4()}/contacts"
    body = {"kind": "placement", "municipality": "1833"}
    first = await api.post(path, body, keyed(key))
    assert_problem(first, 404)
    again = await api.post(path, body, keyed(key))
    assert_problem(again, 404)
    assert again.headers[REPLAYED] == "true"
    assert again.json() == first.json()


async def test_without_the_header_every_request_runs(api: Api) -> None:
    body = someone()
    answers = [await api.post("/candidates", body) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201]
    assert not any(REPLAYED in a.headers for a in answers)
    assert len(await named(api, body["name"])) == 2


async def test_a_malformed_key_is_a_400_problem(api: Api) -> None:
    before = api.log_position()
    for bad in ("", "x" * 256, "ключ", "tab\there"):
        headers = [(k.encode(), v.encode()) for k, v in api.auth().items()]
        headers.append((b"Idempotency-Key", bad.encode()))
        response = await api.client.post("/candidates", json=someone(), headers=headers)
        assert_problem(response, 400)
    assert api.log_position() == before
    quoted = await api.post("/candidates", someone(), keyed(f'"{new_key()}"'))
    assert quoted.status_code == 201  # the draft's structured-field form


async def test_without_a_valid_token_the_key_is_not_kept(api: Api) -> None:
    key = new_key()
    for auth in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await api.client.post("/candidates", json=someone(), headers=keyed(key, **auth))
        assert_problem(response, 401)
    response = await api.post("/candidates", someone(), keyed(key))
    assert response.status_code == 201
    assert REPLAYED not in response.headers


async def test_an_expired_key_can_be_used_again(api: Api) -> None:
    key = new_key()
    first = await api.post("/candidates", someone(), keyed(key))
    with api.services.core.engine.begin() as conn:
        old = datetime.now(UTC) - timedelta(hours=25)
        conn.execute(idempotency_keys.update().values(created_at=old))
    second = await api.post("/candidates", someone(), keyed(key))
    assert second.status_code == 201, second.text
    assert second.json()["id"] != first.json()["id"]


async def test_a_key_left_in_flight_by_a_stopped_server_is_never_run_again(api: Api) -> None:
    """The server stopped mid-request: the outcome is unknown, so the key is not run again."""
    key, body = new_key(), someone()
    first = await api.post("/candidates", body, keyed(key))
    assert first.status_code == 201
    with api.services.core.engine.begin() as conn:  # as a server dying mid-way leaves it
        conn.execute(
            idempotency_keys.update()
            .where(idempotency_keys.c.key == key)
            .values(
                state="in_flight", status=None, created_at=datetime.now(UTC) - timedelta(minutes=11)
            )
        )
    before = api.log_position()
    response = await api.post("/candidates", body, keyed(key))
    assert_problem(response, 409)
    assert "unknown" in response.json()["detail"]
    assert api.log_position() == before


async def test_concurrent_duplicates_run_once(api: Api) -> None:
    key, body = new_key(), someone()
    before = api.log_position()
    answers = await asyncio.gather(*(api.post("/candidates", body, keyed(key)) for _ in range(8)))

    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    ran = [a for a in answers if a.status_code == 201 and REPLAYED not in a.headers]
    assert len(ran) == 1
    assert {a.json()["id"] for a in answers if a.status_code == 201} == {ran[0].json()["id"]}
    for refused in (a for a in answers if a.status_code == 409):
        assert_problem(refused, 409)
    [candidate] = await named(api, body["name"])
    assert candidate["candidate_id"] == ran[0].json()["id"]
    assert api.log_position() == ran[0].json()["position"] > before


# --- the middleware around a stub app: in flight, failures -----------------------------------


@asynccontextmanager
async def stub(api: Api, route: Callable[[Request], Any]) -> AsyncIterator[httpx.AsyncClient]:
    """The middleware around one POST route, storing keys in the api's database."""
    app = Starlette(
        routes=[Route("/thing", route, methods=["POST"])],
        middleware=[Middleware(IdempotencyMiddleware)],
    )
    app.state.services = SimpleNamespace(
        verifier=api.services.verifier, async_engine=api.services.async_engine
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=api.auth()
    ) as client:
        yield client


async def test_a_duplicate_while_the_first_runs_is_a_409_problem(api: Api) -> None:
    entered, leave = asyncio.Event(), asyncio.Event()

    async def slow(_: Request) -> JSONResponse:
        entered.set()
        await leave.wait()
        return JSONResponse({"done": True}, status_code=201)

    key = new_key()
    async with stub(api, slow) as client:
        first = asyncio.create_task(client.post("/thing", json={}, headers=keyed(key)))
        await entered.wait()
        assert_problem(await client.post("/thing", json={}, headers=keyed(key)), 409)
        leave.set()
        assert (await first).status_code == 201
        again = await client.post("/thing", json={}, headers=keyed(key))
    assert (again.status_code, again.headers[REPLAYED]) == (201, "true")


async def test_a_failure_releases_the_key_for_a_retry(api: Api) -> None:
    calls: list[int] = []

    async def flaky(_: Request) -> JSONResponse:
        calls.append(1)
        if len(calls) == 1:
            msg = "the first call breaks"
            raise RuntimeError(msg)
        if len(calls) == 2:
            return JSONResponse({"later": True}, status_code=503)
        return JSONResponse({"call": len(calls)}, status_code=201)

    key = new_key()
    async with stub(api, flaky) as client:
        answers = [await client.post("/thing", json={}, headers=keyed(key)) for _ in range(4)]
    assert [a.status_code for a in answers] == [500, 503, 201, 201]
    assert [REPLAYED in a.headers for a in answers] == [False, False, False, True]
    assert answers[3].json() == {"call": 3}
    assert len(calls) == 3


# --- a cut connection, over a real socket ------------------------------------------------------


@contextmanager
def serving(settings: Settings) -> Iterator[int]:
    """The app under uvicorn on a free port, in a thread; yields the port."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(1200):  # a bound for a broken start, not a measure of speed
            if server.started or not thread.is_alive():
                break
            time.sleep(0.05)
        assert server.started, "uvicorn did not start"
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=60)


def test_a_command_whose_connection_was_cut_runs_once_and_its_retry_gets_the_answer(
    settings: Settings,
) -> None:
    token = demo_issuer(settings).issue(Role.HOSPITAL_RECRUITER, RECRUITER_PERSON, "HF")
    key, person = new_key(), someone()
    body = json.dumps(person).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    with serving(settings) as port:
        request = f"POST /candidates HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        request += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", port)) as cut:
            cut.sendall(request.encode() + body)  # and hang up without reading the answer

        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for _ in range(200):
                retried = client.post("/candidates", content=body, headers=headers)
                if retried.status_code != 409:
                    break
                time.sleep(0.05)
            assert retried.status_code == 201, retried.text
            auth = {"Authorization": headers["Authorization"]}
            listed = client.get("/candidates", params={"limit": 200}, headers=auth)
    found = [c for c in listed.json()["items"] if c["name"] == person["name"]]
    assert [c["candidate_id"] for c in found] == [retried.json()["id"]]
