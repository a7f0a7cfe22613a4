"""The client's IP address: the socket peer, unless the peer is a proxy we trust.

A forwarded header (``X-Forwarded-For``, or ``Forwarded`` if so configured) is read
only when the connection comes from ``ALOT_TRUSTED_PROXIES``; otherwise any client
could name its own address and pick its own rate-limit bucket. The header is walked
from the right (the hop nearest us, appended by our own proxy) past the trusted
proxies; the first address that is not one of them is the client. Everything that
needs the client's address (the rate limits, the login throttle) asks here.

The server must not rewrite the peer address itself: ``alot run`` and ``alot serve``
start uvicorn without its proxy-header handling (with plain uvicorn, pass
``--no-proxy-headers``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.types import Scope

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``"10.0.0.0/8, 192.0.2.7"`` as networks; ValueError naming a bad entry."""
    networks = []
    for part in text.split(","):
        entry = part.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR network") from None
    return tuple(networks)


_networks = lru_cache(maxsize=8)(parse_networks)


def client_address(scope: Scope, trusted_proxies: str, header: str = "x-forwarded-for") -> str:
    """The address the request came from (see the module docstring)."""
    client = scope.get("client")
    peer = str(client[0]) if client else UNKNOWN
    trusted = _networks(trusted_proxies)
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    name = header.lower().encode("latin-1")
    values = [value.decode("latin-1") for key, value in scope.get("headers", ()) if key == name]
    hops = list(_forwarded_for(values) if name == b"forwarded" else _x_forwarded_for(values))
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage where our proxy writes: do not guess past it
        if not _is_trusted(address, trusted):
            return address
    # Every hop is a proxy of ours (or the header is missing): the nearest one is it.
    return peer


def _is_trusted(address: str, trusted: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _x_forwarded_for(values: Iterable[str]) -> Iterable[str]:
    for value in values:
        yield from (hop.strip() for hop in value.split(","))


def _forwarded_for(values: Iterable[str]) -> Iterable[str]:
    """The ``for=`` of each element of RFC 7239 ``Forwarded`` headers."""
    for value in values:
        for element in value.split(","):
            found = ""
            for pair in element.split(";"):
                key, _, item = pair.strip().partition("=")
                if key.strip().lower() == "for":
                    found = item.strip().strip('"')
            yield found


def _address(hop: str) -> str | None:
    """The IP of one hop (``198.51.100.7``, ``198.51.100.7:4711``, ``[2001:db8::1]:80``)."""
    if hop.startswith("["):
        hop = hop[1:].partition("]")[0]
    elif hop.count(":") == 1:
        hop = hop.partition(":")[0]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None
