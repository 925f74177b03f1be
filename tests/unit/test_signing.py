"""Webhook signatures against the Standard Webhooks reference implementation.

The reference (`standardwebhooks`) is what a subscriber runs: a signature it does not accept is
a delivery the subscriber throws away. (The message texts: `test_mail_templates.py`.)
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime

import pytest
from helgeland_notifications import signing
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

BODY = json.dumps(
    {"type": "lis3_offer_accepted", "data": {"outcome": "accepted_elsewhere", "by": "Sømna"}},
    separators=(",", ":"),
    ensure_ascii=False,
).encode()
MESSAGE_ID = "msg_0123456789abcdef0123456789abcdef01234567"


def new_secret(size: int = 24) -> str:
    """As the pipeline makes them (`app_webhooks.subscribe_webhook`): whsec_ + base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(size)).decode()


# --- signatures ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [24, 32, 64])
def test_a_signed_delivery_verifies_with_the_reference(size: int) -> None:
    secret = new_secret(size)
    headers = signing.headers(secret, MESSAGE_ID, int(time.time()), BODY)
    assert headers["webhook-id"] == MESSAGE_ID
    assert headers["content-type"] == "application/json"
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_the_signature_is_the_references_own() -> None:
    secret, timestamp = new_secret(), int(time.time())
    expected = Webhook(secret).sign(
        MESSAGE_ID, datetime.fromtimestamp(timestamp, UTC), BODY.decode()
    )
    assert signing.sign(secret, MESSAGE_ID, timestamp, BODY) == expected


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda b, h: (b.replace(b"accepted_elsewhere", b"accepted"), h), id="body"),
        pytest.param(lambda b, h: (b + b" ", h), id="trailing-space"),
        pytest.param(lambda b, h: (b, h | {"webhook-id": MESSAGE_ID[:-1] + "8"}), id="id"),
        pytest.param(
            lambda b, h: (b, h | {"webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}),
            id="timestamp",
        ),
    ],
)
def test_a_tampered_delivery_fails(tamper: object) -> None:
    secret = new_secret()
    headers = signing.headers(secret, MESSAGE_ID, int(time.time()), BODY)
    Webhook(secret).verify(BODY, headers)  # untouched, it passes
    body, changed = tamper(BODY, headers)  # type: ignore[operator]
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, changed)


def test_another_subscribers_secret_does_not_verify() -> None:
    headers = signing.headers(new_secret(), MESSAGE_ID, int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_an_old_signature_is_refused_by_the_reference() -> None:
    """The signed timestamp is the sending time: a replay an hour later is refused."""
    secret = new_secret()
    headers = signing.headers(secret, MESSAGE_ID, int(time.time()) - 3600, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)
