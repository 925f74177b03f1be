"""The start page, sign-in (demo and OpenID Connect) and sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from helgeland_pipeline.api.deps import ServicesDep
from helgeland_pipeline.auth import AuthenticationFailed
from helgeland_pipeline.cli import DEMO_PEOPLE
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.web.errors import PageRoute, error_page
from helgeland_pipeline.web.render import page, see_other
from helgeland_pipeline.web.session import checked_form, current_actor, sign_in, sign_out

router = APIRouter(route_class=PageRoute, include_in_schema=False)

START_PAGES = {
    Role.HOSPITAL_RECRUITER: "/sykehus/runder",
    Role.MUNICIPALITY: "/kommune",
    Role.FORUM: "/forum-tavle",
    Role.EVALUATOR: "/evaluering",
    Role.ADMIN: "/",
}


def start_page(actor: Actor) -> str:
    return START_PAGES[actor.role]


@router.get("/")
async def home(request: Request) -> Response:
    return page(request, "home.html", actor_start=START_PAGES)


@router.get("/logg-inn")
async def sign_in_page(request: Request, services: ServicesDep) -> Response:
    settings = services.core.settings
    municipalities = sorted(
        services.core.app.reference.municipalities.values(), key=lambda m: m.name
    )
    return page(
        request,
        "sign_in.html",
        demo=settings.demo,
        oidc=bool(settings.oidc_issuer),
        roles=[r for r in Role if r in DEMO_PEOPLE],
        municipalities=municipalities,
    )


@router.get("/demo/logg-inn")
async def demo_sign_in(
    request: Request,
    services: ServicesDep,
    rolle: Annotated[Role, Query()],
    kommune: Annotated[str | None, Query(max_length=4)] = None,
) -> Response:
    """Demo mode only: sign in as the demo user of a role (and municipality), then go to work."""
    if not services.core.settings.demo:
        return error_page(request, 404)
    known = services.core.app.reference.municipalities
    if rolle == Role.MUNICIPALITY:
        if kommune not in known:
            return error_page(request, 400, "Velg en av Helgelands kommuner.")
        actor = Actor(f"demo-kommuneoverlege-{kommune}", known[kommune].name, rolle, kommune)
    elif kommune is not None:
        return error_page(request, 400, "Bare kommuneoverlegen logger inn for en kommune.")
    elif rolle not in DEMO_PEOPLE:  # a candidate answers through their link, never signs in
        return error_page(request, 400, "Denne rollen logger ikke inn.")
    else:
        person, organisation = DEMO_PEOPLE[rolle]
        actor = Actor(person, organisation, rolle)
    sign_in(request, actor)
    return see_other(start_page(actor))


@router.get("/logg-inn/oidc")
async def oidc_start(request: Request) -> Response:
    oidc = request.app.state.oidc
    if oidc is None:
        return error_page(request, 404)
    callback = str(request.url_for("oidc_callback"))
    response: Response = await oidc.redirect(request, callback)
    return response


@router.get("/logg-inn/tilbake", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    oidc = request.app.state.oidc
    if oidc is None:
        return error_page(request, 404)
    from authlib.integrations.base_client.errors import OAuthError  # noqa: PLC0415

    after = request.session.get("after_sign_in")
    try:
        actor = await oidc.finish(request)
    except (OAuthError, AuthenticationFailed) as error:
        return error_page(request, 403, f"Innloggingen ble avvist: {error}")
    sign_in(request, actor)
    if isinstance(after, str) and after.startswith("/") and not after.startswith("//"):
        return see_other(after)
    return see_other(start_page(actor))


@router.post("/logg-ut")
async def sign_out_now(request: Request, _: Annotated[object, Depends(checked_form)]) -> Response:
    sign_out(request)
    return see_other("/")


@router.get("/meg")
async def me(request: Request) -> Response:
    """Where a signed-in user's work starts."""
    actor = current_actor(request)
    return see_other("/logg-inn" if actor is None else start_page(actor))
