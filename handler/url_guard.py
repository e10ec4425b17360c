"""Which addresses an asset download may reach: public ones only, plus networks a setting allows.

Asset URLs come from users (through Ango Hub), so each download is a request a user makes from
inside our network. Without this check a URL naming 169.254.169.254 or 10.0.0.5 would read
instance credentials or internal services (SSRF). The host is resolved once, here, and the caller
connects to exactly the addresses checked, so a DNS answer that changes between the check and the
connection (rebinding) cannot slip another address in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from handler.contract.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[IPAddress]]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class UrlRefused(Exception):
    """The URL may not be fetched. The message names the host at most, never path or query:
    signed asset URLs carry credentials in their query string."""


@dataclass(frozen=True)
class Target:
    """A URL reduced to what a pinned connection needs, with its addresses already checked."""

    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, without brackets
    port: int
    path: str  # path and query, as sent on the request line
    addresses: tuple[IPAddress, ...]

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def host_is_literal(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for host, in its order, without duplicates."""
    found: dict[IPAddress, None] = {}
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        found[ipaddress.ip_address(sockaddr[0])] = None
    return list(found)


@dataclass(frozen=True)
class AddressPolicy:
    allowed: tuple[IPNetwork, ...] = ()
    resolver: Resolver = resolve_host

    def target(self, url: str) -> Target:
        """The checked target for url, or UrlRefused with a sanitised reason."""
        try:
            parts = urlsplit(url)
        except ValueError:  # e.g. unbalanced or invalid [IPv6] brackets
            raise UrlRefused("asset URL is malformed") from None
        if parts.scheme not in _DEFAULT_PORTS:
            raise UrlRefused("asset URL is not http(s)")
        try:
            host = _ascii_host(parts.hostname or "")
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except (ValueError, UnicodeError):
            raise UrlRefused("asset URL is malformed") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return Target(parts.scheme, host, port, path, self._checked_addresses(host, port))

    def refusal(self, address: IPAddress) -> str | None:
        """Why a connection to address is refused, or None when it is allowed."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # ::ffff:a.b.c.d is a.b.c.d on the wire
        if any(address in network for network in self.allowed):
            return None
        return special_use(address)

    def _checked_addresses(self, host: str, port: int) -> tuple[IPAddress, ...]:
        try:
            addresses = self.resolver(host, port)
        except (OSError, UnicodeError, ValueError):
            raise UrlRefused(f"asset host {host[:100]} does not resolve") from None
        if not addresses:
            raise UrlRefused(f"asset host {host[:100]} does not resolve")
        # Every answer must pass, not just the first: the connection may fall back to any of them.
        for address in addresses:
            reason = self.refusal(address)
            if reason is not None:
                raise UrlRefused(f"asset host {host[:100]} is refused: {reason} address")
        return tuple(addresses)


def special_use(address: IPAddress) -> str | None:
    """The kind of non-public address this is ("loopback", "private", ...), or None if public."""
    kinds = [
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
        ("site-local", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("non-public", not address.is_global),
    ]
    kind = next((name for name, matches in kinds if matches), None)
    # 6to4 (2002::/16) is global unicast, but routes to the IPv4 address inside it. (NAT64's
    # 64:ff9b::/96 is already "reserved" and Teredo's 2001::/32 "private".)
    if kind is None and isinstance(address, ipaddress.IPv6Address) and address.sixtofour is not None:
        inner = special_use(address.sixtofour)
        kind = f"{inner} (IPv4 inside IPv6)" if inner is not None else None
    return kind


def _ascii_host(host: str) -> str:
    if not host:
        raise ValueError("no host")
    if ":" in host:  # an IPv6 literal; urlsplit has removed the brackets
        return str(ipaddress.IPv6Address(host))
    return host.encode("idna").decode("ascii")
