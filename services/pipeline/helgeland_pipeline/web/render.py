"""Rendering pages: one Jinja2 environment (autoescaped), Norwegian filters, flash messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from helgeland_pipeline.web import labels
from helgeland_pipeline.web.session import CSRF_FIELD, csrf_token, current_actor

HERE = Path(__file__).parent
env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
templates = Jinja2Templates(env=env)
env.filters["dato"] = labels.nb_date
env.filters["tid"] = labels.nb_datetime
env.filters["tall"] = labels.nb_number
env.filters["prosent"] = labels.nb_percent
env.globals["L"] = labels
env.globals["label"] = labels.label
env.globals["CSRF_FIELD"] = CSRF_FIELD


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page for whoever is signed in, with the CSRF token its forms carry and any flash."""
    actor = current_actor(request)
    flash = request.session.pop("flash", None) if "session" in request.scope else None
    context |= {
        "actor": actor,
        "csrf": csrf_token(request) if "session" in request.scope else "",
        "flash": flash,
        "municipality_names": municipality_names(request),
    }
    return templates.TemplateResponse(request, template, context, status_code=status_code)


def municipality_names(request: Request) -> dict[str, str]:
    services = getattr(request.app.state, "services", None)
    if services is None:
        return {}
    return {n: m.name for n, m in services.core.app.reference.municipalities.items()}


def flash(request: Request, text: str, kind: str = "ok") -> None:
    request.session["flash"] = {"kind": kind, "text": text}


def see_other(url: str) -> RedirectResponse:
    """After a form: the browser fetches the next page with GET (303)."""
    return RedirectResponse(url, status_code=303)
