"""The verifier: what counts as serving a written zone, and what a silent server gives.

Against a real named: tests/integration/test_verified_apply.py.
"""

from __future__ import annotations

import pytest

from mxroute.config import server_address
from mxroute.core.records import MXRecord, MXSet
from mxroute.dns.base import Snapshot
from mxroute.dns.verify import Answer, Verifier
from tests.integration.bind import free_port

WANTED = Snapshot("example.test", 2025031402, MXSet.of([MXRecord(10, "mx.example.test")]))
PAIRS = frozenset({(10, "mx.example.test")})


@pytest.mark.parametrize(
    ("answer", "serves"),
    [
        (Answer("s", 2025031402, PAIRS), True),
        (Answer("s", 2025031409, PAIRS), True),  # a dynamic zone moved on by itself
        (Answer("s", 2025031401, PAIRS), False),  # the old zone, whatever its records
        (Answer("s", 2025031402, frozenset({(10, "mx.example.test"), (20, "b.test")})), False),
        (Answer("s", 2025031402, frozenset()), False),
        (Answer("s", (2025031402 + 2**31 + 1) % 2**32, PAIRS), False),  # RFC 1982: older
        (Answer("s", problem="answered SERVFAIL"), False),
    ],
)
def test_only_the_written_serial_or_a_newer_one_with_the_written_set_serves(
    answer: Answer, serves: bool
) -> None:
    assert answer.serves(WANTED) is serves


def test_a_server_that_does_not_answer_is_not_verified_and_says_so() -> None:
    port = free_port()  # nothing listens there
    outcome = Verifier([("127.0.0.1", port)], timeout=0.3).wait("example.test", WANTED)
    assert not outcome.verified
    sentence = outcome.failure()
    assert sentence.startswith("After 0.3 s the name server did not serve the change")
    assert f"127.0.0.1:{port} " in sentence
    data = outcome.to_data()
    assert data["verified"] is False and data["servers"][0]["served_serial"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("2001:DB8::1", ("2001:db8::1", 53)),
        ("[2001:db8::1]:5353", ("2001:db8::1", 5353)),
        ("NS1.Example.NET.", ("ns1.example.net", 53)),
        ("ns1.example.net:54", ("ns1.example.net", 54)),
    ],
)
def test_a_server_is_host_or_host_and_port(text: str, expected: tuple[str, int]) -> None:
    assert server_address(text) == expected


@pytest.mark.parametrize(
    "text", ["127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:", "[2001:db8::1", "a b", "x:y"]
)
def test_a_bad_server_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        server_address(text)
