"""Personal data in the event log: each field sealed with its person's own key (crypto-shredding).

Every event field that can carry personal data (names, contact details, free text) is stored
as AES-256-GCM ciphertext under a data key of the person it is about, with a fresh 96-bit nonce
and, as associated data, the key id, the aggregate (originator) id and the field's name: a
sealed value cannot be moved to another event, aggregate or field without failing to open.
The keys live outside the log (the `person_keys` table, `helgeland_platform.keystore`); erasing
a person destroys their key, and every reader then sees `ERASED` instead of the value.

In the stored JSON a sealed value is `{"_type_": "pd", "_data_": {"k": KEY_ID, "v": BASE64}}`,
where BASE64 (URL-safe) holds the nonce followed by the ciphertext and its tag. A field that is
a plain string was stored before sealing began (or is empty) and is read as it is.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

TRANSCODING = "pd"  # the `_type_` of a sealed value in stored JSON
ERASED = "[slettet]"  # what a reader sees of a sealed text once its person is erased
KEY_BYTES = 32
NONCE_BYTES = 12

# key id -> the key, or None when that key no longer exists (its person was erased)
KeyLookup = Callable[[str], bytes | None]


class SealedDamaged(ValueError):
    """A sealed value that its key does not open: damaged, or moved from another event."""


def associated_data(key_id: str, aggregate_id: str, field: str) -> bytes:
    return f"helgeland-pd1|{key_id}|{aggregate_id}|{field}".encode()


def seal(plain: str, key: bytes, key_id: str, aggregate_id: str, field: str) -> dict[str, str]:
    """The stored form (`_data_`) of one sealed text."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    box = AESGCM(key).encrypt(
        nonce, plain.encode("utf-8"), associated_data(key_id, aggregate_id, field)
    )
    return {"k": key_id, "v": base64.urlsafe_b64encode(nonce + box).decode("ascii")}


def open_sealed(data: dict[str, Any], key: bytes, aggregate_id: str, field: str) -> str:
    """The text behind a sealed value; `SealedDamaged` if this key and place do not open it."""
    try:
        raw = base64.urlsafe_b64decode(str(data["v"]))
        ad = associated_data(str(data["k"]), aggregate_id, field)
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], ad).decode("utf-8")
    except (InvalidTag, ValueError, KeyError) as error:
        msg = f"a sealed {field} of {aggregate_id} does not open with its key"
        raise SealedDamaged(msg) from error


def is_sealed(value: object) -> bool:
    return isinstance(value, dict) and value.get("_type_") == TRANSCODING and "_data_" in value


def key_id_of(data: dict[str, Any]) -> str:
    return str(data["k"])
