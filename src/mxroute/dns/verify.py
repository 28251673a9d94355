"""Verified apply: asking the zone's name servers whether they serve what was written.

A reload command that exits 0 says only that the reload was queued: named may still
refuse the new file (a record type over ``max-records-per-type``, an ``$INCLUDE`` it
cannot read) and go on serving the old zone, or the command may reload nothing at all.
So after a write, :meth:`Verifier.wait` asks each configured server, without recursion
(UDP, TCP when the answer is truncated), for the zone's SOA and apex MX records, again
and again with a short backoff, until every server answers with authority the written
serial (or a newer one: a dynamic zone moves on by itself) and exactly the written MX
set, or the timeout passes. What each server answered last is kept, so the caller can
say it in one sentence and record it.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import dns.exception
import dns.flags
import dns.inet
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.rdtypes.mxbase

from mxroute.core.records import MXSet
from mxroute.core.serial import serial_gt
from mxroute.dns.base import Snapshot

log = logging.getLogger(__name__)

# One query waits at most this long: a server that drops a packet is asked again soon.
QUERY_SECONDS = 1.0
FIRST_PAUSE = 0.02
LONGEST_PAUSE = 0.5

Pairs = frozenset[tuple[int, str]]


def _pairs(mx: MXSet) -> Pairs:
    return frozenset((r.priority, r.exchanger) for r in mx)


def _mx_text(pairs: Pairs) -> str:
    if not pairs:
        return "no MX records"
    return "MX " + ", ".join(f"{p} {e}" for p, e in sorted(pairs))


@dataclass(frozen=True)
class Answer:
    """What one server answered last: a serial and MX set, or the problem instead."""

    server: str
    serial: int | None = None
    mx: Pairs | None = None
    problem: str = ""

    def serves(self, wanted: Snapshot) -> bool:
        """True when this answer is the written serial (or newer) with the written MX set."""
        if self.serial is None or self.mx is None:
            return False
        newer = self.serial == wanted.serial or serial_gt(self.serial, wanted.serial)
        return newer and self.mx == _pairs(wanted.mx)

    def text(self) -> str:
        """What the server answered, as words for a message."""
        if self.problem:
            return f"{self.server} {self.problem}"
        return f"{self.server} served serial {self.serial} with {_mx_text(self.mx or frozenset())}"

    def to_data(self) -> dict[str, Any]:
        """The answer as JSON data (for the intent's record)."""
        return {
            "server": self.server,
            "served_serial": self.serial,
            "mx": None if self.mx is None else [f"{p} {e}" for p, e in sorted(self.mx)],
            "answer": self.text(),
        }


@dataclass(frozen=True)
class Verification:
    """The outcome of waiting for the servers to serve a written zone."""

    zone: str
    wanted: Snapshot
    answers: tuple[Answer, ...]
    seconds: float
    timeout: float

    @property
    def verified(self) -> bool:
        """True when every server served the written serial and MX set."""
        return all(answer.serves(self.wanted) for answer in self.answers)

    def failure(self) -> str:
        """One sentence (no final stop) saying which servers answered what, for a refusal."""
        late = [a for a in self.answers if not a.serves(self.wanted)]
        said = "; ".join(a.text() for a in late)
        servers = "name servers" if len(self.answers) > 1 else "name server"
        return (
            f"After {self.timeout:g} s the {servers} did not serve the change of {self.zone} "
            f"(serial {self.wanted.serial} with {_mx_text(_pairs(self.wanted.mx))}): {said}"
        )

    def to_data(self) -> dict[str, Any]:
        """The outcome as JSON data (kept with the change's intent)."""
        return {
            "verified": self.verified,
            "serial": self.wanted.serial,
            "seconds": round(self.seconds, 3),
            "servers": [answer.to_data() for answer in self.answers],
        }


class Verifier:
    """Waits until ``servers`` ((host, port) pairs) serve a written zone, for ``timeout`` s."""

    def __init__(self, servers: Sequence[tuple[str, int]], timeout: float = 10.0) -> None:
        if not servers:
            raise ValueError("a verifier needs at least one server")
        self.servers = list(servers)
        self.timeout = timeout

    def wait(self, zone: str, wanted: Snapshot) -> Verification:
        """Ask every server until each serves ``wanted`` or the timeout passes."""
        start = time.monotonic()
        deadline = start + self.timeout
        last: dict[tuple[str, int], Answer] = {}
        pending = list(self.servers)
        pause = FIRST_PAUSE
        while True:
            for server in list(pending):
                left = max(deadline - time.monotonic(), 0.05)
                last[server] = answer = ask(server, zone, min(QUERY_SECONDS, left))
                if answer.serves(wanted):
                    pending.remove(server)
            now = time.monotonic()
            if not pending or now >= deadline:
                break
            time.sleep(min(pause, deadline - now))
            pause = min(pause * 2, LONGEST_PAUSE)
        outcome = Verification(
            zone, wanted, tuple(last[s] for s in self.servers), now - start, self.timeout
        )
        if outcome.verified:
            log.info("%s serves serial %d after %.2f s", zone, wanted.serial, outcome.seconds)
        else:
            log.warning("%s", outcome.failure())
        return outcome


def _label(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ask(server: tuple[str, int], zone: str, timeout: float) -> Answer:
    """What ``server`` serves for ``zone`` now: its SOA serial and apex MX set."""
    host, port = server
    label = _label(host, port)
    try:
        address = _address(host)
    except OSError as exc:
        return Answer(label, problem=f"could not be found ({exc.strerror or exc})")
    name = dns.name.from_text(zone.rstrip(".") + ".")
    try:
        soa = _query(name, dns.rdatatype.SOA, address, port, timeout)
        mx = _query(name, dns.rdatatype.MX, address, port, timeout)
    except dns.exception.Timeout:
        return Answer(label, problem=f"did not answer within {timeout:g} s")
    except (OSError, dns.exception.DNSException) as exc:
        return Answer(label, problem=f"could not be asked ({exc})")
    for reply in (soa, mx):
        rcode = reply.rcode()
        if rcode != dns.rcode.NOERROR:
            more = " (it has not loaded the zone)" if rcode == dns.rcode.SERVFAIL else ""
            return Answer(label, problem=f"answered {dns.rcode.to_text(rcode)}{more}")
        if not reply.flags & dns.flags.AA:
            return Answer(
                label,
                problem="answered without authority (it does not serve the zone; set [dns] "
                "verify_servers to the zone's name servers)",
            )
    serial = next(
        (
            int(rdata.serial)
            for rrset in soa.answer
            if rrset.name == name
            for rdata in rrset
            if isinstance(rdata, dns.rdtypes.ANY.SOA.SOA)
        ),
        None,
    )
    if serial is None:
        return Answer(label, problem="answered without the zone's SOA record")
    pairs: set[tuple[int, str]] = set()
    for rrset in mx.answer:
        if rrset.name != name:
            continue
        for rdata in rrset:
            if isinstance(rdata, dns.rdtypes.mxbase.MXBase):
                text = rdata.exchange.to_text().lower()
                pairs.add((int(rdata.preference), text if text == "." else text.rstrip(".")))
    return Answer(label, serial, frozenset(pairs))


def _address(host: str) -> str:
    """An address to send queries to: ``host`` itself, or its first address."""
    try:
        dns.inet.af_for_address(host)
        return host
    except ValueError:
        return str(socket.getaddrinfo(host, None, proto=socket.IPPROTO_UDP)[0][4][0])


def _query(
    name: dns.name.Name, rdtype: dns.rdatatype.RdataType, address: str, port: int, timeout: float
) -> dns.message.Message:
    request = dns.message.make_query(name, rdtype)
    request.flags &= ~dns.flags.RD  # the authority itself, never a cache behind it
    reply, _ = dns.query.udp_with_fallback(request, address, port=port, timeout=timeout)
    return reply
