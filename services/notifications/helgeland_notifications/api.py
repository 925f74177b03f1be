"""The notifications API: deliveries, dead letters, and redelivery.

The forum and admins see every delivery; municipalities and the hospital see their own
organisation's webhooks; evaluators, who read pseudonymised figures only, see none.

No `from __future__ import annotations` here: FastAPI resolves the dependency annotations at
run time, and `caller` is local to `create_api`.
"""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from helgeland_contracts.bounds import SingleLine
from helgeland_platform.hardening import harden
from helgeland_platform.problems import invalid_request, problem, unauthenticated
from pydantic import BaseModel
from sqlalchemy import Select, select

from helgeland_notifications import store
from helgeland_notifications.auth import Caller, Unauthenticated, Verifier
from helgeland_notifications.operations import add_operations
from helgeland_notifications.worker import Worker

_bearer = HTTPBearer(auto_error=False)
SEE_ALL = frozenset({"forum", "admin"})
SEE_OWN = frozenset({"municipality", "hospital_recruiter"})
# An idempotency key is "msg_" and 40 hex digits; the column holds 64 characters.
DeliveryKey = Annotated[SingleLine, Path(max_length=64)]


class Forbidden(Exception):
    """A valid token whose role may not use this API."""


class Delivery(BaseModel):
    key: str
    channel: str
    recipient: str
    status: Literal["pending", "delivered", "dead", "cancelled"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryContent(Delivery):
    """A delivery with what it said, for the person it was about."""

    position: int
    audience: str
    candidate_id: str | None
    subject: str | None
    body_text: str | None
    payload: dict[str, Any] | None


def create_api(worker: Worker, verifier: Verifier) -> FastAPI:
    app = FastAPI(title="Helgelandslegen notifications", version="1.0.0")

    def caller(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Caller:
        if credentials is None:
            raise Unauthenticated("a bearer token is required")
        who = verifier.verify(credentials.credentials)
        if who.role not in SEE_ALL | SEE_OWN:
            msg = f"the role {who.role!r} has no deliveries to see or redeliver"
            raise Forbidden(msg)
        return who

    add_operations(app, worker)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(RequestValidationError, invalid_request)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, error: Exception) -> JSONResponse:
        return problem(request, 403, "Forbidden", str(error))

    @app.get("/deliveries")
    def deliveries(
        who: Annotated[Caller, Depends(caller)],
        status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
        limit: int = 100,
    ) -> list[Delivery]:
        """Deliveries, newest first; `status=dead` lists the dead letters."""
        query = _visible(who).order_by(store.deliveries.c.created_at.desc())
        if status is not None:
            query = query.where(store.deliveries.c.status == status)
        with worker.engine.connect() as conn:
            rows = conn.execute(query.limit(min(max(limit, 1), 500))).all()
        return [Delivery.model_validate(r._asdict()) for r in rows]

    @app.post("/deliveries/{key}/redeliver", response_model=None)
    def redeliver(
        key: DeliveryKey, request: Request, who: Annotated[Caller, Depends(caller)]
    ) -> dict[str, str] | JSONResponse:
        """Put a dead letter back in the queue (the same idempotency key is sent again)."""
        query = _visible(who).where(
            store.deliveries.c.key == key, store.deliveries.c.status == "dead"
        )
        with worker.engine.connect() as conn:
            found = conn.execute(query).first()
        if found is None or not worker.redeliver(key):
            return problem(request, 404, "Not found", f"no dead letter {key} you may see")
        return {"key": key, "status": "pending"}

    @app.get("/deliveries/about/{candidate_id}")
    def deliveries_about(
        candidate_id: uuid.UUID, who: Annotated[Caller, Depends(caller)]
    ) -> list[DeliveryContent]:
        """Every delivery about one candidate, with its content: for the person's export
        (GDPR art. 15), asked by the pipeline with an admin token. Admins only."""
        if who.role != "admin":
            msg = "only an administrator reads a person's deliveries"
            raise Forbidden(msg)
        query = (
            select(store.deliveries)
            .where(store.deliveries.c.candidate_id == str(candidate_id))
            .order_by(store.deliveries.c.position, store.deliveries.c.key)
        )
        with worker.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [DeliveryContent.model_validate(_without_meta(r._asdict())) for r in rows]

    harden(app, worker.settings)
    return app


def _without_meta(row: dict[str, Any]) -> dict[str, Any]:
    payload = row.get("payload")
    if isinstance(payload, dict):
        row["payload"] = {k: v for k, v in payload.items() if k != "_meta"} or None
    return row


def _visible(who: Caller) -> Select[Any]:
    """The deliveries a caller may see: all for the forum and admins, else its own webhooks."""
    query = select(store.deliveries)
    if who.role not in SEE_ALL:
        mine = select(store.subscriptions.c.subscription_id).where(
            store.subscriptions.c.organisation == who.organisation
        )
        query = query.where(store.deliveries.c.subscription_id.in_(mine))
    return query
