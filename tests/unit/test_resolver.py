"""The resolver's mapping of DNS answers and errors to one Resolution (no network)."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import pytest

from mxroute.core.routing import Resolution
from mxroute.dns.resolver import _resolution, _Result

QNAME = dns.name.from_text("mx.example.test.")


def answer(rdtype: str, *addresses: str, cname: str | None = None) -> dns.resolver.Answer:
    """An answer as a server would give it: an optional CNAME, then the addresses."""
    response = dns.message.make_response(dns.message.make_query(QNAME, rdtype))
    assert isinstance(response, dns.message.QueryMessage)
    owner = QNAME
    if cname:
        target = dns.name.from_text(cname)
        add(response, QNAME, "CNAME", cname)
        owner = target
    for address in addresses:
        add(response, owner, rdtype, address)
    return dns.resolver.Answer(QNAME, dns.rdatatype.from_text(rdtype), dns.rdataclass.IN, response)


def add(response: dns.message.Message, owner: dns.name.Name, rdtype: str, text: str) -> None:
    kind = dns.rdatatype.from_text(rdtype)
    rrset = response.find_rrset(response.answer, owner, dns.rdataclass.IN, kind, create=True)
    rrset.add(dns.rdata.from_text(dns.rdataclass.IN, kind, text), 300)


def nxdomain() -> dns.resolver.NXDOMAIN:
    return dns.resolver.NXDOMAIN(qnames=[QNAME], responses={})


def shown(found: Resolution) -> tuple[str, set[str], str | None]:
    return found.status, {str(a) for a in found.addresses}, found.alias_of


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        (
            [answer("A", "192.0.2.1"), answer("AAAA", "2001:db8::1")],
            ("ok", {"192.0.2.1", "2001:db8::1"}, None),
        ),
        ([answer("A", "192.0.2.1"), dns.exception.Timeout()], ("ok", {"192.0.2.1"}, None)),
        ([answer("A"), answer("AAAA")], ("nodata", set(), None)),
        ([nxdomain(), nxdomain()], ("nxdomain", set(), None)),
        ([dns.exception.Timeout(), answer("AAAA")], ("timeout", set(), None)),
        ([dns.resolver.NoNameservers(), nxdomain()], ("servfail", set(), None)),
        (
            [answer("A", "192.0.2.9", cname="real.example.test."), answer("AAAA")],
            ("ok", {"192.0.2.9"}, "real.example.test"),
        ),
    ],
)
def test_the_answers_to_a_and_aaaa_add_up_to_one_resolution(
    results: list[_Result], expected: tuple[str, set[str], str | None]
) -> None:
    assert shown(_resolution(QNAME, results)) == expected
