"""`Idempotency-Key` (IETF httpapi draft): a retried command is answered, not run again.

A pure ASGI middleware. The first request with a key claims it with an INSERT (the primary key
makes the claim atomic, also between processes on PostgreSQL), runs, and stores its answer;
the same request again gets that answer replayed. Keys belong to the caller (subject, role and
municipality of the verified token). A 5xx answer or a raised error releases the key so that a
retry can run; the answer is stored before a byte goes out, so a cut connection loses nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import anyio
from helgeland_platform.problems import problem
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helgeland_pipeline.application import Clock, utc_now
from helgeland_pipeline.auth import AuthenticationFailed, TokenVerifier
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.readside.types import UtcDateTime

HEADER = b"idempotency-key"
REPLAYED = (b"idempotent-replayed", b"true")
METHODS = frozenset({"POST", "PUT", "PATCH"})
IN_FLIGHT, DONE = "in_flight", "done"
# Far longer than any request (commands wait at most the read-your-writes time-out).
ABANDONED_AFTER = timedelta(minutes=10)

metadata = MetaData()

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String, primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("status", Integer),
    Column("headers", JSON),
    Column("body", LargeBinary),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    async def replay(self, send: Send) -> None:
        headers = [*self.headers, REPLAYED]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


@dataclass(frozen=True)
class Claim:
    outcome: Literal["claimed", "in_flight", "abandoned", "mismatch", "replay"]
    response: StoredResponse | None = None


class IdempotencyStore:
    """The `idempotency_keys` table: claim a key, store its answer, or release it."""

    def __init__(self, engine: AsyncEngine, retention: timedelta, clock: Clock) -> None:
        self.engine, self.retention, self.clock = engine, retention, clock

    async def claim(self, scope: str, key: str, fingerprint: str) -> Claim:
        t = idempotency_keys
        for _ in range(3):  # a row released between our INSERT and SELECT: claim again
            now = self.clock()
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(delete(t).where(t.c.created_at < now - self.retention))
                    row = {"scope": scope, "key": key, "fingerprint": fingerprint}
                    await conn.execute(insert(t).values(state=IN_FLIGHT, created_at=now, **row))
            except IntegrityError:
                pass  # someone else holds the key: see below what they did with it
            else:
                return Claim("claimed")
            async with self.engine.connect() as conn:
                found = (await conn.execute(select(t).where(self._key(scope, key)))).first()
            if found is None:
                continue
            if found.fingerprint != fingerprint:
                return Claim("mismatch")
            if found.state == IN_FLIGHT:
                # No request runs this long: the process that took the key stopped mid-way.
                abandoned = found.created_at < now - ABANDONED_AFTER
                return Claim("abandoned" if abandoned else "in_flight")
            headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in found.headers]
            return Claim("replay", StoredResponse(found.status, headers, found.body))
        return Claim("in_flight")

    async def complete(self, scope: str, key: str, response: StoredResponse) -> None:
        headers = [[n.decode("latin-1"), v.decode("latin-1")] for n, v in response.headers]
        t = idempotency_keys
        async with self.engine.begin() as conn:
            await conn.execute(
                update(t)
                .where(self._key(scope, key))
                .values(state=DONE, status=response.status, headers=headers, body=response.body)
            )

    async def release(self, scope: str, key: str) -> None:
        t = idempotency_keys
        async with self.engine.begin() as conn:
            await conn.execute(delete(t).where(self._key(scope, key), t.c.state == IN_FLIGHT))

    @staticmethod
    def _key(scope: str, key: str) -> Any:
        return and_(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)


class IdempotencyMiddleware:
    """Honours `Idempotency-Key` on POST, PUT and PATCH; other requests pass untouched."""

    @staticmethod
    def openapi_responses(method: str, authenticated: bool, has_body: bool) -> dict[int, str]:
        """What a keyed request can be answered besides the route's own (api/openapi.py)."""
        if method not in METHODS or not authenticated:
            return {}
        return {
            400: "Malformed request, or an Idempotency-Key that is not 1–255 printable characters",
            409: "A request with this Idempotency-Key is still running, or its outcome is unknown",
            422: "This Idempotency-Key was used for another request",
        }

    def __init__(
        self, app: ASGIApp, retention: timedelta = timedelta(hours=24), clock: Clock = utc_now
    ) -> None:
        self.app, self.retention, self.clock = app, retention, clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        keyed = scope["type"] == "http" and scope["method"] in METHODS
        values = _header(scope, HEADER) if keyed else []
        services: ApiServices | None = getattr(scope["app"].state, "services", None)
        caller = _caller(scope, services.verifier) if values and services else None
        if caller is None or services is None:
            await self.app(scope, receive, send)  # no key, or no caller: answered as always
            return
        key = _parse_key(values)
        if key is None:
            detail = "Idempotency-Key must be one value of 1–255 printable ASCII characters"
            await _problem(scope, 400, "Bad Idempotency-Key", detail, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client left before its request was complete: nothing ran
        store = IdempotencyStore(services.async_engine, self.retention, self.clock)
        claim = await store.claim(caller, key, _fingerprint(scope, body))
        if claim.response is not None:
            await claim.response.replay(send)
        elif claim.outcome == "mismatch":
            detail = "this Idempotency-Key was used for another request; use a new key"
            await _problem(scope, 422, "Idempotency-Key reused", detail, send)
        elif claim.outcome == "abandoned":
            detail = (
                "the first request with this Idempotency-Key never finished (the server "
                "stopped while it ran), so whether it took effect is unknown: look before "
                "sending it again with a new key"
            )
            await _problem(scope, 409, "Request outcome unknown", detail, send)
        elif claim.outcome == "in_flight":
            detail = "a request with this Idempotency-Key is still being processed; retry later"
            await _problem(scope, 409, "Request in progress", detail, send)
        else:
            await self._run(store, (caller, key), scope, _replaying(body, receive), send)

    async def _run(
        self,
        store: IdempotencyStore,
        caller_key: tuple[str, str],
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """Run the app with the key claimed; store its answer before a byte goes out."""
        captured = _Captured()
        try:
            await self.app(scope, receive, captured.send)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await store.release(*caller_key)
            raise
        response = captured.response()
        # Shielded: once the app has run, its answer is kept even if this task is cancelled.
        with anyio.CancelScope(shield=True):
            if response is None or response.status >= 500:
                await store.release(*caller_key)
            else:
                await store.complete(*caller_key, response)
        for message in captured.messages:
            await send(message)


class _Captured:
    """The app's response, held back until it is stored."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    def response(self) -> StoredResponse | None:
        starts = [m for m in self.messages if m["type"] == "http.response.start"]
        bodies = [m for m in self.messages if m["type"] == "http.response.body"]
        if len(starts) != 1 or not bodies or bodies[-1].get("more_body", False):
            return None
        body = b"".join(m.get("body", b"") for m in bodies)
        return StoredResponse(starts[0]["status"], list(starts[0].get("headers", [])), body)


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope["headers"] if key.lower() == name]


def _caller(scope: Scope, verifier: TokenVerifier) -> str | None:
    """Whose keys these are: the verified token's subject, role and municipality."""
    values = _header(scope, b"authorization")
    if len(values) != 1:
        return None
    scheme, _, token = values[0].decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    try:
        actor = verifier.verify(token.strip())
    except AuthenticationFailed:
        return None  # the route answers 401, and nothing is stored
    return json.dumps([actor.person_id, str(actor.role), actor.municipality])


def _parse_key(values: list[bytes]) -> str | None:
    if len(values) != 1:
        return None
    text = values[0].decode("latin-1").strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1]  # the draft's form is a structured-field string: "key"
    valid = 1 <= len(text) <= 255 and all(" " <= c <= "~" for c in text)
    return text if valid else None


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """The buffered body for the app; after it, the client's own messages (a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _fingerprint(scope: Scope, body: bytes) -> str:
    target = scope["path"].encode() + b"?" + scope.get("query_string", b"")
    return hashlib.sha256(b"\0".join([scope["method"].encode(), target, body])).hexdigest()


async def _problem(scope: Scope, status: int, title: str, detail: str, send: Send) -> None:
    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await problem(Request(scope), status, title, detail)(scope, no_body, send)
