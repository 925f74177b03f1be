"""A municipality's webhook subscriptions: list, add (the secret shown once), remove.

Subscriptions belong to the organisation that made them (the API lists and removes the
caller's own), so these pages are the chief physician's of their own municipality only.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from helgeland_pipeline import policy
from helgeland_pipeline.api import webhooks
from helgeland_pipeline.api.deps import Forbidden, NotYetVisible, ServicesDep
from helgeland_pipeline.domain.common import Actor, InvalidInput, Role
from helgeland_pipeline.web.calls import (
    Form,
    PageActor,
    Posted,
    allowed,
    ensure_live,
    form_command,
)
from helgeland_pipeline.web.errors import PageRoute
from helgeland_pipeline.web.messages import norwegian
from helgeland_pipeline.web.render import flash, page, see_other

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _own(request: Request, actor: Actor, services: ServicesDep, number: str) -> None:
    allowed(webhooks.Subscriber, actor)
    if actor.role != Role.MUNICIPALITY:
        raise Forbidden("webhook subscriptions are the municipality's own")
    policy.check_acts_for(actor, number, "a municipality sees its own subscriptions only")
    ensure_live(request, services, "webhooks")


async def _page(
    request: Request, number: str, actor: Actor, services: ServicesDep, **extra: Any
) -> Response:
    found = await webhooks.list_subscriptions(actor, services)
    return page(
        request,
        "municipal/webhooks.html",
        number=number,
        subscriptions=[s for s in found if s.active],
        **({"secret": None, "error": None, "url": "", "chosen": []} | extra),
    )


@router.get("/kommune/{number}/varsler")
async def subscriptions(
    request: Request, number: str, actor: PageActor, services: ServicesDep
) -> Response:
    _own(request, actor, services, number)
    return await _page(request, number, actor, services)


@router.post("/kommune/{number}/varsler")
async def subscribe(
    request: Request, number: str, actor: PageActor, services: ServicesDep, form: Form
) -> Response:
    """Subscribed: the signing secret is shown on this answer only (never in the session).
    Refused (an inside address, a bad URL): the form again, with the reason and the input."""
    _own(request, actor, services, number)
    url = str(form.get("url") or "").strip()
    chosen = [str(e) for e in form.getlist("event_types")]
    try:
        body = webhooks.SubscriptionCreate.model_validate({"url": url, "event_types": chosen})
        created = await run_in_threadpool(webhooks.subscribe, body, actor, services)
    except NotYetVisible:
        flash(request, "Abonnementet er lagt til. Det kan ta et øyeblikk før det vises.")
        return see_other(f"/kommune/{number}/varsler")
    except (ValueError, InvalidInput) as error:  # pydantic's ValidationError is a ValueError
        return await _page(
            request, number, actor, services, error=norwegian(error), url=url, chosen=chosen
        )
    return await _page(request, number, actor, services, secret=created.secret)


@form_command(
    router,
    "/kommune/{number}/varsler/{subscription_id}/slett",
    "Abonnementet er fjernet.",
    lambda p: _own(p.request, p.actor, p.services, p.param("number")),
    lambda p: f"/kommune/{p.param('number')}/varsler",
)
def unsubscribe(p: Posted) -> Any:
    subscription: UUID = p.uuid("subscription_id")
    return webhooks.unsubscribe(subscription, p.actor, p.services)
