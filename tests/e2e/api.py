"""A small HTTP client for the end-to-end tests: the app, its tokens and the log position."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import httpx
from fastapi import FastAPI
from helgeland_pipeline.bootstrap import ApiServices, demo_issuer
from helgeland_pipeline.domain.common import Role
from helgeland_pipeline.settings import Settings

PROBLEM = "application/problem+json"
RECRUITER_PERSON = "e2e-recruiter"
HOSPITAL = "Helgelandssykehuset HF"


def today() -> date:
    return datetime.now(UTC).date()


def iso_days(days: int) -> str:
    """A date `days` from today, as the API takes it."""
    return (today() + timedelta(days=days)).isoformat()


def reads_next(path: str) -> str:
    """The read model a command's caller reads next, which the API waits for."""
    if path.endswith("/milestones"):
        return "evaluation"
    if path.endswith("/correction"):
        return "municipal"
    if path.startswith("/forum") or path.endswith(("/forum-list", "/consent/withdraw")):
        return "forum"
    if path.startswith("/webhooks"):
        return "webhooks"
    return "hospital"


@dataclass
class Api:
    """The app under test (running its lifespan) and a client that speaks to it over ASGI."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: Settings

    @property
    def services(self) -> ApiServices:
        return cast("ApiServices", self.app.state.services)

    def log_position(self) -> int:
        """The id of the last event in the notification log (0 when empty)."""
        return self.services.core.app.recorder.max_notification_id() or 0

    def token(
        self,
        role: Role = Role.HOSPITAL_RECRUITER,
        person: str = RECRUITER_PERSON,
        organisation: str = HOSPITAL,
        municipality: str | None = None,
        lifetime_seconds: int = 3600,
    ) -> str:
        issuer = demo_issuer(self.settings)
        return issuer.issue(role, person, organisation, municipality, lifetime_seconds)

    def auth(self, role: Role = Role.HOSPITAL_RECRUITER, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role, **kwargs)}"}

    async def post(
        self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.auth() | (headers or {}))

    async def get(
        self, path: str, headers: dict[str, str] | None = None, **params: Any
    ) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth() | (headers or {}))

    async def command(self, path: str, body: dict[str, Any], expected: int = 200) -> str:
        """Send a command that must succeed; return the id it reports."""
        response = await self.post(path, body)
        assert response.status_code == expected, response.text
        result = response.json()
        # Read-your-writes: the answer comes once the caller's read model shows the change.
        assert 0 < result["position"] <= self.log_position()
        at_answer = response.extensions.get("positions_at_answer")  # set by the settling hook
        if at_answer is None:
            at_answer = {r.projection.name: r.position() for r in self.services.core.runners}
        assert at_answer[reads_next(path)] >= result["position"]
        return str(result["id"])

    async def read(self, path: str, **params: Any) -> Any:
        response = await self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    # --- the usual steps ------------------------------------------------------------------

    async def open_round(
        self,
        positions: dict[str, int] | None = None,
        coupled: int = 2,
        **extra: Any,
    ) -> str:
        body = {
            "name": "LIS1 høst 2027",
            "positions": positions or {"rana": 2, "mosjoen": 2},
            "coupled_positions": coupled,
            "application_deadline": iso_days(30),
            **extra,
        }
        return await self.command("/rounds", body, expected=201)

    async def register(self, name: str = "Kari Nordmann", **extra: Any) -> str:
        email = name.lower().replace(" ", ".") + "@example.no"
        return await self.command("/candidates", {"name": name, "email": email, **extra}, 201)

    async def apply(
        self,
        candidate_id: str,
        round_id: str,
        preference: str = "general_practice",
        local_connection: list[str] | None = None,
        **extra: Any,
    ) -> str:
        body = {
            "round_id": round_id,
            "preference": preference,
            "local_connection": local_connection or [],
            "consent_to_share": True,
            **extra,
        }
        return await self.command(f"/candidates/{candidate_id}/application", body)

    async def interview(self, candidate_id: str, score: int = 4, **extra: Any) -> str:
        body = {"interviewer": "Overlege Hansen", "primary_care_interest": score, **extra}
        return await self.command(f"/candidates/{candidate_id}/interviews", body)

    async def advance(self, round_id: str, status: str) -> str:
        return await self.command(f"/rounds/{round_id}/advance", {"status": status})

    async def offer(
        self, candidate_id: str, unit: str = "rana", coupled: bool = False, **extra: Any
    ) -> str:
        body = {"unit": unit, "coupled": coupled, "answer_by": iso_days(14), **extra}
        return await self.command(f"/candidates/{candidate_id}/offer", body)


def settle_after_commands(app: FastAPI) -> Callable[[httpx.Response], Awaitable[None]]:
    """An httpx response hook for tests: after a command is answered, note where each read
    model was at the answer, then let every read model catch up. The server waits only for the
    read models its caller reads next; this makes a test's next read of any other one
    deterministic."""

    async def settle(response: httpx.Response) -> None:
        if response.request.method == "GET" or not response.is_success:
            return
        services = app.state.services.core
        response.extensions["positions_at_answer"] = await asyncio.to_thread(
            lambda: {runner.projection.name: runner.position() for runner in services.runners}
        )
        # In a thread: the event loop must go on, other requests in flight may hold the store.
        await asyncio.to_thread(services.catch_up)

    return settle
