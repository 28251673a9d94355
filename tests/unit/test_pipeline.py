"""The pipelined lookups against a small UDP server that misbehaves on purpose."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from mxroute.dns import pipeline

A = dns.rdatatype.A


class Flaky:
    """Answers A queries for hN.test with 10.0.0.N; drops the first query of each name,
    answers first with a wrong question, and gives SERVFAIL for "broken.test"."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.seen: dict[str, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self.stop.is_set():
            try:
                wire, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            query = dns.message.from_wire(wire)
            name = query.question[0].name.to_text()
            self.seen[name] = self.seen.get(name, 0) + 1
            if self.seen[name] == 1:
                continue  # lost: the client must ask again
            wrong = dns.message.make_response(dns.message.make_query("other.test.", A))
            wrong.id = query.id
            self.sock.sendto(wrong.to_wire(), peer)  # same id, other question: ignored
            response = dns.message.make_response(query)
            if name == "broken.test.":
                response.set_rcode(dns.rcode.SERVFAIL)
            else:
                number = name.split(".")[0][1:]
                response.answer.append(dns.rrset.from_text(name, 60, "IN", "A", f"10.0.0.{number}"))
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    server = Flaky()
    yield server
    server.close()


def question(name: str) -> pipeline.Question:
    return dns.name.from_text(name), A


def test_lost_queries_are_sent_again_and_answers_matched_by_question(flaky: Flaky) -> None:
    names = [f"h{i}.test." for i in range(50)]
    found = pipeline.ask("127.0.0.1", flaky.port, map(question, names), timeout=0.6, window=8)
    for i, name in enumerate(names):
        response = found[question(name)]
        assert response is not None
        assert {r.to_text() for r in response.answer[0]} == {f"10.0.0.{i}"}


def test_servfail_and_silence_are_left_to_the_full_resolver(flaky: Flaky) -> None:
    found = pipeline.ask("127.0.0.1", flaky.port, [question("broken.test.")], timeout=3)
    assert found == {question("broken.test."): None}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        port = int(sink.getsockname()[1])
        found = pipeline.ask("127.0.0.1", port, [question("h1.test.")], timeout=0.3)
    assert found == {question("h1.test."): None}


def test_a_closed_port_gives_up_at_once() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    names = [question(f"h{i}.test.") for i in range(5)]
    assert pipeline.ask("127.0.0.1", port, names, timeout=30) == dict.fromkeys(names)


def test_the_query_is_what_dnspython_would_send() -> None:
    wire = pipeline._query(4711, question("mx.example.test."))
    query = dns.message.from_wire(wire)
    assert query.id == 4711 and query.flags & dns.flags.RD
    assert query.question[0].name == dns.name.from_text("mx.example.test.")
    assert query.question[0].rdtype == A
