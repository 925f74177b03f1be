"""Signed, expiring answer links: a candidate answers an invitation or an offer without signing in.

The notifications service writes the link into the e-mail; the pipeline's answer page checks
it. Both hold the same key (`HELGELAND_ANSWER_LINK_KEY`, 32 bytes), so no credential ever enters
the append-only log. A link names one purpose (an invitation or an offer), one item, its
municipality and one candidate, and when it expires; it is HMAC-SHA-256 signed over all of
that. The link is the credential: whoever holds it may answer that one item as that candidate,
once (the domain refuses a second answer) and only until it expires.

Format: `v1.<base64url(JSON claims)>.<base64url(HMAC)>`; nothing in it is personal data (the
candidate's id is a random identifier, the municipality a number).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from uuid import UUID

KEY_BYTES = 32
VERSION = "v1"
_CONTEXT = b"helgeland answer link v1\x00"  # this key signs nothing else
DEMO_KEY_FILE = "demo-answer-link-key"
MAX_TOKEN_CHARS = 600


class Purpose(StrEnum):
    INVITATION = "invitation"
    OFFER = "offer"


class LinkRefused(Exception):
    """The link cannot be used: `reason` is `tampered` or `expired`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the answer link is {reason}")


@dataclass(frozen=True)
class AnswerLink:
    """What a link lets its holder do: answer one item, as one candidate, until `expires_at`."""

    purpose: Purpose
    candidate_id: UUID
    item_id: UUID
    municipality: str
    expires_at: datetime

    def claims(self) -> dict[str, Any]:
        return {
            "p": str(self.purpose),
            "c": str(self.candidate_id),
            "i": str(self.item_id),
            "m": self.municipality,
            "x": int(self.expires_at.timestamp()),
        }


def parse_key(text: str) -> bytes:
    """A key as 64 hexadecimal digits (32 bytes), as `helgeland keys` makes it."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        msg = f"the answer link key must be {KEY_BYTES * 2} hexadecimal digits"
        raise ValueError(msg)
    return key


def demo_key(data_dir: Path) -> bytes:
    """Demo mode's key: random, kept in the data folder, shared by both services there."""
    path = data_dir / DEMO_KEY_FILE
    if not path.exists():
        # Written whole under another name, then linked into place: two processes starting
        # at once agree on one key.
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(secrets.token_hex(KEY_BYTES))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process was first: its key it is
        finally:
            draft.unlink()
    return parse_key(path.read_text("utf-8"))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, body: str) -> bytes:
    return hmac.new(key, _CONTEXT + body.encode(), hashlib.sha256).digest()


def issue(key: bytes, link: AnswerLink) -> str:
    """The token for a link (URL-safe)."""
    body = _b64(json.dumps(link.claims(), separators=(",", ":"), sort_keys=True).encode())
    return f"{VERSION}.{body}.{_b64(_mac(key, body))}"


def verify(key: bytes, token: str, now: datetime) -> AnswerLink:
    """The link a token carries, if this key signed it and it has not expired."""
    version, _, rest = token.partition(".")
    body, _, signature = rest.partition(".")
    if version != VERSION or not body or len(token) > MAX_TOKEN_CHARS:
        raise LinkRefused("tampered")
    try:
        sent = _unb64(signature)
        # One spelling per signature: a different token is never the same credential.
        valid = _b64(sent) == signature and hmac.compare_digest(sent, _mac(key, body))
    except ValueError:
        valid = False
    if not valid:
        raise LinkRefused("tampered")
    try:
        claims = json.loads(_unb64(body))
        link = AnswerLink(
            Purpose(claims["p"]),
            UUID(claims["c"]),
            UUID(claims["i"]),
            str(claims["m"]),
            datetime.fromtimestamp(int(claims["x"]), UTC),
        )
    except (ValueError, KeyError, TypeError) as error:  # signed but not ours: never expected
        raise LinkRefused("tampered") from error
    if now >= link.expires_at:
        raise LinkRefused("expired")
    return link
