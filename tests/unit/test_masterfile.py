"""The master-file scanner: owners, types, token positions and entry spans."""

from __future__ import annotations

from pathlib import Path

import dns.rdatatype
import dns.zone
import pytest

from mxroute.dns.masterfile import (
    Directive,
    Entry,
    MasterFileError,
    Record,
    scan,
    split_lines,
)

ZONES = Path(__file__).resolve().parent.parent / "zones"
FIXTURES = sorted(p.name.removesuffix(".zone") for p in ZONES.glob("*.zone"))


def entries(text: str, origin: str = "example.com.") -> list[Entry]:
    return list(scan(split_lines(text), origin))


def records(text: str, origin: str = "example.com.") -> list[Record]:
    return [e for e in entries(text, origin) if isinstance(e, Record)]


def test_it_makes_at_relative_and_absolute_owners_absolute_and_lower_case() -> None:
    found = records("@ IN A 192.0.2.1\nwww IN A 192.0.2.2\nMail.Example.COM. IN A 192.0.2.3\n")
    assert [r.owner for r in found] == ["example.com.", "www.example.com.", "mail.example.com."]


def test_a_blank_owner_inherits_the_previous_owner() -> None:
    found = records("www IN A 192.0.2.1\n\tIN AAAA 2001:db8::1\n  IN TXT hello\n")
    assert [r.owner for r in found] == ["www.example.com."] * 3
    assert [r.owner_token is None for r in found] == [False, True, True]


def test_origin_changes_apply_to_later_relative_names_only() -> None:
    text = (
        "a IN A 192.0.2.1\n$ORIGIN sub\nb IN A 192.0.2.2\n@ IN MX 10 mail\n"
        "$ORIGIN other.net.\nc A 1.2.3.4\n"
    )
    found = records(text)
    assert [r.owner for r in found] == [
        "a.example.com.",
        "b.sub.example.com.",
        "sub.example.com.",
        "c.other.net.",
    ]
    assert found[2].origin == "sub.example.com."


def test_a_blank_owner_after_origin_keeps_the_previous_absolute_owner() -> None:
    found = records("www IN A 192.0.2.1\n$ORIGIN sub.example.com.\n\tIN TXT x\n")
    assert found[1].owner == "www.example.com."


@pytest.mark.parametrize(
    ("line", "ttl", "rrclass"),
    [
        ("@ 300 IN MX 10 mail", "300", "IN"),
        ("@ IN 300 MX 10 mail", "300", "IN"),
        ("@ 1h30m MX 10 mail", "1h30m", None),
        ("@ in MX 10 mail", None, "in"),
        ("@ MX 10 mail", None, None),
    ],
)
def test_ttl_and_class_are_found_in_either_order_or_absent(
    line: str, ttl: str | None, rrclass: str | None
) -> None:
    (record,) = records(line)
    assert record.rrtype == "MX"
    assert (record.ttl.text if record.ttl else None) == ttl
    assert (record.rrclass.text if record.rrclass else None) == rrclass
    assert [t.text for t in record.rdata] == ["10", "mail"]


def test_the_type_is_upper_case_whatever_it_was_written_as() -> None:
    assert [r.rrtype for r in records("@ IN mX 10 mail\n@ iN Aaaa ::1\n")] == ["MX", "AAAA"]


def test_parentheses_join_lines_into_one_entry_with_its_line_span() -> None:
    text = (
        "$TTL 1h\n"
        "@ IN SOA ns1 host (\n"
        "   2024010101 ; serial\n"
        "   3600 ; refresh\n"
        "   900 1209600 300 ) ; rest\n"
        "www IN A 192.0.2.1\n"
    )
    soa, www = records(text)
    assert (soa.first_line, soa.last_line) == (1, 4)
    assert [t.text for t in soa.rdata] == [
        "ns1",
        "host",
        "2024010101",
        "3600",
        "900",
        "1209600",
        "300",
    ]
    assert (www.first_line, www.last_line) == (5, 5)


def test_every_token_carries_its_exact_line_and_columns() -> None:
    text = (ZONES / "multiline.test.zone").read_text()
    lines = split_lines(text)
    for entry in scan(lines, "multiline.test."):
        tokens = entry.rdata if isinstance(entry, Record) else entry.args
        for token in tokens:
            assert lines[token.line][token.start : token.end] == token.text


def test_semicolons_and_parentheses_inside_quotes_are_text() -> None:
    (record,) = records('txt IN TXT "a ; b (c)" "d\\"e" ; a real comment\n')
    assert [t.text for t in record.rdata] == ['"a ; b (c)"', '"d\\"e"']


def test_escaped_characters_stay_inside_their_word() -> None:
    (record,) = records("odd\\.name IN TXT semi\\;colon\n")
    assert record.owner == "odd\\.name.example.com."
    assert [t.text for t in record.rdata] == ["semi\\;colon"]


def test_comment_and_blank_lines_are_not_entries() -> None:
    assert entries("; only a comment\n\n   \n\t; indented comment\n") == []


def test_include_is_reported_with_its_file_origin_and_current_owner() -> None:
    text = 'www IN A 192.0.2.1\n$INCLUDE "hosts.inc"\n$INCLUDE other.inc sub\n'
    first, second = (e for e in entries(text) if isinstance(e, Directive))
    assert (first.include_file, first.include_origin) == ("hosts.inc", "example.com.")
    assert first.owner == "www.example.com."
    assert (second.include_file, second.include_origin) == ("other.inc", "sub.example.com.")


def test_an_included_file_inherits_the_owner_it_is_given() -> None:
    (record,) = list(scan(["\tIN TXT x"], "example.com.", owner="www.example.com."))
    assert isinstance(record, Record)
    assert record.owner == "www.example.com."


def test_ttl_and_generate_are_directives() -> None:
    found = entries("$TTL 300\n$GENERATE 1-4 host$ A 192.0.2.$\n")
    assert [(e.name, len(e.args)) for e in found if isinstance(e, Directive)] == [
        ("$TTL", 1),
        ("$GENERATE", 4),
    ]


def test_crlf_line_endings_are_whitespace() -> None:
    (record,) = records("@ IN MX 10 mail\r\n")
    assert [t.text for t in record.rdata] == ["10", "mail"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("@ IN SOA ns1 host (\n 1 2 3 4 5\n", 1, "never closed"),
        ("@ IN A 192.0.2.1 )\n", 1, "closes nothing"),
        ('@ IN TXT "open\n', 1, "not closed"),
        ("\tIN A 192.0.2.1\n", 1, "no previous owner"),
        ("$BOGUS 1\n", 1, "unknown directive"),
        ("www IN\n", 1, "no type"),
        ("ok IN A 192.0.2.1\n$ORIGIN\n", 2, "at least 1"),
    ],
)
def test_a_file_it_cannot_read_is_an_error_naming_the_line(
    text: str, line: int, words: str
) -> None:
    with pytest.raises(MasterFileError) as caught:
        entries(text)
    assert caught.value.line + 1 == line
    assert words in str(caught.value)


@pytest.mark.parametrize("name", FIXTURES)
def test_it_finds_the_same_records_as_dnspython_in_every_fixture(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ZONES)  # $INCLUDE names are relative to the zones directory
    origin = name + "."
    path = ZONES / f"{name}.zone"
    zone = dns.zone.from_file(str(path), origin, relativize=False, allow_include=True)
    expected = {
        (str(owner).lower(), dns.rdatatype.to_text(rdataset.rdtype))
        for owner, node in zone.nodes.items()
        for rdataset in node
    }
    seen: set[tuple[str, str]] = set()

    def walk(file: Path, origin: str, owner: str | None) -> None:
        for entry in scan(split_lines(file.read_text()), origin, owner=owner):
            if isinstance(entry, Record):
                seen.add((entry.owner, entry.rrtype))
            elif entry.name == "$INCLUDE":
                walk(ZONES / entry.include_file, entry.include_origin, entry.owner)

    walk(path, origin, None)
    assert seen == expected
