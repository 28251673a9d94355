"""Hostile inputs that mxroute must refuse, each with the error code it must give.

A plain data module (no pytest): the unit tests of ``core/`` parametrize over it, and
the service, API and CLI tests reuse it to prove that a refused input changes no zone
file, list or row. Each entry names the input ``field`` it goes into:

- ``exchanger``: an MX target (``add_mx`` / ``change_mx`` ``exchanger``);
- ``domain``: a hosted domain's name (it names zone files and rows, hence traversal);
- ``priority``: an MX preference, as a script or form would send it.

Every ``exchanger`` entry gives the same code as a ``domain`` (one set of name rules).
Entries are grouped by ``kind``; ``KINDS`` lists the kinds in order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mxroute.core.names import shown


@dataclass(frozen=True)
class Hostile:
    """One hostile input: where it goes, what it is, and the refusal code expected."""

    kind: str
    field: str
    value: object
    code: str

    @property
    def id(self) -> str:
        """A short printable test id."""
        return f"{self.kind}:{shown(repr(self.value))[:40]}"


def _x(kind: str, value: object, code: str) -> Hostile:
    return Hostile(kind, "exchanger", value, code)


def _d(kind: str, value: object, code: str) -> Hostile:
    return Hostile(kind, "domain", value, code)


def _p(value: object, code: str) -> Hostile:
    return Hostile("priority", "priority", value, code)


_LABEL63 = "a" * 63
NAME_253 = f"{_LABEL63}.{_LABEL63}.{_LABEL63}.{'b' * 61}"  # 253 octets: the longest legal name
NAME_254 = f"{_LABEL63}.{_LABEL63}.{_LABEL63}.{'b' * 62}"  # one octet too many

F = "forbidden_character"

HOSTILE_INPUTS: list[Hostile] = [
    # Zone-file injection through the exchanger: each would add or change records.
    _x("zone_injection", "mx.example.com.\n@ IN NS evil.", F),
    _x("zone_injection", "mx.example.com.\r\n@ 60 IN A 192.0.2.66", F),
    _x("zone_injection", "mx.example.com; rm -rf /", F),
    _x("zone_injection", "mx.example.com;", F),
    _x("zone_injection", "$INCLUDE /etc/passwd", F),
    _x("zone_injection", "$ORIGIN evil.", F),
    _x("zone_injection", "$TTL 0", F),
    _x("zone_injection", "mx.example.com. (", F),
    _x("zone_injection", "mx.example.com)", F),
    _x("zone_injection", '"mx.example.com"', F),
    _x("zone_injection", "'mx.example.com'", F),
    _x("zone_injection", "mx\\.example.com", F),
    _x("zone_injection", "\\000", F),
    _x("zone_injection", "\\046.example.com", F),
    _x("zone_injection", "mx.example.com. IN A 192.0.2.1", F),
    _x("zone_injection", "mx.example.com\tIN\tA\t192.0.2.1", F),
    _x("zone_injection", "@", F),
    _x("zone_injection", "*.example.com", F),
    _x("zone_injection", "mx`id`.example.com", F),
    _x("zone_injection", "mx.example.com|cat", F),
    _x("zone_injection", "mx.example.com&&reboot", F),
    _x("zone_injection", "<script>.example.com", F),
    _x("zone_injection", "mx.example.com%0a", F),
    _x("zone_injection", "mx.example.com#comment", F),
    _x("zone_injection", "mx,example.com", F),
    # Newline, NUL and other control characters.
    _x("control", "mx.example.com\n", F),
    _x("control", "\nmx.example.com", F),
    _x("control", "mx.exa\x00mple.com", F),
    _x("control", "mx.example.com\x00", F),
    _x("control", "mx.example.com\x1b[31m", F),
    _x("control", "\x7f.example.com", F),
    _x("control", "mx.example.com\x85", F),
    _x("control", "mx.example.com\u2028", F),
    _x("control", "mx.example.com\r", F),
    # Path traversal through a domain name (it names zone files and directories).
    _d("path_traversal", "../../etc/passwd", F),
    _d("path_traversal", "..", "empty_label"),
    _d("path_traversal", ".", "empty_label"),
    _d("path_traversal", "a/b.com", F),
    _d("path_traversal", "example.com/../x", F),
    _d("path_traversal", "/etc/passwd", F),
    _d("path_traversal", "..\\..\\windows.ini", F),
    _d("path_traversal", "~root.example.com", F),
    _d("path_traversal", "example.com%2f..%2fx", F),
    _d("path_traversal", "example.com\x00.db", F),
    _d("path_traversal", "..example.com", "empty_label"),
    # Overlong labels and names (RFC 1035 §2.3.4).
    _x("length", "a" * 64 + ".example.com", "label_too_long"),
    _x("length", "mx." + "b" * 64, "label_too_long"),
    _x("length", "x" * 100_000, "label_too_long"),
    _x("length", NAME_254, "name_too_long"),
    _x("length", NAME_254 + ".", "name_too_long"),
    _x("length", "a." * 5000 + "com", "name_too_long"),
    _x("length", "ü" * 64 + ".example.com", "label_too_long"),
    _x("length", "bücher" * 10 + ".example", "label_too_long"),
    # Empty input and empty labels.
    _x("empty", "", "empty"),
    _x("empty", " ", "empty"),
    _x("empty", "\t", "empty"),
    _x("empty", "mx..example.com", "empty_label"),
    _x("empty", ".mx.example.com", "empty_label"),
    _x("empty", "mx.example.com..", "empty_label"),
    _x("empty", "..", "empty_label"),
    # IP address literals, in every spelling (RFC 5321 §5.1: an MX names a host).
    _x("ip_literal", "192.0.2.1", "ip_literal"),
    _x("ip_literal", "1.2.3.4.", "ip_literal"),
    _x("ip_literal", "[192.0.2.1]", "ip_literal"),
    _x("ip_literal", "0.0.0.0", "ip_literal"),
    _x("ip_literal", "255.255.255.255", "ip_literal"),
    _x("ip_literal", "2001:db8::1", "ip_literal"),
    _x("ip_literal", "[2001:db8::1]", "ip_literal"),
    _x("ip_literal", "::1", "ip_literal"),
    _x("ip_literal", "IPv6:2001:db8::1", "ip_literal"),
    _x("ip_literal", "[IPv6:2001:db8::1]", "ip_literal"),
    _x("ip_literal", "::ffff:1.2.3.4", "ip_literal"),
    _x("ip_literal", "fe80::1%eth0", "ip_literal"),
    _x("ip_literal", "2001:DB8::1", "ip_literal"),
    # Unicode look-alikes: mixed scripts in one label, fullwidth and compatibility forms.
    _x("lookalike", "pаypal.com", "confusable"),  # Cyrillic а
    _x("lookalike", "gοogle.com", "confusable"),  # Greek ο
    _x("lookalike", "mx.exаmple.com", "confusable"),  # Cyrillic а in the second label
    _x("lookalike", "ραypal.com", "confusable"),  # Greek ρ and α
    _x("lookalike", "ｅxample.com", "confusable"),  # fullwidth e
    _x("lookalike", "ＭＸ.example.com", "confusable"),  # fullwidth capitals
    _x("lookalike", "mx．example.com", "confusable"),  # fullwidth full stop
    _x("lookalike", "mx․example.com", "confusable"),  # one dot leader
    _x("lookalike", "Ⅸ.example.com", "confusable"),  # roman numeral
    # Invisible characters: zero-width, soft hyphen, bidi overrides, odd spaces.
    _x("invisible", "exa\u200bmple.com", F),  # zero-width space
    _x("invisible", "exa\u00admple.com", F),  # soft hyphen
    _x("invisible", "\u202emoc.elpmaxe", F),  # right-to-left override
    _x("invisible", "mx.example.com\u200d", F),  # zero-width joiner
    _x("invisible", "m\u200cx.example.com", F),  # zero-width non-joiner
    _x("invisible", "\ufeffmx.example.com", F),  # byte order mark
    _x("invisible", "mx\u2060.example.com", F),  # word joiner
    _x("invisible", "mx\u00a0.example.com", F),  # no-break space
    _x("invisible", "mx\u3000example.com", F),  # ideographic space
    _x("invisible", "\u2066mx.example.com\u2069", F),  # bidi isolates
    # Single-label names: not fully qualified.
    _x("single_label", "localhost", "not_fully_qualified"),
    _x("single_label", "mx", "not_fully_qualified"),
    _x("single_label", "mx.", "not_fully_qualified"),
    _x("single_label", "com", "not_fully_qualified"),
    _x("single_label", "2130706433", "not_fully_qualified"),
    _x("single_label", "xn--bcher-kva", "not_fully_qualified"),
    # Numeric top-level labels: neither a host name nor a valid address.
    _x("numeric_tld", "mx.123", "numeric_tld"),
    _x("numeric_tld", "1.2.3.999", "numeric_tld"),
    _x("numeric_tld", "256.256.256.256", "numeric_tld"),
    _x("numeric_tld", "01.2.3.4", "numeric_tld"),
    _x("numeric_tld", "example.0", "numeric_tld"),
    # Underscores: legal in DNS, never in a mail host name.
    _x("underscore", "_dmarc.example.com", "underscore"),
    _x("underscore", "mx_1.example.com", "underscore"),
    _x("underscore", "mx.example_com.com", "underscore"),
    # Leading and trailing hyphens (RFC 952, RFC 1123 §2.1).
    _x("hyphen", "-mx.example.com", "label_hyphen"),
    _x("hyphen", "mx-.example.com", "label_hyphen"),
    _x("hyphen", "mx.-.com", "label_hyphen"),
    _x("hyphen", "mx.example.com-", "label_hyphen"),
    _x("hyphen", "-", "label_hyphen"),
    # Invalid punycode and other broken internationalised names.
    _x("bad_idn", "xn--zz.com", "invalid_idn"),
    _x("bad_idn", "xn--.com", "invalid_idn"),
    _x("bad_idn", "xn--a.com", "invalid_idn"),
    _x("bad_idn", "mx.xn--zz", "invalid_idn"),
    _x("bad_idn", "١٢٣.com", "invalid_idn"),
    _x("bad_idn", "\u0301mx.example.com", "invalid_idn"),  # starts with a combining mark
    # Other characters that are no part of a host name.
    _x("bad_character", "mx:25.example.com", "bad_label_character"),
    _x("bad_character", "mx.example.com。com", "bad_label_character"),
    # Not text at all (a JSON body or a script may send anything).
    _x("not_text", None, "not_text"),
    _x("not_text", 42, "not_text"),
    _x("not_text", b"mx.example.com", "not_text"),
    _x("not_text", ["mx.example.com"], "not_text"),
    # Priorities (RFC 1035 §3.3.9: 0-65535, given as plain decimal text or an int).
    _p(-1, "priority_out_of_range"),
    _p("-1", "priority_out_of_range"),
    _p(65536, "priority_out_of_range"),
    _p("65536", "priority_out_of_range"),
    _p(2**64, "priority_out_of_range"),
    _p("9" * 5000, "priority_out_of_range"),
    _p("1e3", "priority_not_integer"),
    _p("0x10", "priority_not_integer"),
    _p("0b1010", "priority_not_integer"),
    _p("10.0", "priority_not_integer"),
    _p("10 ", "priority_not_integer"),
    _p(" 10", "priority_not_integer"),
    _p("10\n", "priority_not_integer"),
    _p("1\x000", "priority_not_integer"),
    _p("+10", "priority_not_integer"),
    _p("-0", "priority_not_integer"),
    _p("010", "priority_not_integer"),
    _p("1_000", "priority_not_integer"),
    _p("１０", "priority_not_integer"),  # fullwidth digits
    _p("٣", "priority_not_integer"),  # Arabic-Indic digit three
    _p("ten", "priority_not_integer"),
    _p("", "priority_not_integer"),
    _p(None, "priority_not_integer"),
    _p(True, "priority_not_integer"),
    _p(False, "priority_not_integer"),
    _p(10.0, "priority_not_integer"),
    _p([10], "priority_not_integer"),
    _p("10; DROP TABLE mx", "priority_not_integer"),
]

KINDS: list[str] = list(dict.fromkeys(h.kind for h in HOSTILE_INPUTS))
HOSTILE_NAMES: list[Hostile] = [h for h in HOSTILE_INPUTS if h.field in ("exchanger", "domain")]
HOSTILE_PRIORITIES: list[Hostile] = [h for h in HOSTILE_INPUTS if h.field == "priority"]


def message_problems(message: str, value: object) -> list[str]:
    """Why ``message`` is not one clear sentence that is safe to show; empty when fine.

    One sentence: no line break, ends with a full stop, no full stop inside once the
    echoed input is taken out. Safe: every character printable (no raw control or
    invisible character of the input).
    """
    problems = []
    if not message.endswith("."):
        problems.append("does not end with a full stop")
    if not message.isprintable():
        problems.append("contains a control or invisible character")
    text = value if isinstance(value, str) else repr(value)
    rest = message.replace(shown(text), "<input>")
    if re.search(r"\.\s+[A-Z]", rest[:-1]):
        problems.append("holds more than one sentence")
    return problems
