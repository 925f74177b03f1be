"""Where the services may send requests on a subscriber's behalf: the public internet only.

A webhook URL is a request the system makes for someone else, so it must not reach inside:
outside demo mode the URL must be `https` and every address its host resolves to must be a
public unicast address, not loopback, private, link-local (cloud metadata lives there), shared
(CGNAT), multicast, unspecified or reserved, also when wrapped in IPv6 (IPv4-mapped, NAT64,
6to4, Teredo). An allow-list of host names and networks admits internal receivers.

The check runs when a subscription is made and again at every delivery, at the moment of
connecting: `GuardedBackend` resolves the name, checks each address and connects to a checked
one, so a name that resolves elsewhere a second time (DNS rebinding) cannot slip past. The
request keeps its own host name for the `Host` header and TLS (SNI and certificate checks).
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore
import httpx
from anyio import fail_after, to_thread

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # CGNAT; Alibaba's metadata is in it


class DestinationRefused(Exception):
    """The URL may not be requested. The message is the same whatever the reason, so a
    subscriber learns nothing about the inside network (not even whether a name resolves)."""


REFUSED = (
    "the URL must be https and its host must be reachable on the public internet "
    "(internal receivers must be allow-listed by the operator)"
)


def system_resolver(host: str) -> list[str]:
    """Every address the host name resolves to, as the operating system resolves it."""
    found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def internal_reason(address: IPAddress) -> str | None:
    """Why the address is not on the public internet (for logs and tests), or None."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return internal_reason(inner)
    checks = [
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared (CGNAT)"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not global"),
    ]
    return next((reason for found, reason in checks if found), None)


@dataclass(frozen=True)
class Destinations:
    """The policy for outgoing requests. `guarded=False` (demo mode) lets everything through."""

    guarded: bool = True
    require_https: bool = True
    allowed: tuple[str, ...] = ()
    resolver: Resolver = system_resolver
    _hosts: frozenset[str] = field(init=False, repr=False)
    _networks: tuple[IPNetwork, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        hosts, networks = parse_allowed(self.allowed)
        object.__setattr__(self, "_hosts", hosts)
        object.__setattr__(self, "_networks", networks)

    def check_url(self, url: str) -> None:
        """Raise `DestinationRefused` unless the URL may be requested now (resolves its host:
        blocking, so not on an event loop)."""
        host = self.check_scheme(url)
        if self.guarded and host is not None:
            self.addresses(host)

    def check_scheme(self, url: str) -> str | None:
        """Raise `DestinationRefused` unless the URL's scheme is allowed; return its host.
        (At delivery the addresses are checked by `GuardedBackend` as it connects.)"""
        parts = urlsplit(url)
        if not self.guarded:
            return parts.hostname
        if (self.require_https and parts.scheme != "https") or not parts.hostname:
            raise DestinationRefused(REFUSED)
        return parts.hostname

    def addresses(self, host: str) -> list[str]:
        """The host's addresses once checked (raises `DestinationRefused`)."""
        name = host.strip("[]").lower().rstrip(".")
        try:
            found = [ipaddress.ip_address(name)]
        except ValueError:
            try:
                found = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(name)]
            except (OSError, UnicodeError, ValueError):
                raise DestinationRefused(REFUSED) from None
        if not found:
            raise DestinationRefused(REFUSED)
        if self.guarded and name not in self._hosts:
            for address in found:
                admitted = any(address in network for network in self._networks)
                if not admitted and internal_reason(address) is not None:
                    raise DestinationRefused(REFUSED)
        return [str(address) for address in found]


def parse_allowed(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """Allow-list entries: host names, or addresses and networks (CIDR). Raises ValueError."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in (e.strip() for e in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if any(c.isspace() or c in "/:@" for c in entry):
                msg = f"not a host name, address or network: {entry!r}"
                raise ValueError(msg) from None
            hosts.add(entry.lower().rstrip("."))
    return frozenset(hosts), tuple(networks)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to checked addresses: resolves the name itself, checks every address it
    gets, then connects to them in turn. TLS is started afterwards by httpcore with the URL's
    own host name (SNI, certificate), so pinning the address changes nothing else."""

    def __init__(self, destinations: Destinations) -> None:
        self.destinations = destinations
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            if _is_address(host):  # nothing to resolve: no thread for it
                addresses = self.destinations.addresses(host)
            else:
                with fail_after(timeout):
                    addresses = await to_thread.run_sync(self.destinations.addresses, host)
        except TimeoutError:
            raise httpcore.ConnectTimeout("resolving the host timed out") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                last = error
        assert last is not None
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused(REFUSED)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a `GuardedBackend`; no proxy from the environment (a proxy
    would connect for us, past the check)."""

    def __init__(self, destinations: Destinations, verify: ssl.SSLContext | None = None) -> None:
        super().__init__(trust_env=False)
        # httpx builds its pool without a way to choose the network backend; this is the same
        # pool as httpx's default (no proxy), over the guarded backend.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify or httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=GuardedBackend(destinations),
        )
