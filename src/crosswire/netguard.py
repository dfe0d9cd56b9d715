"""Which URLs the gateway may fetch on a client's behalf.

crosswire fetches nothing today (an image URL sent to a Gemini upstream becomes a text
placeholder). A future fetcher (inlining an image URL for a format that needs bytes) must call
:func:`is_public_http_url` first, and connect to the address it checked, so a client cannot
make the gateway reach its own network (SSRF): loopback, private, link-local (cloud metadata at
169.254.169.254), multicast, reserved and unspecified ranges are refused, for IPv4, IPv6 and
IPv4-mapped / 6to4 / Teredo forms of them.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")


def is_public_address(address: IPAddress) -> bool:
    """Whether ``address`` is a globally routable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo is not None:
            embedded = address.teredo[1]
        if embedded is not None and not is_public_address(embedded):
            return False
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (blocking: run it in a thread from async code)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def is_public_http_url(url: str) -> bool:
    """Whether ``url`` is http(s) and *every* address its host resolves to is public.

    Unresolvable hosts, credentials in the URL and odd ports are refused. Resolution is done
    here; the fetcher must connect to one of these addresses (not resolve again) to avoid DNS
    rebinding.
    """
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    host = parts.hostname
    if parts.scheme not in SCHEMES or not host or parts.username or parts.password:
        return False
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = resolve_host(host, port)
        except (OSError, UnicodeError, ValueError):
            return False
    return bool(addresses) and all(is_public_address(a) for a in addresses)
