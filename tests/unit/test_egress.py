"""Webhooks cannot reach inside: which addresses and URLs the destination check refuses."""

from __future__ import annotations

import ipaddress

import pytest
from helgeland_platform.egress import REFUSED, DestinationRefused, Destinations, internal_reason

PUBLIC_V4, PUBLIC_V6 = "93.184.215.14", "2606:4700:4700::1111"


def resolving(table: dict[str, list[str]]) -> Destinations:
    """The check with a resolver the test controls (a name not in the table does not resolve)."""

    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("no such name")
        return table[host]

    return Destinations(resolver=resolve)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud metadata service
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.100.100.200", "shared (CGNAT)"),  # Alibaba's metadata service
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "private"),
        ("fd00:ec2::254", "private"),  # AWS's IPv6 metadata service
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("192.0.2.1", "private"),  # documentation: not a real receiver either
    ],
)
def test_inside_addresses_are_named_as_such(address: str, reason: str) -> None:
    assert internal_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", [PUBLIC_V4, "8.8.8.8", PUBLIC_V6, "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert internal_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.7:8443/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:7f00:1]/hook",
        "https://0x7f000001/hook",  # not an address literal: a name that does not resolve
        "https://internal.example/hook",  # resolves to 127.0.0.1 through the test's resolver
        "https://split.example/hook",  # one public address and one private: refused
        "https://nowhere.example/hook",  # does not resolve: refused the same way
        "http://public.example/hook",  # not https
        "https:///hook",
    ],
)
def test_urls_that_reach_inside_are_refused_with_one_message(url: str) -> None:
    destinations = resolving(
        {
            "internal.example": ["127.0.0.1"],
            "split.example": [PUBLIC_V4, "10.0.0.1"],
            "public.example": [PUBLIC_V4],
        }
    )
    with pytest.raises(DestinationRefused) as refused:
        destinations.check_url(url)
    assert str(refused.value) == REFUSED  # nothing about the network: not even the reason


def test_localhost_as_the_system_resolves_it_is_refused() -> None:
    with pytest.raises(DestinationRefused):
        Destinations().check_url("https://localhost/hook")


def test_a_public_https_url_passes_and_is_connected_to_its_checked_addresses() -> None:
    destinations = resolving({"hooks.kommune.example": [PUBLIC_V4, PUBLIC_V6]})
    destinations.check_url("https://hooks.kommune.example/hook")
    assert destinations.addresses("hooks.kommune.example") == [PUBLIC_V4, PUBLIC_V6]


def test_the_allow_list_admits_named_hosts_and_networks() -> None:
    def resolve(host: str) -> list[str]:
        return {"mottak.kommune.intern": ["10.20.1.5"], "other.intern": ["10.30.0.1"]}[host]

    allowed = Destinations(allowed=("Mottak.Kommune.Intern", "172.20.0.0/16"), resolver=resolve)
    allowed.check_url("https://mottak.kommune.intern/hook")
    allowed.check_url("https://172.20.3.4/hook")
    with pytest.raises(DestinationRefused):
        allowed.check_url("https://other.intern/hook")
    with pytest.raises(DestinationRefused):
        allowed.check_url("https://172.21.0.1/hook")
    with pytest.raises(DestinationRefused):  # allow-listed, but still https only
        allowed.check_url("http://mottak.kommune.intern/hook")


def test_a_malformed_allow_list_entry_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="not a host name"):
        Destinations(allowed=("https://mottak.intern/",))


def test_demo_mode_lets_every_destination_through() -> None:
    open_ = Destinations(guarded=False)
    open_.check_url("http://127.0.0.1:8999/hook")
    open_.check_url("http://[::1]/hook")
