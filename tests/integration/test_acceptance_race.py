"""Two acceptances of competing LIS3 offers at the same moment, over real HTTP on PostgreSQL.

A real uvicorn server runs the app in a thread; two client threads, released together by a
barrier, each accept a different municipality's offer to the same candidate. Exactly one may
win: the other gets 409 (a concurrent write, or the rule that the candidate already accepted),
never a 5xx, and the log and the read model agree on who won.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import uvicorn
from helgeland_pipeline.api.main import create_app
from helgeland_pipeline.bootstrap import ApiServices, demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.domain.forum import ForumCandidacy, candidacy_id
from helgeland_pipeline.settings import Settings

from tests.factories import RANA, VEFSN, forum_list, lis3_terms, municipal

ATTEMPTS = 10
PROBLEM = "application/problem+json"
CONFLICT_TITLES = {"Concurrent write", "Conflict with the programme's rules"}

pytestmark = pytest.mark.postgres


@dataclass
class Running:
    """The app served by uvicorn on a port of its own, in this process."""

    services: ApiServices
    settings: Settings
    url: str

    def headers(self, role: Role, municipality: str | None = None) -> dict[str, str]:
        issuer = demo_issuer(self.settings)
        token = issuer.issue(role, f"race-{role}-{municipality}", "Race test", municipality)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def server(postgres_url: str, postgres_schema: str, tmp_path: Path) -> Iterator[Running]:
    settings = Settings(
        database_url=postgres_url, database_schema=postgres_schema, data_dir=tmp_path, demo=True
    )
    app = create_app(settings)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    port = uvicorn_server.servers[0].sockets[0].getsockname()[1]
    services: ApiServices = app.state.services
    try:
        yield Running(services, settings, f"http://127.0.0.1:{port}")
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=30)
    assert not thread.is_alive(), "the server did not stop"


@dataclass
class Contest:
    candidate: UUID
    offers: dict[str, str]  # municipality → its offer's id


def contests(running: Running, count: int) -> list[Contest]:
    """`count` shared candidates, each with an open offer from Rana and one from Vefsn."""
    app = running.services.core.app
    fl = forum_list(app, shared=count)
    expires = (datetime.now(UTC) + timedelta(days=30)).date()
    prepared: list[Contest] = []
    for cid in fl.shared:
        offers: dict[str, str] = {}
        for number in (RANA, VEFSN):
            saved, offers[number] = app.offer_lis3(
                municipal(number), cid, number, fl.lis3_start, lis3_terms(), expires
            )
        prepared.append(Contest(cid, offers))
    running.services.core.wait_for(saved)
    return prepared


def race(clients: dict[str, httpx.Client], contest: Contest) -> dict[str, httpx.Response]:
    """Each municipality accepts its own offer; both requests leave at the same moment."""
    barrier = threading.Barrier(len(clients))
    responses: dict[str, httpx.Response] = {}
    failures: list[BaseException] = []

    def accept(number: str) -> None:
        path = f"/forum/candidates/{contest.candidate}/offers/{contest.offers[number]}/accept"
        try:
            barrier.wait(timeout=10)
            responses[number] = clients[number].post(path, json={})
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=accept, args=(number,)) for number in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert set(responses) == set(clients)
    return responses


def test_two_simultaneous_acceptances_one_wins_the_other_gets_409(server: Running) -> None:
    prepared = contests(server, ATTEMPTS)
    clients = {
        number: httpx.Client(
            base_url=server.url, headers=server.headers(Role.MUNICIPALITY, number), timeout=30
        )
        for number in (RANA, VEFSN)
    }
    winners: dict[UUID, str] = {}
    conflict_titles: list[str] = []
    try:
        for client in clients.values():  # open the connections before the races
            assert client.get("/health").status_code == 200
        for contest in prepared:
            responses = race(clients, contest)
            statuses = sorted(r.status_code for r in responses.values())
            assert statuses == [200, 409], {n: r.text for n, r in responses.items()}
            [winner] = [n for n, r in responses.items() if r.status_code == 200]
            [refused] = [r for r in responses.values() if r.status_code == 409]
            assert refused.headers["content-type"] == PROBLEM
            assert refused.json()["title"] in CONFLICT_TITLES, refused.text
            conflict_titles.append(refused.json()["title"])
            winners[contest.candidate] = winner
    finally:
        for client in clients.values():
            client.close()

    # The read model shows exactly one accepted offer per candidate, the winner's.
    forum = httpx.get(f"{server.url}/forum/board", headers=server.headers(Role.FORUM), timeout=30)
    assert forum.status_code == 200, forum.text
    board: dict[str, Any] = forum.json()
    entries = {UUID(e["candidate"]["candidate_id"]): e for e in board["candidates"]}
    app = server.services.core.app
    for contest in prepared:
        winner = winners[contest.candidate]
        loser = RANA if winner == VEFSN else VEFSN
        entry = entries[contest.candidate]
        states = {o["municipality"]: o["state"] for o in entry["offers"]}
        assert states == {winner: "accepted", loser: "accepted_elsewhere"}
        assert (entry["candidate"]["status"], entry["candidate"]["recruited_by"]) == (
            "recruited",
            winner,
        )
        # The log agrees: one acceptance, of the winner's offer.
        candidacy: object = app.repository.get(candidacy_id(contest.candidate))
        assert isinstance(candidacy, ForumCandidacy)
        assert candidacy.accepted_offer == contest.offers[winner]
        events = app.recorder.select_events(candidacy.id)
        accepted = [e for e in events if e.topic.endswith("Lis3OfferAccepted")]
        assert len(accepted) == 1
    recruited = {m["municipality"]: m["recruited"] for m in board["municipalities"]}
    assert recruited[RANA] + recruited[VEFSN] == ATTEMPTS
    # The requests did race: most losers lost the write itself, not the rule after it.
    assert "Concurrent write" in conflict_titles, conflict_titles
