"""Webhook signatures against the Standard Webhooks reference implementation, and message texts.

The reference (`standardwebhooks`) is what a subscriber runs: a signature it does not accept is
a delivery the subscriber throws away. The templates render bokmål, fall back to English for a
language they lack, and give an HTML part whose text is escaped.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime

import pytest
from helgeland_notifications import signing
from helgeland_notifications.templates import TEMPLATES, render
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


# --- templates -------------------------------------------------------------------------------


def test_bokmal_is_the_default_with_text_and_html() -> None:
    message = render("forum_list_sent", round="LIS1 vår 2027", count=3)
    assert message.subject == "Helgelandslegen: LIS1-listen for LIS1 vår 2027 er sendt til forumet"
    assert "Kommuneoverlegeforum Helgeland (3 kandidater)" in message.text
    assert message.text.count("\n\n") == 1
    assert message.html.startswith("<!doctype html><html lang='nb'>")
    # One paragraph per block of the text, with the same words.
    assert message.html.count("<p>") == 2
    assert "(3 kandidater)." in message.html
    assert "invitere dem i Helgelandslegen." in message.html


@pytest.mark.parametrize("language", ["de", "sv", "xx"])
def test_an_unknown_language_falls_back_to_english(language: str) -> None:
    message = render("forum_list_sent", language, round="LIS1 spring 2027", count=2)
    assert message.subject == (
        "Helgelandslegen: the LIS1 list for LIS1 spring 2027 has been sent to the forum"
    )
    assert "the forum (2 candidates)" in message.text
    assert "<html lang='en'>" in message.html
    assert "kandidater" not in message.text + message.html


def test_english_is_used_when_asked_for() -> None:
    assert render("forum_list_sent", "en", round="R", count=1).html.startswith(
        "<!doctype html><html lang='en'>"
    )


def test_a_template_without_english_falls_back_to_bokmal() -> None:
    assert ("invitation", "en") not in TEMPLATES
    message = render(
        "invitation", "de", name="Kari", municipality="Rana", kind="omvisning", times="20.01"
    )
    assert message.subject == "Invitasjon fra Rana kommune"
    assert "<html lang='nb'>" in message.html


def test_an_unknown_template_is_an_error() -> None:
    with pytest.raises(KeyError, match="no_such_template"):
        render("no_such_template", "nb")


def test_the_html_part_is_escaped_and_the_text_part_is_not() -> None:
    name = "<script>alert('x')</script> & \"Ola\""
    message = render("invitation", "nb", name=name, municipality="Rana", kind="intervju", times="x")
    assert f"Hei {name}!" in message.text
    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Ola&quot;" in message.html
    # Only the page's own markup is left: every tag is one of ours.
    stripped = message.html
    for tag in ("<!doctype html>", "<html lang='nb'>", "<body>", "</body>", "</html>"):
        stripped = stripped.replace(tag, "")
    stripped = stripped.replace("<p>", "").replace("</p>", "")
    assert "<" not in stripped
    assert ">" not in stripped


def test_every_bokmal_template_renders_both_parts() -> None:
    fields = {
        "round": "R",
        "count": 1,
        "name": "N",
        "municipality": "M",
        "kind": "K",
        "times": "T",
        "start": "S",
        "expires": "E",
        "closed": "C",
        "due": "D",
    }
    for template, language in TEMPLATES:
        if language != "nb":
            continue
        message = render(template, "nb", **fields)
        assert message.subject
        assert "{" not in message.subject + message.text
        assert message.html.count("<p>") == message.text.count("\n\n") + 1
