"""The plain MX fast path reads every rdata exactly as dnspython's general parser does.

A zone's MX records are read without dnspython when they are written plainly; any
rdata the fast path takes must give the same preference and exchanger as
``dns.rdata.from_text``, and anything odd must be left to the general parser.
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from hypothesis import given, settings
from hypothesis import strategies as st

from mxroute.dns.masterfile import Record, Token
from mxroute.dns.zonefile import _plain_mx

LABEL_CHARS = 'abcXYZ019-_\\"().;@*'
LABELS = st.text(alphabet=LABEL_CHARS, min_size=0, max_size=70)
NAMES = st.one_of(
    st.sampled_from(["@", ".", "mail", "MX.Example.Test.", "a..b", "-x", "x" * 64]),
    st.lists(LABELS, min_size=1, max_size=5).map(".".join),
    st.lists(LABELS, min_size=1, max_size=5).map(lambda labels: ".".join(labels) + "."),
)
PREFERENCES = st.one_of(
    st.integers(min_value=0, max_value=70000).map(str),
    st.sampled_from(["010", "00000", "65535", "65536", "-1", "1e3", "٣", "0x10", ""]),
)
ORIGINS = st.sampled_from(["prop.test.", ".", "Sub.Prop.Test.".lower(), "x" * 60 + ".test."])


def _record(preference: str, exchange: str, origin: str) -> Record:
    tokens = (Token(preference, 0, 0, 1), Token(exchange, 0, 2, 3))
    return Record(origin, None, None, None, "MX", tokens, origin, 0, 0)


def _general(preference: str, exchange: str, origin: str) -> tuple[int, str] | None:
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN,
            dns.rdatatype.MX,
            f"{preference} {exchange}",
            origin=dns.name.from_text(origin),
            relativize=False,
        )
    except (dns.exception.DNSException, ValueError):
        return None
    return rdata.preference, rdata.exchange.to_text().lower()


@settings(max_examples=2000, deadline=None)
@given(PREFERENCES, NAMES, ORIGINS)
def test_the_fast_path_agrees_with_dnspython(preference: str, exchange: str, origin: str) -> None:
    plain = _plain_mx(_record(preference, exchange, origin))
    if plain is not None:
        assert plain == _general(preference, exchange, origin)


def test_plain_records_take_the_fast_path() -> None:
    assert _plain_mx(_record("10", "mail", "prop.test.")) == (10, "mail.prop.test.")
    assert _plain_mx(_record("0", ".", "prop.test.")) == (0, ".")
    assert _plain_mx(_record("5", "@", "prop.test.")) == (5, "prop.test.")
    assert _plain_mx(_record("20", "MX.Elsewhere.Test.", "prop.test.")) == (
        20,
        "mx.elsewhere.test.",
    )


def test_odd_records_are_left_to_the_general_parser() -> None:
    for preference, exchange in [
        ("65536", "mail"),
        ("1e3", "mail"),
        ("10", "a..b"),
        ("10", "mail\\.x"),
        ("10", "x" * 64),
        ("10", '"mail"'),
    ]:
        assert _plain_mx(_record(preference, exchange, "prop.test.")) is None
