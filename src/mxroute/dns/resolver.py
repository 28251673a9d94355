"""Address lookups for exchangers (A and AAAA), blocking and asyncio.

Uses the system's resolver (``/etc/resolv.conf``) unless a server is configured.
Every outcome becomes a :class:`~mxroute.core.routing.Resolution`: ``ok``,
``nxdomain``, ``nodata`` (the name exists without addresses), ``servfail`` or
``timeout``; ``alias_of`` is the first CNAME target when the name is an alias.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Collection, Sequence
from typing import TypeVar

import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.resolver

from mxroute.core.routing import IPAddress, Resolution
from mxroute.dns import pipeline
from mxroute.errors import ConfigError

log = logging.getLogger(__name__)

_TYPES = (dns.rdatatype.A, dns.rdatatype.AAAA)
_R = TypeVar("_R", bound=dns.resolver.BaseResolver)
_Result = dns.resolver.Answer | dns.exception.DNSException  # what one query gave
# When A and AAAA disagree, the more telling status wins (a temporary failure may hide data).
_RANK = {"ok": 0, "timeout": 1, "servfail": 2, "nxdomain": 3, "nodata": 4}
# Names asked at once by the full resolver (bounded: ten thousand queries at once would
# be dropped by the server).
CONCURRENT_LOOKUPS = 64


class _Outcome:
    """What one query (A or AAAA) gave."""

    def __init__(
        self, status: str, addresses: frozenset[IPAddress] = frozenset(), alias: str | None = None
    ) -> None:
        self.status = status
        self.addresses = addresses
        self.alias = alias


def _first_alias(response: dns.message.Message | None, qname: dns.name.Name) -> str | None:
    """The target of the CNAME at ``qname`` in ``response``, normalised."""
    if response is None:
        return None
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME and rrset.name == qname:
            for rdata in rrset:
                if isinstance(rdata, dns.rdtypes.ANY.CNAME.CNAME):
                    return rdata.target.to_text().lower().rstrip(".") or "."
    return None


def _from_answer(answer: dns.resolver.Answer, qname: dns.name.Name) -> _Outcome:
    alias = _first_alias(answer.response, qname)
    if answer.rrset is None:
        return _Outcome("nodata", alias=alias)
    found = frozenset(ipaddress.ip_address(rdata.to_text()) for rdata in answer.rrset)
    return _Outcome("ok" if found else "nodata", found, alias)


def _from_error(exc: Exception, qname: dns.name.Name) -> _Outcome:
    if isinstance(exc, dns.resolver.NXDOMAIN):
        responses = exc.kwargs.get("responses") or {}
        return _Outcome("nxdomain", alias=_first_alias(responses.get(qname), qname))
    if isinstance(exc, dns.resolver.NoAnswer):
        return _Outcome("nodata")
    if isinstance(exc, dns.exception.Timeout):
        return _Outcome("timeout")
    # NoNameservers (every server failed, e.g. SERVFAIL or REFUSED), YXDOMAIN, ...
    log.info("lookup of %s failed: %s", qname, exc)
    return _Outcome("servfail")


def _resolution(qname: dns.name.Name, results: Sequence[_Result]) -> Resolution:
    """The Resolution that the A and AAAA queries' answers (or errors) add up to."""
    return _combine(
        [
            _from_answer(r, qname) if isinstance(r, dns.resolver.Answer) else _from_error(r, qname)
            for r in results
        ]
    )


def _from_response(
    qname: dns.name.Name, rdtype: dns.rdatatype.RdataType, response: dns.message.Message
) -> _Result:
    """What the full resolver would have made of ``response`` (NOERROR or NXDOMAIN)."""
    if response.rcode() == dns.rcode.NXDOMAIN:
        return dns.resolver.NXDOMAIN(qnames=[qname], responses={qname: response})  # type: ignore[no-untyped-call]
    try:
        return dns.resolver.Answer(qname, rdtype, dns.rdataclass.IN, response)  # type: ignore[arg-type]
    except dns.exception.DNSException as exc:
        return exc


def _combine(outcomes: list[_Outcome]) -> Resolution:
    addresses = frozenset().union(*(o.addresses for o in outcomes))
    alias = next((o.alias for o in outcomes if o.alias), None)
    if addresses:
        return Resolution(addresses, "ok", alias)
    status = min((o.status for o in outcomes if o.status != "ok"), key=_RANK.__getitem__)
    return Resolution(frozenset(), status, alias)


def _absolute(name: str) -> dns.name.Name:
    # Absolute, so the resolver's search list is never applied to an exchanger.
    return dns.name.from_text(name.rstrip(".") + ".")


class Resolver:
    """Looks up a host's addresses; ``server`` (an IP address) overrides the system's."""

    def __init__(self, server: str = "", port: int = 53, timeout: float = 3.0) -> None:
        self.server = server
        self.port = port
        self.timeout = timeout
        if server:
            try:
                ipaddress.ip_address(server)
            except ValueError:
                raise ConfigError(
                    f"The resolver server '{server}' is not an IP address; set [resolver] "
                    "server to the address of a DNS server, or leave it empty.",
                    code="resolver_server",
                ) from None

    def _configure(self, resolver: dns.resolver.BaseResolver) -> None:
        if self.server:
            resolver.nameservers = [self.server]
            resolver.port = self.port
        resolver.timeout = self.timeout
        resolver.lifetime = self.timeout
        resolver.search = []

    def _make(self, kind: type[_R]) -> _R:
        """A blocking or asyncio resolver, configured for this server and timeout."""
        try:
            resolver = kind(configure=not self.server)
        except dns.resolver.NoResolverConfiguration:
            raise ConfigError(
                "This system has no DNS resolver configured (/etc/resolv.conf); set "
                "[resolver] server in mxroute.toml.",
                code="resolver_missing",
            ) from None
        self._configure(resolver)
        return resolver

    def addresses(self, name: str) -> Resolution:
        """The A and AAAA addresses of ``name`` (blocking)."""
        qname = _absolute(name)
        resolver = self._make(dns.resolver.Resolver)

        def one(rdtype: dns.rdatatype.RdataType) -> _Result:
            try:
                return resolver.resolve(qname, rdtype, raise_on_no_answer=False)
            except dns.exception.DNSException as exc:
                return exc

        return _resolution(qname, [one(t) for t in _TYPES])

    async def addresses_async(self, name: str, *, a_is_enough: bool = False) -> Resolution:
        """The A and AAAA addresses of ``name``; run many of these with asyncio.gather.

        With ``a_is_enough`` the AAAA query is skipped when the A query gave addresses:
        for a caller that only asks whether the name has an address and whether one is
        an IPv4 address of this server (bulk detection on a server without IPv6).
        """
        qname = _absolute(name)
        resolver = self._make(dns.asyncresolver.Resolver)

        async def one(rdtype: dns.rdatatype.RdataType) -> _Result:
            try:
                return await resolver.resolve(qname, rdtype, raise_on_no_answer=False)
            except dns.exception.DNSException as exc:
                return exc

        if a_is_enough:
            first = await one(dns.rdatatype.A)
            found = _resolution(qname, [first])
            if found.addresses:
                return found
            return _resolution(qname, [first, await one(dns.rdatatype.AAAA)])
        return _resolution(qname, await asyncio.gather(*(one(t) for t in _TYPES)))

    def addresses_many(
        self, names: Collection[str], *, a_is_enough: bool = False
    ) -> dict[str, Resolution]:
        """The addresses of each of ``names``, asked all at once (see :meth:`addresses_async`
        for ``a_is_enough``).

        The queries go down one socket to the first name server (:mod:`pipeline`); a
        name without a clear answer there is asked again by the full resolver, which
        tries every configured server.
        """
        qnames = {name: _absolute(name) for name in names}
        first = _TYPES[:1] if a_is_enough else _TYPES
        got = self._pipelined([(q, t) for q in qnames.values() for t in first])
        if a_is_enough:
            # No address in a clear A answer: the name may have only AAAA records.
            bare = [q for q in qnames.values() if _answered_without_address(got.get((q, _A)))]
            got.update(self._pipelined([(q, dns.rdatatype.AAAA) for q in bare]))
        found: dict[str, Resolution] = {}
        unclear: list[str] = []
        for name, qname in qnames.items():
            responses = [got.get((qname, t)) for t in _TYPES if (qname, t) in got]
            if not responses or any(r is None for r in responses):
                unclear.append(name)
                continue
            found[name] = _resolution(
                qname,
                [_from_response(qname, r.question[0].rdtype, r) for r in responses if r],
            )
        if unclear:
            found.update(asyncio.run(self._each(unclear, a_is_enough)))
        return found

    def _pipelined(
        self, questions: list[pipeline.Question]
    ) -> dict[pipeline.Question, dns.message.Message | None]:
        if not questions:
            return {}
        server, port = self.server, self.port
        if not server:
            system = self._make(dns.resolver.Resolver)
            addresses = [n for n in system.nameservers if isinstance(n, str)]
            if not addresses:
                return dict.fromkeys(questions)
            server, port = addresses[0], system.port
        return pipeline.ask(server, port, questions, timeout=self.timeout)

    async def _each(self, names: list[str], a_is_enough: bool) -> dict[str, Resolution]:
        gate = asyncio.Semaphore(CONCURRENT_LOOKUPS)

        async def one(name: str) -> Resolution:
            async with gate:
                return await self.addresses_async(name, a_is_enough=a_is_enough)

        answers = await asyncio.gather(*(one(n) for n in names))
        return dict(zip(names, answers, strict=True))


_A = dns.rdatatype.A


def _answered_without_address(response: dns.message.Message | None) -> bool:
    if response is None:
        return False
    found = _from_response(response.question[0].name, _A, response)
    return not (isinstance(found, dns.resolver.Answer) and found.rrset)
