"""Where a webhook may be sent (issue 7): HTTPS to public addresses only, checked twice.

Webhook URLs are typed by administrators but fetched by the server, so without a check they reach
what only the server can reach: the cloud metadata service (169.254.169.254), the database on
localhost, the private network. The URL is checked when a subscription is saved (a clear 422 on
`url`) and again at every delivery *after* resolving the name, and the delivery connects to the
very address that was checked — a name that resolved publicly when it was saved and resolves to
127.0.0.1 now (DNS rebinding) is refused.

OPSDESK_WEBHOOK_ALLOW_HTTP and OPSDESK_WEBHOOK_ALLOW_PRIVATE lift the two rules, for development and
tests only.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: 64:ff9b::/96 (NAT64) carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class DestinationRefused(Exception):
    """The URL may not be used: `reason` is the short text stored on a failed delivery, `message`
    the sentence shown to whoever typed the URL."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _address_refused(kind: str) -> DestinationRefused:
    return DestinationRefused(
        f"destination refused: {kind}",
        f"This URL leads to a non-public address ({kind}); webhooks go only to public addresses.",
    )


def _invalid() -> DestinationRefused:
    return DestinationRefused("destination refused: not a valid URL", "Not a valid URL.")


class DestinationUnresolved(Exception):
    """The name did not resolve (now); worth retrying later."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # the name or address as written, without brackets, lower case
    port: int


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped ::ffff:a.b.c.d, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not go to this address, or None when it is a public one."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        reason = refusal(inner)
        if reason is not None:
            return reason
    if address.is_unspecified:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if address.is_private:
        return "private address"
    if address.is_reserved:
        return "reserved address"
    if not address.is_global:
        return "non-public address"
    return None


def parse(url: str) -> Destination:
    """The scheme, host and port of a webhook URL; refuses what is not HTTPS (or allowed HTTP)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        raise _invalid()
    scheme = parts.scheme.lower()
    allowed = ("https", "http") if settings.WEBHOOK_ALLOW_HTTP else ("https",)
    if scheme not in allowed:
        raise DestinationRefused(
            "destination refused: not https", "Only https:// URLs are allowed for webhooks."
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _invalid()
    return Destination(scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


def resolve(destination: Destination) -> list[IPAddress]:
    """Every address the host stands for: an address as written, or what the resolver answers
    (which also reads the old numeric forms such as 2130706433 or 0x7f.1 as 127.0.0.1)."""
    literal = _literal(destination.host)
    if literal is not None:
        return [literal]
    try:
        answers = socket.getaddrinfo(
            destination.host, destination.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (socket.gaierror, UnicodeError, OSError):
        raise DestinationUnresolved(destination.host)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = _literal(str(sockaddr[0]))
        if address is not None and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise DestinationUnresolved(destination.host)
    return addresses


def _check(destination: Destination, addresses: list[IPAddress]) -> None:
    if settings.WEBHOOK_ALLOW_PRIVATE:
        return
    if destination.host == "localhost" or destination.host.endswith(".localhost"):
        raise _address_refused("loopback address")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise _address_refused(reason)


def check_url(url: str) -> None:
    """When a subscription is saved: refuse a URL that is not HTTPS or points at a non-public address.

    A name that does not resolve now is accepted (it may be registered later); delivery checks again.
    """
    destination = parse(url)
    try:
        addresses = resolve(destination)
    except DestinationUnresolved:
        addresses = []  # the name itself is still checked (localhost)
    _check(destination, addresses)


def addresses_for_delivery(url: str) -> tuple[Destination, list[IPAddress]]:
    """At delivery: resolve now and check every address; the caller connects only to these."""
    destination = parse(url)
    addresses = resolve(destination)
    _check(destination, addresses)
    return destination, addresses
