"""Where deliveries may go. An endpoint is a public https URL: hosts that resolve to private,
loopback, link-local, CGNAT, multicast, reserved or cloud-metadata addresses (IPv4 and IPv6,
IPv4-mapped included) are refused, at registration and again before every delivery, whose
connection then goes to the address checked (no second lookup an attacker could answer
differently). Dev mode allows loopback for local receivers, explicitly.
"""

from __future__ import annotations

import ipaddress

from libs.domain_errors import FieldError
from libs.web_urls import split_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class ForbiddenAddress(FieldError):
    """The URL or what its host resolves to is not a place deliveries may go."""


def check_url(url: str, *, dev_mode: bool, field: str = "url") -> tuple[str, str, int]:
    """(scheme, host, port) of a well-formed endpoint URL; raises naming `field`."""
    parts = split_url(url)
    if parts is None:
        raise ForbiddenAddress(field, "this is not a well-formed URL", "invalid_url")
    allowed = ("https", "http") if dev_mode else ("https",)
    if parts.scheme not in allowed:
        raise ForbiddenAddress(field, "endpoints must use https", "https_required")
    if not parts.hostname:
        raise ForbiddenAddress(field, "the URL has no host", "invalid_url")
    if parts.username or parts.password:
        raise ForbiddenAddress(field, "credentials in the URL are not allowed", "invalid_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ForbiddenAddress(field, "the port is not a number", "invalid_url") from None
    return parts.scheme, parts.hostname.lower(), port


def forbidden_reason(address: IPAddress, *, dev_mode: bool) -> str | None:
    """Why deliveries may not go to this address, or None when they may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return forbidden_reason(address.ipv4_mapped, dev_mode=dev_mode)
    if address.is_loopback:
        return None if dev_mode else "loopback"
    if address in _METADATA:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "carrier-grade NAT"
    for reason, flag in (("private", address.is_private), ("link-local", address.is_link_local),
                         ("multicast", address.is_multicast), ("reserved", address.is_reserved),
                         ("unspecified", address.is_unspecified)):
        if flag:
            return reason
    return None


def check_addresses(addresses: list[str], *, dev_mode: bool, field: str = "url") -> str:
    """The address to connect to, when every address the host resolves to is allowed (one bad
    answer refuses all: a resolver may rotate)."""
    if not addresses:
        raise ForbiddenAddress(field, "the host does not resolve", "unresolvable")
    for raw in addresses:
        reason = forbidden_reason(ipaddress.ip_address(raw), dev_mode=dev_mode)
        if reason is not None:
            raise ForbiddenAddress(field, f"the host resolves to a {reason} address ({raw})",
                                   "forbidden_address")
    return addresses[0]
