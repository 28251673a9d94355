"""Many DNS queries to one server over one UDP socket: the bulk lookups of detection.

dnspython's resolvers open a socket (and, under asyncio, a transport) for every query,
which costs more than the query itself when thousands are asked in a row. Here one
connected socket carries a window of outstanding queries; answers are matched to their
query by id and question, and a query left
unanswered is sent again with a new id. Whatever is not a clear answer (truncated,
SERVFAIL, REFUSED, no answer after every try) comes back as None, for the caller's
full resolver to ask again the usual way.
"""

from __future__ import annotations

import collections
import ipaddress
import random
import selectors
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype

Question = tuple[dns.name.Name, dns.rdatatype.RdataType]

# Outstanding queries at once: enough to keep a loopback server busy, few enough that a
# remote one (or its rate limit) does not drop them.
WINDOW = 256
TRIES = 3
_CLEAR = (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


@dataclass
class _Sent:
    question: Question
    deadline: float
    tries: int


def ask(
    server: str,
    port: int,
    questions: Iterable[Question],
    *,
    timeout: float,
    window: int = WINDOW,
    tries: int = TRIES,
) -> dict[Question, dns.message.Message | None]:
    """The answer to each question (None when there is no clear answer to give).

    ``timeout`` bounds the whole wait for one question over all its tries; the
    questions are asked ``window`` at a time, so the run takes about as long as the
    slowest of them, not their sum.
    """
    family = socket.AF_INET6 if ipaddress.ip_address(server).version == 6 else socket.AF_INET
    exchange = _Exchange(questions, timeout / tries, window, tries)
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.setblocking(False)
        try:
            # Connected: the kernel drops datagrams from any other address or port.
            sock.connect((server, port))
            exchange.run(sock)
        except OSError:
            # Nothing listens there, or the network is down: every question left is
            # for the full resolver.
            exchange.give_up()
    return exchange.answers


class _Exchange:
    """The state of one run: questions waiting, queries in flight by id, answers."""

    def __init__(
        self, questions: Iterable[Question], per_try: float, window: int, tries: int
    ) -> None:
        self.waiting = collections.deque(dict.fromkeys(questions))
        self.sent: dict[int, _Sent] = {}
        self.answers: dict[Question, dns.message.Message | None] = {}
        self.per_try = per_try
        self.window = window
        self.tries = tries

    def run(self, sock: socket.socket) -> None:
        with selectors.DefaultSelector() as sel:
            sel.register(sock, selectors.EVENT_READ)
            while self.waiting or self.sent:
                now = time.monotonic()
                for qid, item in [(q, s) for q, s in self.sent.items() if s.deadline <= now]:
                    del self.sent[qid]
                    if item.tries >= self.tries:
                        self.answers[item.question] = None
                    else:
                        self._send(sock, item.question, now + self.per_try, item.tries + 1)
                while self.waiting and len(self.sent) < self.window:
                    if not self._send(sock, self.waiting[0], now + self.per_try, 1):
                        break  # the socket's buffer is full: read answers first
                    self.waiting.popleft()
                if not self.sent:
                    continue
                soonest = min(s.deadline for s in self.sent.values())
                if sel.select(max(0.0, soonest - time.monotonic())):
                    self._receive(sock)

    def give_up(self) -> None:
        self.answers.update(dict.fromkeys(s.question for s in self.sent.values()))
        self.answers.update(dict.fromkeys(self.waiting))
        self.sent.clear()
        self.waiting.clear()

    def _send(self, sock: socket.socket, question: Question, deadline: float, tries: int) -> bool:
        """Send ``question`` with an id no query in flight has; False when it would block."""
        qid = random.randrange(1 << 16)
        while qid in self.sent:
            qid = random.randrange(1 << 16)
        try:
            sock.send(_query(qid, question))
        except BlockingIOError:
            return False
        self.sent[qid] = _Sent(question, deadline, tries)
        return True

    def _receive(self, sock: socket.socket) -> None:
        """Take every datagram waiting on ``sock``; those that answer a query settle it."""
        while True:
            try:
                wire = sock.recv(65535)
            except BlockingIOError:
                return
            qid = int.from_bytes(wire[:2], "big") if len(wire) >= 2 else -1
            item = self.sent.get(qid)
            if item is None:
                continue  # a late answer to a query sent again, or noise
            try:
                response = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                # Unreadable (a truncated answer may be): the full resolver asks again.
                del self.sent[qid]
                self.answers[item.question] = None
                continue
            if not _answers(response, item.question):
                continue
            del self.sent[qid]
            clear = response.rcode() in _CLEAR and not response.flags & dns.flags.TC
            self.answers[item.question] = response if clear else None


def _query(qid: int, question: Question) -> bytes:
    """A recursive query for ``question`` in wire format (RFC 1035 4.1), without EDNS.

    Built here, not with :func:`dns.message.make_query`: ten times cheaper, and at ten
    thousand queries that is most of the run.
    """
    header = struct.pack("!6H", qid, dns.flags.RD, 1, 0, 0, 0)
    name = question[0].to_wire()
    assert name is not None  # None only when writing into a file
    return header + name + struct.pack("!2H", question[1], dns.rdataclass.IN)


def _answers(response: dns.message.Message, question: Question) -> bool:
    """True when ``response`` is a response to a query for ``question``."""
    asked = response.question
    return (
        bool(response.flags & dns.flags.QR)
        and response.opcode() == dns.opcode.QUERY
        and len(asked) == 1
        and asked[0].name == question[0]
        and asked[0].rdtype == question[1]
        and asked[0].rdclass == dns.rdataclass.IN
    )


def _receive(
    sock: socket.socket,
    sent: dict[int, _Sent],
    answers: dict[Question, dns.message.Message | None],
) -> None:
    """Take every datagram waiting on ``sock``; those that answer a query settle it."""
    while True:
        try:
            wire = sock.recv(65535)
        except BlockingIOError:
            return
        if len(wire) < 2:
            continue
        item = sent.get(int.from_bytes(wire[:2], "big"))
        if item is None:
            continue  # a late answer to a query sent again, or noise
        try:
            response = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            # Unreadable (a truncated answer may be): the full resolver asks again.
            del sent[int.from_bytes(wire[:2], "big")]
            answers[item.question] = None
            continue
        if not _answers(response, item.question):
            continue
        del sent[response.id]
        clear = response.rcode() in _CLEAR and not response.flags & dns.flags.TC
        answers[item.question] = response if clear else None
