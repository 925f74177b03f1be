"""The candidate's own answer: a page opened from the link in an invitation or offer e-mail.

No sign-in: the signed link is the credential (`helgeland_platform.answer_links`), good for
one invitation or offer of one candidate until it expires. The form carries the session's
CSRF token like every other form. The answer is the domain's own command with the candidate
as actor, so a second answer, an expired offer or a closed invitation is refused there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from helgeland_contracts.forum_v1 import InvitationOut, OfferOut
from helgeland_platform.answer_links import AnswerLink, LinkRefused, Purpose, verify
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from helgeland_pipeline.api.deps import ServicesDep
from helgeland_pipeline.application import NotFound, Saved
from helgeland_pipeline.domain.common import (
    Actor,
    InvalidInput,
    InvariantViolated,
    Role,
    programme_day,
)
from helgeland_pipeline.domain.forum import InvitationAnswer, NotYours, UnknownItem
from helgeland_pipeline.settings import ConfigurationError
from helgeland_pipeline.web.calls import ensure_live, form_value
from helgeland_pipeline.web.errors import PageRoute
from helgeland_pipeline.web.render import page
from helgeland_pipeline.web.session import checked_form

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Token = Annotated[str, Path(min_length=10, max_length=600, pattern=r"^[A-Za-z0-9._-]+$")]
Form = Annotated[FormData, Depends(checked_form)]
OSLO = ZoneInfo("Europe/Oslo")
INVITATION_ANSWERS = {a.value for a in InvitationAnswer}
OFFER_ANSWERS = {"accept", "decline"}

# status, title, text: what a candidate reads when the link cannot be used
REFUSALS: dict[str, tuple[int, str, str]] = {
    "tampered": (
        400,
        "Lenken er ugyldig",
        "Lenken er ikke hel eller er endret. Åpne den på nytt fra e-posten, eller svar "
        "kommuneoverlegen direkte på e-posten.",
    ),
    "expired": (
        410,
        "Lenken er utløpt",
        "Svarfristen for denne lenken er passert. Ta kontakt med kommuneoverlegen hvis du "
        "fortsatt vil svare.",
    ),
    "answered": (
        409,
        "Du har allerede svart",
        "Denne lenken er brukt: svaret ditt er registrert, og kommunen har fått beskjed. "
        "Vil du endre svaret, ta kontakt med kommuneoverlegen.",
    ),
    "closed": (
        409,
        "Ikke lenger åpent",
        "Invitasjonen eller tilbudet er trukket tilbake eller lukket, så det kan ikke besvares "
        "her. Ta kontakt med kommuneoverlegen om du har spørsmål.",
    ),
    "gone": (
        404,
        "Finnes ikke lenger",
        "Vi finner ikke invitasjonen eller tilbudet denne lenken gjelder. Det kan være trukket "
        "tilbake.",
    ),
    "unavailable": (
        503,
        "Svar via lenke er ikke tilgjengelig",
        "Tjenesten kan ikke ta imot svar via lenke nå. Svar kommuneoverlegen på e-posten.",
    ),
}

Item = InvitationOut | OfferOut


def refused(request: Request, reason: str, detail: str | None = None) -> Response:
    status, title, text = REFUSALS[reason]
    return _private(
        page(request, "answers/refused.html", status, title=title, text=text, detail=detail)
    )


def _private(response: Response) -> Response:
    """The link is a credential: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _link(services: ServicesDep, token: str) -> AnswerLink:
    key = services.core.settings.answer_link_key_bytes()
    return verify(key, token, services.core.app.clock())


async def _item(services: ServicesDep, link: AnswerLink) -> Item | None:
    today = programme_day(services.core.app.clock())
    found: Item | None
    if link.purpose == Purpose.INVITATION:
        found = await services.forum.invitation(link.item_id)
    else:
        found = await services.forum.offer(link.item_id, today)
    if found is None or found.candidate_id != link.candidate_id:
        return None
    return found if found.municipality == link.municipality else None


ANSWERED = {"accepted", "declined", "new_time_proposed", "held"}


def _answerable(item: Item) -> bool:
    return item.state == ("proposed" if isinstance(item, InvitationOut) else "open")


def _why_not(item: Item) -> str:
    """Why an item can no longer be answered: answered, expired, or closed by the others."""
    if item.state in ANSWERED:
        return "answered"
    return "expired" if item.state == "expired" else "closed"


async def _opened(request: Request, services: ServicesDep, token: str) -> AnswerLink | Response:
    try:
        link = _link(services, token)
    except LinkRefused as error:
        return refused(request, error.reason)
    except ConfigurationError:
        return refused(request, "unavailable")
    ensure_live(request, services, "forum")
    return link


@router.get("/svar/{token}")
async def answer_page(request: Request, token: Token, services: ServicesDep) -> Response:
    """What the link is for, and the candidate's choices."""
    link = await _opened(request, services, token)
    if isinstance(link, Response):
        return link
    item = await _item(services, link)
    if item is None:
        return refused(request, "gone")
    if not _answerable(item):
        return refused(request, _why_not(item))
    return _form(request, services, token, link, item)


def _form(
    request: Request,
    services: ServicesDep,
    token: str,
    link: AnswerLink,
    item: Item,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return _private(
        page(
            request,
            "answers/answer.html",
            status,
            token=token,
            item=item,
            is_offer=isinstance(item, OfferOut),
            municipality_name=_name(services, link.municipality),
            error=error,
        )
    )


@router.post("/svar/{token}")
async def answer(request: Request, token: Token, form: Form, services: ServicesDep) -> Response:
    """Record the answer as the candidate's own; the municipality hears of it by e-mail."""
    link = await _opened(request, services, token)
    if isinstance(link, Response):
        return link
    item = await _item(services, link)
    if item is None:
        return refused(request, "gone")
    choice = form_value(form.get("svar"))
    choices = OFFER_ANSWERS if link.purpose == Purpose.OFFER else INVITATION_ANSWERS
    if choice is None or choice not in choices:
        return _form(request, services, token, link, item, "Velg ett av svarene.", 422)
    new_time = None
    if choice == InvitationAnswer.NEW_TIME_PROPOSED:
        new_time = _local_time(form_value(form.get("ny_tid")))
        if new_time is None:
            message = "Skriv inn tidspunktet du foreslår (dato og klokkeslett)."
            return _form(request, services, token, link, item, message, 422)
    actor = Actor(str(link.candidate_id), "Kandidaten", Role.CANDIDATE)
    try:
        saved = await run_in_threadpool(_record, services, link, actor, choice, new_time)
    except InvalidInput as error:
        return _form(request, services, token, link, item, f"Ugyldig svar: {error}.", 422)
    except InvariantViolated:
        # Already answered, the offer has closed or expired, or consent is withdrawn.
        now = await _item(services, link)
        if now is None:
            return refused(request, "gone")
        return refused(request, "answered" if _answerable(now) else _why_not(now))
    except (UnknownItem, NotFound, NotYours):
        return refused(request, "gone")
    # Read-your-writes: the link's page says "answered" from now on (a lag only delays that;
    # the domain refuses a second answer anyway).
    await run_in_threadpool(services.core.wait_for, saved, ["forum"])
    return _private(
        page(
            request,
            "answers/done.html",
            choice=choice,
            is_offer=link.purpose == Purpose.OFFER,
            new_time=new_time,
            municipality_name=_name(services, link.municipality),
        )
    )


def _record(
    services: ServicesDep, link: AnswerLink, actor: Actor, choice: str, new_time: datetime | None
) -> Saved:
    app, item = services.core.app, str(link.item_id)
    if link.purpose == Purpose.INVITATION:
        answer = InvitationAnswer(choice)
        return app.answer_invitation(actor, link.candidate_id, item, answer, new_time)
    if choice == "accept":
        return app.accept_lis3_offer(actor, link.candidate_id, item)
    return app.decline_lis3_offer(actor, link.candidate_id, item)


def _name(services: ServicesDep, number: str) -> str:
    found = services.core.app.reference.municipalities.get(number)
    return found.name if found is not None else number


def _local_time(value: str | None) -> datetime | None:
    """A `datetime-local` field (`2027-02-01T10:00`) as Norwegian time."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=OSLO) if parsed.tzinfo is None else parsed
