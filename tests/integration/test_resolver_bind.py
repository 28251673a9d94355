"""The resolver against a real named: every status an exchanger lookup can have."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

from mxroute.core.routing import Resolution
from mxroute.dns.resolver import Resolver
from mxroute.errors import ConfigError
from tests.integration.bind import NamedServer

pytestmark = pytest.mark.integration

ZONE = """$TTL 300
@	IN	SOA	ns1 hostmaster 2024010101 3600 900 1209600 300
@	IN	NS	ns1
ns1	IN	A	127.0.0.1
both	IN	A	192.0.2.1
	IN	AAAA	2001:db8::1
v4	IN	A	192.0.2.4
v6	IN	AAAA	2001:db8::6
textonly	IN	TXT	"no address here"
alias	IN	CNAME	both
chain	IN	CNAME	alias
dangling	IN	CNAME	nothere
"""


@pytest.fixture(scope="module")
def resolver(module_named: NamedServer) -> Resolver:
    named = module_named
    (named.zones_dir / "resolve.test.zone").write_text(ZONE)
    (named.zones_dir / "resolve.test.zone").chmod(0o644)
    named.add_zone("resolve.test")
    return Resolver("127.0.0.1", named.port, timeout=2.0)


def shown(found: Resolution) -> tuple[str, set[str], str | None]:
    return found.status, {str(a) for a in found.addresses}, found.alias_of


CASES = [
    ("both.resolve.test", ("ok", {"192.0.2.1", "2001:db8::1"}, None)),
    ("v4.resolve.test", ("ok", {"192.0.2.4"}, None)),
    ("v6.resolve.test.", ("ok", {"2001:db8::6"}, None)),
    ("nothing.resolve.test", ("nxdomain", set(), None)),
    ("textonly.resolve.test", ("nodata", set(), None)),
    ("alias.resolve.test", ("ok", {"192.0.2.1", "2001:db8::1"}, "both.resolve.test")),
    ("chain.resolve.test", ("ok", {"192.0.2.1", "2001:db8::1"}, "alias.resolve.test")),
    ("dangling.resolve.test", ("nxdomain", set(), "nothere.resolve.test")),
    ("elsewhere.example", ("servfail", set(), None)),  # named refuses: not its zone
]


@pytest.mark.parametrize(("name", "expected"), CASES)
def test_it_reports_what_the_server_answers(
    resolver: Resolver, name: str, expected: tuple[str, set[str], str | None]
) -> None:
    assert shown(resolver.addresses(name)) == expected


def test_the_async_lookups_agree_with_the_blocking_ones(resolver: Resolver) -> None:
    async def all_of() -> list[Resolution]:
        return list(await asyncio.gather(*(resolver.addresses_async(n) for n, _ in CASES)))

    assert [shown(found) for found in asyncio.run(all_of())] == [e for _, e in CASES]


def test_the_pipelined_lookups_agree_with_the_blocking_ones(resolver: Resolver) -> None:
    found = resolver.addresses_many([n for n, _ in CASES])
    assert [shown(found[n]) for n, _ in CASES] == [e for _, e in CASES]


def test_pipelined_a_only_lookups_still_find_names_with_only_aaaa(resolver: Resolver) -> None:
    found = resolver.addresses_many([n for n, _ in CASES], a_is_enough=True)
    # A name with an IPv4 address is answered from A alone; the others as in full.
    assert shown(found["both.resolve.test"]) == ("ok", {"192.0.2.1"}, None)
    assert shown(found["v6.resolve.test."]) == ("ok", {"2001:db8::6"}, None)
    assert shown(found["nothing.resolve.test"]) == ("nxdomain", set(), None)
    assert shown(found["elsewhere.example"]) == ("servfail", set(), None)


def test_thousands_of_pipelined_lookups_each_get_their_own_answer(
    module_named: NamedServer,
) -> None:
    lines = [ZONE.replace("hostmaster", "hostmaster.many.test.")]
    lines += [f"h{i} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n" for i in range(3000)]
    (module_named.zones_dir / "many.test.zone").write_text("".join(lines))
    (module_named.zones_dir / "many.test.zone").chmod(0o644)
    module_named.add_zone("many.test")
    resolver = Resolver("127.0.0.1", module_named.port, timeout=5.0)
    names = [f"h{i}.many.test" for i in range(3000)] + ["nothere.many.test"]
    found = resolver.addresses_many(names, a_is_enough=True)
    assert found["nothere.many.test"].status == "nxdomain"
    for i in range(3000):
        assert {str(a) for a in found[f"h{i}.many.test"].addresses} == {
            f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
        }


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A UDP port that receives queries and never answers them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        yield int(sink.getsockname()[1])


def test_a_server_that_never_answers_is_a_timeout(silent_port: int) -> None:
    resolver = Resolver("127.0.0.1", silent_port, timeout=0.3)
    found = resolver.addresses("mail.example.test")
    assert (found.status, found.temporary) == ("timeout", True)
    found = asyncio.run(resolver.addresses_async("mail.example.test"))
    assert found.status == "timeout"
    found = resolver.addresses_many(["mail.example.test", "mx.example.test"])["mx.example.test"]
    assert found.status == "timeout"


def test_a_server_that_is_not_an_address_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="not an IP address"):
        Resolver("dns.example.net")
