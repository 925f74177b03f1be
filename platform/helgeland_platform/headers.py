"""Security headers on every answer of both APIs.

`nosniff`, `no-referrer` and `no-store` on every answer; a strict CSP (`'self'` only, no
framing) on HTML, which a page may replace by sending its own; the framework's fixed pages (the
API docs) get one made from the page itself (`page_csp`); HSTS when TLS terminates in front.
"""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# HTML may load what the service itself serves, and nothing may frame it.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Anything else (JSON, images, CSV) is never a document that runs or is framed.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers", []) if k.lower() == name), None)


class SecurityHeaders:
    def __init__(
        self, app: ASGIApp, hsts: bool = False, fixed_pages: frozenset[str] = frozenset()
    ) -> None:
        self.app, self.hsts, self.fixed_pages = app, hsts, fixed_pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authenticated = _header(scope, b"authorization") is not None
        fixed = scope["path"] in self.fixed_pages
        held: Message | None = None

        async def sending(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                self._common(headers, authenticated)
                html = headers.get("content-type", "").startswith("text/html")
                if html and fixed and "content-security-policy" not in headers:
                    held = message  # its CSP is made from the page, once the page is here
                    held["body"] = b""
                    return
                self._framing(headers, html)
            elif held is not None:
                held["body"] += message.get("body", b"")
                if message.get("more_body", False):
                    return
                start = {k: v for k, v in held.items() if k != "body"}
                headers = MutableHeaders(scope=start)
                headers["content-security-policy"] = page_csp(held["body"].decode("utf-8"))
                self._framing(headers, True)
                await send(start)
                message = {"type": "http.response.body", "body": held["body"]}
            await send(message)

        await self.app(scope, receive, sending)

    def _common(self, headers: MutableHeaders, authenticated: bool) -> None:
        headers.setdefault("x-content-type-options", "nosniff")
        headers.setdefault("referrer-policy", "no-referrer")
        if authenticated or "cache-control" not in headers:
            headers["cache-control"] = "no-store"  # an answer to a caller is never kept
        if self.hsts:
            headers.setdefault("strict-transport-security", HSTS)

    @staticmethod
    def _framing(headers: MutableHeaders, html: bool) -> None:
        policy = headers.get("content-security-policy")
        if policy is None:
            headers["content-security-policy"] = PAGE_CSP if html else DATA_CSP
        elif "frame-ancestors" not in policy:
            headers["content-security-policy"] = f"{policy}; frame-ancestors 'none'"
        if html:
            headers.setdefault("x-frame-options", "DENY")


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.origins: dict[str, set[str]] = {"script": set(), "style": set(), "img": set()}
        self.inline: list[str] = []
        self._script: list[str] | None = None  # the text of an inline script being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._script = None if found.get("src") else []
            self._origin("script", found.get("src"))
        elif tag == "link":
            rel = (found.get("rel") or "").lower()
            self._origin("style" if "stylesheet" in rel else "img", found.get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            text = "".join(self._script)
            if text.strip():
                self.inline.append(text)
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)

    def _origin(self, kind: str, url: str | None) -> None:
        parts = urlsplit(url or "")
        if parts.scheme == "https" and parts.netloc:
            self.origins[kind].add(f"https://{parts.netloc}")


def page_csp(html: str) -> str:
    """The CSP for a fixed page the service generates itself (no caller's input in it, such as
    the API docs): `PAGE_CSP` plus the https origins its tags load from and the hashes of its
    own inline scripts. Never for a page that shows what a caller sent."""
    assets = _Assets()
    assets.feed(html)
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in assets.inline
    ]
    script = " ".join(["'self'", *sorted(assets.origins["script"]), *hashes])
    style = " ".join(["'self'", "'unsafe-inline'", *sorted(assets.origins["style"])])
    img = " ".join(["'self'", "data:", *sorted(assets.origins["img"])])
    return (
        f"default-src 'self'; script-src {script}; style-src {style}; img-src {img}; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
