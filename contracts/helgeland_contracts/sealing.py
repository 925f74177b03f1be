"""Webhook signing secrets, sealed before they enter the append-only event log.

The log is kept for ever and read by every consumer; a secret written to it in the clear could
never be taken back. The pipeline seals each subscription's secret (AES-256-GCM) with a key held
outside the log, shared with the notifications service, which unseals it only to sign.

Events stored before sealing (`WebhookSubscription.Subscribed` version 1) hold the secret in the
clear (`whsec_…`); `unseal` passes those through.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed1."
KEY_BYTES = 32
_CONTEXT = b"helgeland webhook secret"
DEMO_KEY_FILE = "demo-webhook-sealing-key"


class SealingError(ValueError):
    """No key, a malformed key, or a sealed value this key did not seal."""


def parse_key(text: str) -> bytes:
    """A key as 64 hexadecimal digits (32 bytes)."""
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        msg = f"the webhook sealing key must be {KEY_BYTES * 2} hexadecimal digits"
        raise SealingError(msg)
    return key


def demo_key(data_dir: Path) -> bytes:
    """Demo mode's key: random, kept in the data folder, shared by both services there."""
    path = data_dir / DEMO_KEY_FILE
    if not path.exists():
        # Written whole under another name, then linked into place: two processes starting
        # at once agree on one key, and nobody reads a half-written file.
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


def seal(secret: str, key: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), _CONTEXT)
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(value: str, key: bytes | None) -> str:
    """The secret behind a sealed value; a version-1 secret in the clear comes back as it is."""
    if not value.startswith(PREFIX):
        return value
    if key is None:
        msg = "a sealed webhook secret needs HELGELAND_WEBHOOK_SEALING_KEY"
        raise SealingError(msg)
    try:
        raw = base64.urlsafe_b64decode(value.removeprefix(PREFIX))
        return AESGCM(key).decrypt(raw[:12], raw[12:], _CONTEXT).decode()
    except (InvalidTag, ValueError) as error:
        msg = "the webhook secret was sealed with another key, or is damaged"
        raise SealingError(msg) from error
