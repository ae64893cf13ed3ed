"""Where probes may connect, and how they find it. A monitor's job is often inside the company,
so private addresses are allowed, but only in the networks an admin listed
(``TIDINGS_MONITOR_ALLOWED_NETWORKS``). The rule is applied to the addresses a name resolves to
(so a public name pointing inside is refused too) and again on every redirect hop.

Names resolve through the system, or through the DNS server named by
``TIDINGS_MONITOR_RESOLVER`` (dnspython): there is no other way to test DNS on a closed
machine, and some companies monitor through their own resolver."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from typing import Any

import aiohttp
import dns.asyncresolver
import dns.exception
import dns.resolver
from aiohttp.abc import AbstractResolver, ResolveResult

from tidings.monitors.rules import address_allowed


class Refused(Exception):
    """The target is on a network monitors may not reach; the message says which address."""


class LookupFailed(Exception):
    """The name did not resolve (no such name, no answer, the DNS server timed out)."""


def split_server(spec: str, default_port: int = 53) -> tuple[str, int]:
    """``"10.0.0.2"``, ``"10.0.0.2:5353"`` or ``"[::1]:53"`` -> (address, port)."""
    spec = spec.strip()
    if spec.startswith("["):
        host, _sep, rest = spec[1:].partition("]")
        return host, int(rest.lstrip(":") or default_port)
    if spec.count(":") == 1:
        host, port = spec.split(":")
        return host, int(port)
    return spec, default_port


def dns_resolver(server: str, timeout: float) -> dns.asyncresolver.Resolver:
    if not server:
        resolver = dns.asyncresolver.Resolver()
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        address, port = split_server(server)
        resolver.nameservers = [address]
        resolver.port = port
    resolver.lifetime = timeout
    return resolver


class Net:
    def __init__(
        self, *, networks: list[str], resolver: str = "", ca_file: str = "", timeout: float = 10.0
    ) -> None:
        self.networks = list(networks)
        self.server = resolver
        self.timeout = timeout
        self.ssl = ssl.create_default_context()
        if ca_file:
            self.ssl.load_verify_locations(cafile=ca_file)
        self._dns = dns_resolver(resolver, timeout) if resolver else None

    def check_address(self, address: str, host: str) -> str:
        if not address_allowed(address, self.networks):
            shown = host if host == address else f"{host} ({address})"
            raise Refused(f"{shown} is a private address outside the networks monitors may reach")
        return address

    async def resolve(self, host: str, port: int = 0) -> list[str]:
        """The allowed addresses of ``host``; :class:`Refused` when it resolves only to
        addresses outside the allowed networks, :class:`LookupFailed` when it does not resolve."""
        host = host.strip("[]")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            return [self.check_address(host, host)]
        found = await (self._lookup_dns(host) if self._dns else self._lookup_system(host, port))
        allowed = [a for a in found if address_allowed(a, self.networks)]
        if not allowed:
            self.check_address(found[0], host)
        return allowed

    async def _lookup_system(self, host: str, port: int) -> list[str]:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            raise LookupFailed(f"{host} does not resolve: {exc.strerror}") from None
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def _lookup_dns(self, host: str) -> list[str]:
        assert self._dns is not None
        try:
            answer = await self._dns.resolve(host, "A")
        except dns.resolver.NXDOMAIN:
            raise LookupFailed(f"{host} does not exist (NXDOMAIN)") from None
        except dns.exception.Timeout:
            raise LookupFailed(f"no answer from the DNS server for {host}") from None
        except dns.exception.DNSException as exc:
            raise LookupFailed(f"{host} does not resolve: {exc}") from None
        return [r.to_text() for r in answer]

    def session(self, limit: int) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=limit, limit_per_host=0, resolver=_Resolver(self), ttl_dns_cache=10, ssl=self.ssl
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers={"User-Agent": "Tidings-Monitor/1"},
            cookie_jar=aiohttp.DummyCookieJar(),
        )


class _Resolver(AbstractResolver):
    """aiohttp asks this for every name it connects to (redirect hops included)."""

    def __init__(self, net: Net) -> None:
        self.net = net

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            addresses = await self.net.resolve(host, port)
        except (Refused, LookupFailed) as exc:
            raise OSError(str(exc)) from exc
        return [
            ResolveResult(hostname=host, host=a, port=port,
                          family=socket.AF_INET6 if ":" in a else socket.AF_INET, proto=0,
                          flags=socket.AI_NUMERICHOST)
            for a in addresses
        ]  # fmt: skip

    async def close(self) -> None:
        return None


def describe(exc: BaseException) -> str:
    """A short, readable reason for a failed check."""
    cause: Any = exc
    while isinstance(cause, OSError) and isinstance(cause.__cause__, Refused | LookupFailed):
        cause = cause.__cause__
    if isinstance(cause, TimeoutError | asyncio.TimeoutError):
        return "timed out"
    if isinstance(cause, aiohttp.ClientConnectorCertificateError):
        return f"TLS certificate not trusted: {cause.certificate_error}"[:300]
    if isinstance(cause, aiohttp.ClientConnectorError):
        inner = cause.os_error
        if isinstance(inner.__cause__, Refused | LookupFailed):
            return str(inner.__cause__)[:300]
        return f"cannot connect: {inner.strerror or inner}"[:300]
    return (str(cause) or cause.__class__.__name__)[:300]
