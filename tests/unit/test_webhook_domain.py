"""A webhook subscription: an http(s) URL a sender can reach, and known event types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from helgeland_pipeline.domain.common import Actor, InvalidInput, Role, Stamp
from helgeland_pipeline.domain.webhooks import WebhookSubscription

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
RANA = Actor("p", "Rana kommune", Role.MUNICIPALITY, "1833")


def subscribe(url: str, types: list[str] | None = None) -> WebhookSubscription:
    return WebhookSubscription.subscribe(
        "Rana kommune",
        "municipality",
        "1833",
        url,
        ["forum_list_sent"] if types is None else types,
        "sealed1.x",
        Stamp(RANA, AT, AT),
    )


@pytest.mark.parametrize(
    "url",
    [
        "",
        "rana.example/hook",
        "ftp://rana.example/hook",
        "http://a:b:c/",
        "https://rana.example:port/hook",
        "https:///hook",
        "https://rana.example/ho ok",
        "https://rana.example/hook\r\nX: y",
    ],
)
def test_refuses_a_url_a_sender_could_not_use(url: str) -> None:
    with pytest.raises(InvalidInput, match="not an http"):
        subscribe(url)


@pytest.mark.parametrize(
    "url", ["https://rana.example/hook", "http://127.0.0.1:8999/hook?x=1", "https://[::1]:8443/"]
)
def test_accepts_an_http_url(url: str) -> None:
    assert subscribe(url).active


def test_refuses_unknown_or_no_event_types() -> None:
    with pytest.raises(InvalidInput, match="unknown event type"):
        subscribe("https://rana.example/hook", ["forum_list_sent", "everything"])
    with pytest.raises(InvalidInput, match="at least one"):
        subscribe("https://rana.example/hook", [])
