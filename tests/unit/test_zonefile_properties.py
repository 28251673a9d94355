"""Properties of zone-file writes over generated zones and generated MX sets.

Zones are random mixes of the fixture constructs (comments, $TTL and $ORIGIN changes,
multi-line entries, blank-owner continuations, relative and absolute targets, mixed
case, MX below the apex). After any write: every non-MX line is byte-for-byte as it
was (apart from the serial token, and the zone name written in front of a blank-owner
line that a removed MX line gave its owner), every other record is unchanged,
reading back gives exactly the written set, the new MX records have the TTL the old
ones had, and the serial moved forward (RFC 1982).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dns.rdatatype
import dns.zone
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mxroute.core.records import MXRecord, MXSet
from mxroute.core.serial import serial_gt
from mxroute.dns.zonefile import ZoneFileBackend

ZONE = "prop.test"
APEX = ZONE + "."
NEW_MX_LINE = re.compile(rf"^{re.escape(APEX)}\t(?:[0-9]+\t)?IN\tMX\t")
EXAMPLES = settings(max_examples=100, deadline=None)

SERIALS = st.one_of(
    st.integers(min_value=1, max_value=2**32 - 1),
    st.sampled_from([1, 2**31 - 1, 2**31, 2**31 + 1, 2**32 - 2, 2**32 - 1]),
    st.sampled_from([2024010101, 2025031399, 2025031400, 2099123199, 3000000000]),
)
DAYS = st.one_of(st.just(date(2025, 3, 14)), st.dates(date(1990, 1, 1), date(2300, 12, 31)))
HOSTS = st.sampled_from(["mail", "mx1", "relay", "Backup", "mx.deep"])
FOREIGN = st.sampled_from(["mx.example.net.", "MX2.Example.ORG.", "smtp.provider.example."])


@dataclass
class Generated:
    """A generated zone and what the generator knows about it."""

    lines: list[str] = field(default_factory=list)
    mx_lines: set[int] = field(default_factory=set)  # lines of apex MX entries
    # Each apex MX entry: first line, last line, whether it states its own TTL.
    mx_entries: list[tuple[int, int, bool]] = field(default_factory=list)
    serial_line: int = 0
    soa_last_line: int = 0
    serial: int = 1
    mx: set[tuple[int, str]] = field(default_factory=set)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


@st.composite
def zones(draw: st.DrawFn) -> Generated:
    z = Generated(serial=draw(SERIALS))
    add = z.lines.append
    if draw(st.booleans()):
        add("; generated zone -- keep this comment")
    if draw(st.booleans()):
        add("$TTL 3600 ; default")
    if draw(st.booleans()):
        z.serial_line = len(z.lines)
        add(f"@\tIN\tSOA\tns1 hostmaster {z.serial} 3600 900 1209600 300")
    else:
        add(f"{ZONE}. 3600 IN SOA ns1.{ZONE}. hostmaster.{ZONE}. (")
        z.serial_line = len(z.lines)
        add(f"\t\t{z.serial}\t; serial")
        add("\t\t3600 ; refresh")
        add("\t\t900 1209600 300 ) ; the rest")
    z.soa_last_line = len(z.lines) - 1
    add("\tIN\tNS\tns1")
    add("ns1\tIN\tA\t192.0.2.53")
    origin, previous, hosts = APEX, "ns1", 0

    def target() -> tuple[str, str]:
        """An exchanger as written and as mxroute normalises it."""
        if draw(st.booleans()):
            name = draw(FOREIGN)
            return name, name.lower().rstrip(".")
        name = draw(HOSTS)
        return name, f"{name}.{origin}".lower().rstrip(".")

    def mx_entry(owner: str) -> None:
        """One apex MX line; TTL and class in either order or absent, any case."""
        middle = draw(st.sampled_from(["IN\tMX", "300\tIN\tMX", "IN\t300\tMX", "Mx", "60 in mX"]))
        priority = draw(st.integers(0, 65535))
        written, normal = target()
        z.mx_lines.add(len(z.lines))
        z.mx_entries.append((len(z.lines), len(z.lines), any(c.isdigit() for c in middle)))
        add(f"{owner}\t{middle}\t{priority} {written}")
        z.mx.add((priority, normal))

    pieces = st.sampled_from(
        [
            "comment",
            "host",
            "mx_at",
            "mx_absolute",
            "mx_blank",
            "mx_parens",
            "apex_continuation",
            "origin_sub",
            "origin_back",
            "ttl",
            "sub_mx",
            "txt",
        ]
    )
    for piece in draw(st.lists(pieces, max_size=14)):
        if piece == "comment":
            add(draw(st.sampled_from(["", "; a comment", "   ; indented", "\t"])))
        elif piece == "host":
            hosts += 1
            add(f"h{hosts}\tIN\tA\t192.0.2.{hosts}")
            if draw(st.booleans()):
                add(f"\tIN\tAAAA\t2001:db8::{hosts}\t; continuation")
            previous = f"h{hosts}.{origin}"
        elif piece == "mx_at" and origin == APEX:
            mx_entry("@")
            previous = APEX
        elif piece == "mx_absolute":
            mx_entry("Prop.TEST.")
            previous = APEX
        elif piece == "mx_blank" and previous == APEX:
            mx_entry("")
        elif piece == "mx_parens" and origin == APEX:
            priority = draw(st.integers(0, 65535))
            written, normal = target()
            z.mx_lines.update({len(z.lines), len(z.lines) + 1})
            z.mx_entries.append((len(z.lines), len(z.lines) + 1, False))
            add(f"@\tIN\tMX\t( {priority}\t; priority")
            add(f"\t\t{written} )\t; exchanger")
            z.mx.add((priority, normal))
            previous = APEX
        elif piece == "apex_continuation" and previous == APEX:
            add('\tIN\tTXT\t"apex text; with a semicolon"')
        elif piece == "origin_sub":
            add(f"$ORIGIN sub.{ZONE}.")
            origin = f"sub.{APEX}"
        elif piece == "origin_back":
            add(f"$ORIGIN {APEX}")
            origin = APEX
        elif piece == "ttl":
            add("$TTL 600")
        elif piece == "sub_mx":
            add(f"sub.{APEX}\tIN\tMX\t10 mail.{APEX}")
            previous = f"sub.{APEX}"
        elif piece == "txt":
            hosts += 1
            add(f't{hosts}\tIN\tTXT\t"v=spf1 (not a paren) ; -all" "\\"quoted\\""')
            previous = f"t{hosts}.{origin}"
    return z


@st.composite
def mx_sets(draw: st.DrawFn) -> MXSet:
    if draw(st.integers(0, 9)) == 0:
        return MXSet.of([MXRecord(0, ".")])
    exchangers = st.sampled_from(
        ["mail.prop.test", "mx.example.net", "b.example.org", "mail.sub.prop.test"]
    )
    pairs = draw(st.sets(st.tuples(st.integers(0, 65535), exchangers), max_size=4))
    return MXSet.of(MXRecord(p, e) for p, e in pairs)


def rrsets(text: str) -> dict[tuple[str, str], set[str]]:
    parsed = dns.zone.from_text(text, APEX, relativize=False)
    return {
        (str(owner).lower(), dns.rdatatype.to_text(rds.rdtype)): {r.to_text().lower() for r in rds}
        for owner, node in parsed.nodes.items()
        for rds in node
    }


def write(
    z: Generated, mx: MXSet, today: date, *, replacing: bool = True
) -> tuple[str, ZoneFileBackend, int]:
    """Write ``mx`` into the generated zone; the new text, the backend, the new serial.

    ``replacing``: only sets sharing no record with the zone's (a record that stays keeps
    its old line, which test_old_mx_lines_whose_record_stays_are_kept covers).
    """
    if replacing:
        assume(not ({(r.priority, r.exchanger) for r in mx} & z.mx))
    with tempfile.TemporaryDirectory() as tmp:
        zones = Path(tmp) / "zones"
        zones.mkdir()
        (zones / f"{ZONE}.zone").write_text(z.text)
        backend = ZoneFileBackend(zones, Path(tmp) / "locks", today=lambda: today)
        before = backend.read(ZONE)
        assert before.serial == z.serial
        assert {(r.priority, r.exchanger) for r in before.mx} == z.mx
        written = backend.write(ZONE, mx, before)
        after = backend.read(ZONE)
        assert after == written
        return (zones / f"{ZONE}.zone").read_text(), backend, written.serial


@EXAMPLES
@given(zones(), mx_sets())
def test_every_non_mx_line_is_unchanged_byte_for_byte(z: Generated, mx: MXSet) -> None:
    text, _, serial = write(z, mx, date(2025, 3, 14))
    expected = [line for i, line in enumerate(z.lines) if i not in z.mx_lines]
    kept_serial_line = z.serial_line - sum(1 for i in z.mx_lines if i < z.serial_line)
    # The serial as a whole token: "1" must not match inside "ns1".
    token = re.compile(rf"(?<![\w.]){z.serial}(?![\w.])")
    expected[kept_serial_line] = token.sub(str(serial), expected[kept_serial_line], count=1)
    actual = [line for line in text.split("\n")[:-1] if not NEW_MX_LINE.match(line)]
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        # The only other change allowed: the zone's name in front of a blank-owner line.
        assert got == want or (want[:1] in (" ", "\t") and got == APEX + want)


@EXAMPLES
@given(zones(), mx_sets())
def test_new_mx_lines_replace_the_first_old_one_or_follow_the_soa(z: Generated, mx: MXSet) -> None:
    text, _, _ = write(z, mx, date(2025, 3, 14))
    lines = text.split("\n")
    positions = [i for i, line in enumerate(lines) if NEW_MX_LINE.match(line)]
    assert len(positions) == len(mx)
    if positions:
        assert positions == list(range(positions[0], positions[0] + len(mx)))
        assert positions[0] == (min(z.mx_lines) if z.mx_lines else z.soa_last_line + 1)


@EXAMPLES
@given(zones(), mx_sets())
def test_old_mx_lines_whose_record_stays_are_kept(z: Generated, extra: MXSet) -> None:
    old = {MXRecord(p, e) for p, e in z.mx}
    assume(not any(r.is_null for r in old | set(extra)))
    text, _, _ = write(z, MXSet.of(old | set(extra)), date(2025, 3, 14), replacing=False)
    lines = text.split("\n")
    for i in sorted(z.mx_lines):
        assert z.lines[i] in lines  # as written, comments and all
    first_new = next((i for i, line in enumerate(lines) if NEW_MX_LINE.match(line)), None)
    if first_new is not None and z.mx_lines:
        assert first_new > lines.index(z.lines[max(z.mx_lines)])


@EXAMPLES
@given(zones(), mx_sets())
def test_every_other_record_keeps_its_owner_and_data(z: Generated, mx: MXSet) -> None:
    text, _, _ = write(z, mx, date(2025, 3, 14))
    before, after = rrsets(z.text), rrsets(text)
    for key in set(before) | set(after):
        if key not in ((APEX, "MX"), (APEX, "SOA")):
            assert before.get(key) == after.get(key), key
    assert {r.split()[1] for r in after.get((APEX, "MX"), set())} == {
        "." if r.is_null else r.exchanger + "." for r in mx
    }


@EXAMPLES
@given(zones(), mx_sets(), DAYS)
def test_the_serial_only_moves_forward(z: Generated, mx: MXSet, today: date) -> None:
    _, _, serial = write(z, mx, today)
    assert serial_gt(serial, z.serial)
    assert serial != 0


def mx_ttl(text: str) -> int:
    """The TTL dnspython gives the apex MX records of a zone's text."""
    parsed = dns.zone.from_text(text, APEX, relativize=False)
    rdataset = parsed.get_rdataset(APEX, "MX")
    assert rdataset is not None
    return int(rdataset.ttl)


@EXAMPLES
@given(zones(), mx_sets())
def test_new_mx_records_have_the_ttl_the_old_ones_had(z: Generated, mx: MXSet) -> None:
    text, _, _ = write(z, mx, date(2025, 3, 14))
    if not len(mx):
        return
    # The oracle: dnspython's TTL for the first old entry that states one (else the first
    # entry; with none, a TTL-less line after the SOA), alone: the other old entries
    # become TTL-less apex TXT lines, which change neither owners nor TTLs around them.
    lines = list(z.lines)
    kept = next((e for e in z.mx_entries if e[2]), z.mx_entries[0] if z.mx_entries else None)
    if kept is None:
        lines.insert(z.soa_last_line + 1, f"{APEX}\tIN\tMX\t10 oracle.example.")
    for first, last, states in z.mx_entries:
        if (first, last, states) != kept:
            lines[first : last + 1] = [f'{APEX}\tIN\tTXT\t"was MX"'] + [""] * (last - first)
    assert mx_ttl(text) == mx_ttl("\n".join(lines) + "\n")
