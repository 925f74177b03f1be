"""Pages call the API's own route functions, behind the API's own role checks.

`allowed(Recruiter, actor)` runs the very check the API's `Recruiter` dependency runs, so a
page can never let a role do or read what the API would refuse it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, get_args
from uuid import UUID

from eventsourcing.persistence import RecordConflictError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from helgeland_pipeline.api.deps import NotYetVisible, ServicesDep, reads
from helgeland_pipeline.app_base import NotFound
from helgeland_pipeline.bootstrap import ApiServices
from helgeland_pipeline.domain.common import Actor, InvalidInput, InvariantViolated
from helgeland_pipeline.web.messages import norwegian
from helgeland_pipeline.web.render import flash, see_other
from helgeland_pipeline.web.session import checked_form, page_actor

T = TypeVar("T")


def allowed(alias: Any, actor: Actor) -> Actor:
    """Run the role check of an API dependency alias (`Annotated[Actor, Depends(check)]`)."""
    check: Callable[[Actor], Actor] = get_args(alias)[1].dependency
    return check(actor)


def ensure_live(request: Request, services: ApiServices, read_model: str) -> None:
    """The API's check that the read model's version is built (503 page otherwise)."""
    reads(read_model).dependency(request, services)


async def act(
    request: Request,
    call: Callable[[], T],
    back: str,
    done: str | Callable[[UUID], str],
    message: str,
    result_id: Callable[[T], UUID] | None = None,
) -> Response:
    """Run a command the way the API runs it; then go on (303) to `done`, with a message.

    Bad input and broken rules go back to the form with the reason, having written nothing;
    a command stored but not yet visible is reported as such.
    """
    try:
        result = await run_in_threadpool(call)
    except NotYetVisible as pending:
        flash(request, f"{message} Det kan ta et øyeblikk før det vises overalt.")
        return see_other(done(pending.saved.id) if callable(done) else done)
    except (ValidationError, InvalidInput, InvariantViolated, RecordConflictError) as error:
        flash(request, norwegian(error), "error")
        return see_other(back)
    flash(request, message)
    if callable(done):
        assert result_id is not None
        return see_other(done(result_id(result)))
    return see_other(done)


def form_value(value: object) -> str | None:
    """A form field as the API takes it: blank is absent."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


PageActor = Annotated[Actor, Depends(page_actor)]
Form = Annotated[FormData, Depends(checked_form)]


@dataclass(frozen=True)
class Posted:
    """A page's form as posted: who sent it, its fields and the address's parameters."""

    request: Request
    actor: Actor
    services: ApiServices
    form: FormData

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def uuid(self, name: str) -> UUID:
        try:
            return UUID(self.param(name))
        except ValueError:
            raise NotFound(f"no {name} {self.param(name)!r}") from None

    def fields(self, *names: str) -> dict[str, Any]:
        return {name: form_value(self.form.get(name)) for name in names}


Build = Callable[[Posted], Any]


def form_command(
    router: APIRouter,
    path: str,
    message: str,
    guard: Callable[[Posted], object],
    back: Callable[[Posted], str],
) -> Callable[[Build], Build]:
    """A form's POST: the role check (`guard`), the fields into the API's body and its route
    (the decorated function), then back to `back` with `message`, or with the refusal."""

    def decorate(build: Build) -> Build:
        async def handle(
            request: Request, actor: PageActor, services: ServicesDep, form: Form
        ) -> Response:
            posted = Posted(request, actor, services, form)
            guard(posted)
            here = back(posted)
            return await act(request, lambda: build(posted), here, here, message)

        handle.__name__ = build.__name__
        router.post(path)(handle)
        return build

    return decorate
