"""What a real named serves for many zones at once (the doctor's question), every status."""

from __future__ import annotations

import socket

import pytest

from mxroute.dns.served import NameServer, Served
from tests.integration.bind import NamedServer

pytestmark = pytest.mark.integration

ZONE = """$TTL 300
@\tIN\tSOA\tns1 hostmaster {serial} 3600 900 1209600 300
@\tIN\tNS\tns1
ns1\tIN\tA\t127.0.0.1
{mx}
"""
# Far more than fits in 512 bytes of UDP: the answer comes truncated, then over TCP.
BIG = "\n".join(f"@\tIN\tMX\t{n}\tmail{n:02}.example.net." for n in range(1, 61))


@pytest.fixture(scope="module")
def server(module_named: NamedServer) -> NameServer:
    named = module_named
    zones = {
        "one.test": (2026010101, "@\tIN\tMX\t10 mx1.one.test.\n@\tIN\tMX\t20 MX2.Example.NET."),
        "two.test": (2026010102, "@\tIN\tMX\t0 ."),
        "none.test": (2026010103, ""),
        "big.test": (2026010104, BIG),
    }
    for zone, (serial, mx) in zones.items():
        path = named.zones_dir / f"{zone}.zone"
        path.write_text(ZONE.format(serial=serial, mx=mx))
        path.chmod(0o644)
        named.add_zone(zone)
    return NameServer("127.0.0.1", named.port, timeout=2.0)


def test_each_served_zone_has_its_serial_and_mx_set(server: NameServer) -> None:
    found = server.served_many(["one.test", "two.test", "none.test", "big.test", "absent.test"])
    assert found["one.test"] == Served(
        "ok", 2026010101, frozenset({(10, "mx1.one.test"), (20, "mx2.example.net")})
    )
    assert found["two.test"] == Served("ok", 2026010102, frozenset({(0, ".")}))
    assert found["none.test"] == Served("ok", 2026010103, frozenset())
    assert found["big.test"].status == "ok" and len(found["big.test"].mx) == 60
    assert found["absent.test"] == Served("refused")  # named serves it not, nor recurses


def test_a_name_inside_a_served_zone_is_not_a_zone_apex(server: NameServer) -> None:
    found = server.served_many(["ns1.one.test", "nothing.one.test"])
    assert {z: s.status for z, s in found.items()} == {
        "ns1.one.test": "not_authoritative",  # it exists, but has no SOA of its own
        "nothing.one.test": "nxdomain",
    }


def test_a_server_that_does_not_answer_gives_every_zone_no_answer() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, never read: queries go unanswered
        port = int(silent.getsockname()[1])
        found = NameServer("127.0.0.1", port, timeout=0.3).served_many(["a.test", "b.test"])
    assert {z: s.status for z, s in found.items()} == {"a.test": "timeout", "b.test": "timeout"}


def test_no_zones_asks_nothing() -> None:
    assert NameServer("127.0.0.1", 9).served_many([]) == {}
