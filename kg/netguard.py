"""Outbound requests only to where they are allowed: no SSRF through harvests or validation by URL.

A URL is fetched only if its scheme is http(s) and every address its host resolves to is public,
or the host (name, IP or CIDR range) is on the `allow_hosts` list of the configuration. Private,
loopback, link-local, multicast and reserved addresses are refused otherwise. The address that
was checked is the one connected to (the caller passes `resolved` on), so DNS rebinding between
check and connect does not help an attacker.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from .errors import BadInput, Forbidden


@dataclass(frozen=True)
class CheckedURL:
    url: str
    host: str
    port: int
    addresses: tuple[str, ...]

    def pinned(self) -> tuple[str, dict[str, str], dict[str, str]]:
        """The request to send: the URL with its host replaced by the address that was checked, the
        headers naming the real host, and the TLS server name.

        Connecting to the checked address (not resolving the name again) is what stops a DNS answer
        that changes between check and connect from reaching a private address.
        """
        parts = urlsplit(self.url)
        address = self.addresses[0] if self.addresses else self.host
        netloc = f"[{address}]" if ":" in address else address
        if parts.port:
            netloc += f":{parts.port}"
        url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        headers = {"Host": parts.netloc.rsplit("@", 1)[-1]}
        extensions = {"sni_hostname": self.host} if parts.scheme == "https" else {}
        return url, headers, extensions


def _allowed(host: str, address: str, allow_hosts: list[str]) -> bool:
    ip = ipaddress.ip_address(address)
    for entry in allow_hosts:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry == host.lower():
            return True
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
                or ip.is_unspecified or (ip.version == 6 and ip.ipv4_mapped is not None
                                         and not _public(str(ip.ipv4_mapped))))


def check_url(url: str, allow_hosts: list[str], *, resolve: bool = True) -> CheckedURL:
    """Raise Forbidden (403) for a URL the server must not fetch, BadInput for one that is not a URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{url!r}: only http(s) URLs can be fetched")
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
        addresses = (host,)
    except ValueError:
        if not resolve:
            addresses = ()
        else:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise BadInput(f"{url!r}: cannot resolve {host}: {exc}") from exc
            addresses = tuple(sorted({str(i[4][0]) for i in infos}))
    for address in addresses:
        if not _public(address) and not _allowed(host, address, allow_hosts):
            raise Forbidden(f"{url!r} resolves to {address}, a private, loopback or link-local address; "
                            "add the host to allow_hosts (AGORA_ALLOW_HOSTS) to permit it")
    return CheckedURL(url, host, port, addresses)
