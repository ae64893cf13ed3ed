"""Which hosts an outbound request may go to: pure rules, no I/O.

A URL names its host in more ways than ``ipaddress`` parses. The system resolver (and so
aiohttp, requests and smtplib) reads ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``
and ``0`` as IPv4 addresses (``inet_aton``), ignores a trailing dot (``localhost.``), and IDNA
turns fullwidth digits and letters into ASCII. IPv6 can carry an IPv4 address inside
(``::ffff:127.0.0.1``, 6to4, NAT64, Teredo). :func:`canonical` reads a host the way the
resolver will, so :func:`is_private_host` judges the address that will really be dialled.

Names are judged by their form only (``localhost``, ``*.internal``, a name without a dot...);
what a public-looking name resolves to is checked again when connecting
(:mod:`tidings.notify.http`)."""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Suffixes that name machines on a local network or inside a cloud provider
#: (``metadata.google.internal``), never a subscriber's public service.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".lan", ".home.arpa", ".intranet", ".corp")  # fmt: skip
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as the C library's ``inet_aton`` reads it: one to four parts, each decimal,
    octal (leading 0) or hexadecimal (0x), the last part filling the remaining bytes."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART.fullmatch(p) for p in parts):
        return None
    numbers = [int(p, 16) if p[:2].lower() == "0x" and len(p) > 2 else int(p, 8) if p.startswith("0") else int(p) for p in parts]  # fmt: skip
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def canonical(host: str) -> str:
    """The host as the resolver will see it: IDNA-mapped, lower case, without brackets, zone
    or trailing dot; a literal address written the standard way."""
    host = host.strip().strip("[]").partition("%")[0]
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return host.lower()
    host = host.lower().rstrip(".")
    ip = literal(host)
    return str(ip) if ip is not None else host


def literal(host: str) -> IPAddress | None:
    """The address ``host`` spells in any form the resolver accepts, or ``None`` for a name."""
    host = host.strip("[]").partition("%")[0].rstrip(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return _inet_aton(host)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and is routed to (mapped, compatible, 6to4,
    NAT64); for Teredo, the client's."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64 or ip in _NAT64_LOCAL or int(ip) >> 32 == 0:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_public(ip: IPAddress) -> bool:
    """A global unicast address, and so is any IPv4 address it carries."""
    if not ip.is_global or ip.is_multicast:
        return False
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return inner is None or is_public(inner)


def is_private_host(host: str) -> bool:
    """Whether ``host`` (as written in a URL) names a loopback, private, link-local or otherwise
    non-public address, or a name only a local network resolves."""
    name = canonical(host)
    ip = literal(name)
    if ip is not None:
        return not is_public(ip)
    if not name:
        return True
    return name == "localhost" or name.endswith(LOCAL_SUFFIXES) or "." not in name
