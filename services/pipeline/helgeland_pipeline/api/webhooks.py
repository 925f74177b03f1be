"""Webhook subscriptions over HTTP: each organisation subscribes and unsubscribes for itself."""

from __future__ import annotations

from typing import Annotated, Literal, get_args
from uuid import UUID

from fastapi import APIRouter, Depends, status
from helgeland_contracts.api_v1 import CommandResult, Request
from helgeland_contracts.bounds import SingleLine
from pydantic import BaseModel, Field
from sqlalchemy import select

from helgeland_pipeline.api.deps import (
    ServicesDep,
    answer_once_visible,
    reads,
    require_role,
    wait_until_visible,
)
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.readside.webhooks.tables import subscriptions

router = APIRouter(
    prefix="/webhooks/subscriptions", tags=["webhooks"], dependencies=[reads("webhooks")]
)

Subscriber = Annotated[
    Actor, Depends(require_role(Role.HOSPITAL_RECRUITER, Role.MUNICIPALITY, Role.FORUM))
]
EventType = Literal[
    "forum_list_sent",
    "invitation_sent",
    "lis3_offered",
    "lis3_offer_accepted",
    "consent_withdrawn",
    "recertification_due",
]


class SubscriptionCreate(Request):
    """Deliveries are signed per the Standard Webhooks specification with the returned secret."""

    url: SingleLine = Field(
        min_length=1,
        max_length=2000,
        pattern=r"^https?://[^\s/?#]+",
        examples=["https://kommune.example/hooks/helgeland"],
    )
    event_types: list[EventType] = Field(min_length=1, max_length=len(get_args(EventType)))


class SubscriptionCreated(BaseModel):
    subscription_id: UUID
    secret: str = Field(description="whsec_… — shown once; verify signatures with it")
    position: int


class SubscriptionOut(BaseModel):
    subscription_id: UUID
    url: str
    event_types: list[str]
    active: bool


@router.post("", status_code=status.HTTP_201_CREATED)
def subscribe(
    body: SubscriptionCreate, actor: Subscriber, services: ServicesDep
) -> SubscriptionCreated:
    saved, secret = services.core.app.subscribe_webhook(actor, body.url, list(body.event_types))
    wait_until_visible(services, saved, "webhooks")
    return SubscriptionCreated(subscription_id=saved.id, secret=secret, position=saved.position)


@router.get("")
async def list_subscriptions(actor: Subscriber, services: ServicesDep) -> list[SubscriptionOut]:
    """The caller's organisation's subscriptions."""
    query = select(subscriptions).where(subscriptions.c.organisation == actor.organisation)
    async with services.async_engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [SubscriptionOut.model_validate(r._asdict()) for r in rows]


@router.delete("/{subscription_id}")
def unsubscribe(subscription_id: UUID, actor: Subscriber, services: ServicesDep) -> CommandResult:
    saved = services.core.app.unsubscribe_webhook(actor, subscription_id)
    return answer_once_visible(services, saved, "webhooks")
