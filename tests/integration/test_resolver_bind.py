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


def test_a_server_that_is_not_an_address_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="not an IP address"):
        Resolver("dns.example.net")
