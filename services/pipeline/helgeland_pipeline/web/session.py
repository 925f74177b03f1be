"""Who is signed in to the pages: a signed session cookie, and the CSRF token every form carries.

The cookie (Starlette's SessionMiddleware: signed with itsdangerous, HttpOnly, SameSite=Lax,
Secure outside demo mode) holds the actor the sign-in established and a synchroniser token;
a form whose token does not match the session's is refused (403) before anything runs.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import Request
from starlette.datastructures import FormData

from helgeland_pipeline.api.deps import ROLE_IN_SCOPE
from helgeland_pipeline.domain.common import Actor, Role
from helgeland_pipeline.settings import Settings

SESSION_COOKIE = "helgeland_session"
SESSION_SECONDS = 8 * 3600
CSRF_FIELD = "csrf"


class SignInRequired(Exception):
    """A page needs a signed-in user: the browser is sent to the sign-in page."""


class CsrfRefused(Exception):
    """A form came without the session's CSRF token (answered with the 403 page)."""


def session_secret(settings: Settings) -> str:
    """The key that signs session cookies: configured, or in demo mode kept in the data folder.

    Outside demo mode without one, a random key per process: sessions then end with the
    process, and several processes behind one address need the setting.
    """
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if not settings.demo:
        return secrets.token_hex(32)
    path = settings.data_dir / "demo-session-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip()


def sign_in(request: Request, actor: Actor) -> None:
    """Start a new session for the actor (a fresh CSRF token: no token outlives a sign-in)."""
    request.session.clear()
    request.session["actor"] = {
        "person": actor.person_id,
        "organisation": actor.organisation,
        "role": str(actor.role),
        "municipality": actor.municipality,
    }
    request.session["expires"] = int(time.time()) + SESSION_SECONDS
    request.session[CSRF_FIELD] = secrets.token_urlsafe(32)


def sign_out(request: Request) -> None:
    request.session.clear()


def current_actor(request: Request) -> Actor | None:
    raw: dict[str, Any] | None = request.session.get("actor")
    if raw is None:
        return None
    if int(request.session.get("expires", 0)) < time.time():
        request.session.clear()
        return None
    actor = Actor(raw["person"], raw["organisation"], Role(raw["role"]), raw["municipality"])
    request.scope[ROLE_IN_SCOPE] = actor.role  # the request's log line names the role
    return actor


def page_actor(request: Request) -> Actor:
    """The signed-in actor, or off to the sign-in page."""
    actor = current_actor(request)
    if actor is None:
        raise SignInRequired
    return actor


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get(CSRF_FIELD)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the session's."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not isinstance(sent, str) or expected is None or not secrets.compare_digest(sent, expected):
        raise CsrfRefused("the form's CSRF token is missing or does not match the session")
    return form
