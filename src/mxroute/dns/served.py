"""What a name server serves for zones' apexes: SOA serial and MX set, many zones at once.

The doctor compares this with the zone files. The questions (SOA and MX of each zone)
go down one socket (:mod:`mxroute.dns.pipeline`); a question without a clear answer
there (REFUSED, SERVFAIL, truncated) is asked again on its own, without recursion and
over TCP when the answer is too big for UDP, so its status can be told.

Only an authoritative answer (the AA flag) says what the zone serves: a cache's answer
may be as old as the record's TTL, so it is reported as ``not_authoritative``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rdtypes.mxbase
import dns.resolver

from mxroute.dns import pipeline
from mxroute.errors import ConfigError

_SOA, _MX = dns.rdatatype.SOA, dns.rdatatype.MX
# Zones asked again one by one at once (a REFUSED or truncated answer comes back fast).
CONCURRENT_QUERIES = 64

Pair = tuple[int, str]


@dataclass(frozen=True)
class Served:
    """A name server's answer for a zone's apex.

    ``status``: ``ok`` (an authoritative answer), ``not_authoritative`` (answered, but
    from a cache or for a zone it does not serve), ``refused``, ``nxdomain``,
    ``servfail`` or ``timeout``. ``mx`` is the set of (priority, exchanger) pairs,
    exchangers lower case without the final dot (a Null MX is ``"."``).
    """

    status: str
    serial: int | None = None
    mx: frozenset[Pair] = frozenset()

    @property
    def ok(self) -> bool:
        """True when the answer says what the server serves for the zone."""
        return self.status == "ok"


@dataclass(frozen=True)
class NameServer:
    """Where the zones are asked: an address and a port."""

    address: str
    port: int = 53
    timeout: float = 3.0

    @classmethod
    def from_settings(
        cls, server: str, port: int, resolver_server: str, resolver_port: int, timeout: float
    ) -> NameServer:
        """``[dns] query_server`` and ``query_port``, else ``[resolver] server`` and ``port``,
        else the system's first name server (``/etc/resolv.conf``)."""
        if server:
            return cls(server, port, timeout)
        if resolver_server:
            return cls(resolver_server, resolver_port, timeout)
        try:
            system = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            raise ConfigError(
                "This system has no DNS resolver configured (/etc/resolv.conf); set [dns] "
                "query_server in mxroute.toml to the name server that serves the zones.",
                code="resolver_missing",
            ) from None
        addresses = [n for n in system.nameservers if isinstance(n, str)]
        if not addresses:
            raise ConfigError(
                "The system's resolver names no name server by address; set [dns] "
                "query_server in mxroute.toml.",
                code="resolver_missing",
            )
        return cls(addresses[0], system.port, timeout)

    def served_many(self, zones: Collection[str]) -> dict[str, Served]:
        """What this server serves for each of ``zones`` (normalised names)."""
        if not zones:
            return {}
        qnames = {zone: dns.name.from_text(zone.rstrip(".") + ".") for zone in zones}
        # One question first: a server that is down answers nothing, and then every
        # zone would wait its own timeout again below.
        first = next(iter(qnames))
        probe = self._one(qnames[first])
        if probe.status in ("timeout", "unreachable"):
            return dict.fromkeys(zones, probe)
        questions = [(q, t) for q in qnames.values() for t in (_SOA, _MX)]
        got = pipeline.ask(self.address, self.port, questions, timeout=self.timeout)
        found: dict[str, Served] = {first: probe}
        unclear: list[str] = []
        for zone, qname in qnames.items():
            if zone in found:
                continue
            soa, mx = got.get((qname, _SOA)), got.get((qname, _MX))
            if soa is None or mx is None:
                unclear.append(zone)
            else:
                found[zone] = _served(qname, soa, mx)
        if unclear:
            found.update(asyncio.run(self._each(unclear, qnames)))
        return found

    def _one(self, qname: dns.name.Name) -> Served:
        """SOA and MX of one zone, asked without recursion (TCP when truncated)."""
        replies = []
        for rdtype in (_SOA, _MX):
            request = _request(qname, rdtype)
            try:
                reply, _ = dns.query.udp_with_fallback(
                    request, self.address, port=self.port, timeout=self.timeout
                )
            except dns.exception.Timeout:
                return Served("timeout")
            except OSError:
                return Served("unreachable")
            except dns.exception.DNSException:
                return Served("servfail")
            replies.append(reply)
        return _served(qname, replies[0], replies[1])

    async def _each(self, zones: list[str], qnames: dict[str, dns.name.Name]) -> dict[str, Served]:
        gate = asyncio.Semaphore(CONCURRENT_QUERIES)

        async def ask(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> object:
            try:
                reply, _ = await dns.asyncquery.udp_with_fallback(
                    _request(qname, rdtype), self.address, port=self.port, timeout=self.timeout
                )
                return reply
            except dns.exception.Timeout:
                return "timeout"
            except OSError:
                return "unreachable"
            except dns.exception.DNSException:
                return "servfail"

        async def one(zone: str) -> Served:
            async with gate:
                soa = await ask(qnames[zone], _SOA)
                mx = await ask(qnames[zone], _MX)
            for reply in (soa, mx):
                if isinstance(reply, str):
                    return Served(reply)
            assert isinstance(soa, dns.message.Message) and isinstance(mx, dns.message.Message)
            return _served(qnames[zone], soa, mx)

        answers = await asyncio.gather(*(one(z) for z in zones))
        return dict(zip(zones, answers, strict=True))


def _request(qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> dns.message.Message:
    request = dns.message.make_query(qname, rdtype)
    request.flags &= ~dns.flags.RD  # the authority itself, not what it could look up
    return request


_RCODES = {
    dns.rcode.REFUSED: "refused",
    dns.rcode.NXDOMAIN: "nxdomain",
    dns.rcode.SERVFAIL: "servfail",
}


def _served(qname: dns.name.Name, soa: dns.message.Message, mx: dns.message.Message) -> Served:
    """What the SOA and MX replies for ``qname`` say."""
    for reply in (soa, mx):
        if reply.rcode() != dns.rcode.NOERROR:
            return Served(_RCODES.get(reply.rcode(), "servfail"))
        if not reply.flags & dns.flags.AA:
            return Served("not_authoritative")
    serial = next(
        (
            int(rdata.serial)
            for rrset in soa.answer
            if rrset.name == qname
            for rdata in rrset
            if isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
        ),
        None,
    )
    if serial is None:  # an authoritative answer without the apex SOA: not the apex
        return Served("not_authoritative")
    pairs = frozenset(
        (int(rdata.preference), _exchanger(rdata.exchange))
        for rrset in mx.answer
        if rrset.name == qname
        for rdata in rrset
        if isinstance(rdata, dns.rdtypes.mxbase.MXBase)
    )
    return Served("ok", serial, pairs)


def _exchanger(name: dns.name.Name) -> str:
    text = name.to_text().lower()
    return text if text == "." else text.rstrip(".")
