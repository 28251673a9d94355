"""The zone-file backend: reading, surgical writing, compare-and-swap, safe replacement."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
from datetime import date
from pathlib import Path

import dns.rdatatype
import dns.zone
import pytest

from mxroute.core.records import MXRecord, MXSet
from mxroute.core.serial import serial_gt
from mxroute.dns.base import DELEGATED, Snapshot
from mxroute.dns.zonefile import ZoneFileBackend, _read_back
from mxroute.errors import ConfigError, Conflict, InvalidInput, NotFound, StepFailed
from tests.unit.test_atomic import no_space_after

ZONES = Path(__file__).resolve().parent.parent / "zones"
TODAY = date(2025, 3, 14)


def mxset(*pairs: tuple[int, str]) -> MXSet:
    return MXSet.of(MXRecord(p, e) for p, e in pairs)


EXPECTED: dict[str, tuple[int, MXSet]] = {
    "plain.test": (2024010101, mxset((10, "mail.plain.test"), (20, "backup.example.net"))),
    "included.test": (2023123105, mxset((5, "mx1.included.test"), (15, "mx2.included.test"))),
    "mxinclude.test": (
        2024020201,
        mxset((10, "mail.mxinclude.test"), (50, "fallback.example.net")),
    ),
    "origin.test": (
        2024030301,
        mxset((10, "mail.hosts.origin.test"), (20, "relay.hosts.origin.test")),
    ),
    "comments.test": (2024040401, mxset((10, "mail.comments.test"), (20, "mx.example.net"))),
    "multiline.test": (
        2024050501,
        mxset((10, "mail.multiline.test"), (20, "mail2.multiline.test")),
    ),
    "targets.test": (
        2024060601,
        mxset(
            (10, "mail.targets.test"),
            (20, "mail.targets.test"),
            (30, "mx.deep.sub.targets.test"),
            (40, "mx.example.org"),
        ),
    ),
    "continuation.test": (
        2024070701,
        mxset(
            (10, "mail.continuation.test"),
            (20, "backup.continuation.test"),
            (30, "mx3.example.net"),
        ),
    ),
    "mixedcase.test": (
        2024080801,
        mxset((10, "mail.mixedcase.test"), (20, "relay.mixedcase.test")),
    ),
    "nomx.test": (2024090901, MXSet()),
    "nullmx.test": (2024101001, mxset((0, "."))),
}
WRITABLE = sorted(set(EXPECTED) - {"mxinclude.test"})
NEW = mxset((5, "mx-a.example.org"), (10, "mx-b.example.org"))


@pytest.fixture
def zones(tmp_path: Path) -> Path:
    """A zones directory holding a copy of every fixture file."""
    target = tmp_path / "zones"
    target.mkdir()
    for path in ZONES.iterdir():
        if path.is_file():
            shutil.copy(path, target / path.name)
    return target


def backend(zones: Path, check_command: str = "", reload_command: str = "") -> ZoneFileBackend:
    return ZoneFileBackend(
        zones,
        zones.parent / "locks",
        check_command=check_command,
        reload_command=reload_command,
        today=lambda: TODAY,
    )


def text_of(zones: Path, zone: str) -> str:
    return (zones / f"{zone}.zone").read_text()


def temp_files(zones: Path) -> list[str]:
    """Temp files left in the zones directory (a replacement must never leave one)."""
    return [p.name for p in zones.iterdir() if p.name.endswith(".tmp")]


def rrsets(text: str, zone: str, directory: Path) -> dict[tuple[str, str], set[str]]:
    """Every RRset of a zone (dnspython's whole-zone parse, as the test's oracle)."""
    cwd = Path.cwd()
    os.chdir(directory)
    try:
        parsed = dns.zone.from_text(text, zone + ".", relativize=False, allow_include=True)
    finally:
        os.chdir(cwd)
    return {
        (str(owner).lower(), dns.rdatatype.to_text(rds.rdtype)): {r.to_text().lower() for r in rds}
        for owner, node in parsed.nodes.items()
        for rds in node
    }


# -- reading -------------------------------------------------------------------------


@pytest.mark.parametrize("zone", sorted(EXPECTED))
def test_it_reads_the_apex_mx_set_and_serial_of_every_fixture(zones: Path, zone: str) -> None:
    serial, mx = EXPECTED[zone]
    assert backend(zones).read(zone) == Snapshot(zone, serial, mx)


def test_it_normalises_the_zone_name_it_is_given(zones: Path) -> None:
    assert backend(zones).read("Plain.TEST.").zone == "plain.test"


def test_a_missing_zone_file_is_not_found_with_a_sentence(zones: Path) -> None:
    with pytest.raises(NotFound, match=r"The zone absent\.test has no zone file"):
        backend(zones).read("absent.test")
    assert not backend(zones).exists("absent.test")
    assert backend(zones).exists("plain.test")


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ("@ IN MX 10 mail_1", "underscore"),
        ("@ IN MX 10 192.0.2.1.", "IP address"),
        ("@ IN MX 10", "cannot be read"),
    ],
)
def test_an_unmanageable_mx_record_is_one_error_naming_its_line(
    zones: Path, record: str, words: str
) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + record + "\n")
    with pytest.raises(ConfigError, match=rf"plain\.test\.zone line 11: .*{words}"):
        backend(zones).read("plain.test")


def test_a_null_mx_beside_other_records_is_one_error_naming_the_first_mx_line(
    zones: Path,
) -> None:
    path = zones / "nullmx.test.zone"
    path.write_text(path.read_text() + "@ IN MX 10 mail.example.org.\n")
    with pytest.raises(ConfigError, match=r"nullmx\.test\.zone line 4: .*Null MX"):
        backend(zones).read("nullmx.test")


def test_a_syntax_error_names_the_file_and_line(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + 'bad IN TXT "unclosed\n')
    with pytest.raises(ConfigError, match=r"plain\.test\.zone line 11: a quoted string"):
        backend(zones).read("plain.test")


def test_identical_mx_lines_read_as_one_record(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + "plain.test. 60 IN MX 10 MAIL\n")
    assert backend(zones).read("plain.test").mx == EXPECTED["plain.test"][1]


# -- writing ---------------------------------------------------------------------------


@pytest.mark.parametrize("zone", WRITABLE)
def test_reading_back_gives_exactly_the_written_set_and_serial(zones: Path, zone: str) -> None:
    zf = backend(zones)
    written = zf.write(zone, NEW, zf.read(zone))
    assert written == Snapshot(zone, 2025031400, NEW)
    assert zf.read(zone) == written


@pytest.mark.parametrize("zone", WRITABLE)
def test_every_other_record_is_unchanged(zones: Path, zone: str) -> None:
    before = rrsets(text_of(zones, zone), zone, zones)
    zf = backend(zones)
    zf.write(zone, NEW, zf.read(zone))
    after = rrsets(text_of(zones, zone), zone, zones)
    apex = zone + "."
    for key in set(before) | set(after):
        if key not in ((apex, "MX"), (apex, "SOA")):
            assert before.get(key) == after.get(key), key
    soa_before, soa_after = before[(apex, "SOA")].pop().split(), after[(apex, "SOA")].pop().split()
    assert soa_before[:2] + soa_before[3:] == soa_after[:2] + soa_after[3:]


def test_it_keeps_comments_and_layout_byte_for_byte(zones: Path) -> None:
    before = text_of(zones, "comments.test").split("\n")
    zf = backend(zones)
    zf.write("comments.test", NEW, zf.read("comments.test"))
    after = text_of(zones, "comments.test").split("\n")
    mx_lines = [13, 15]
    expected = [line for i, line in enumerate(before) if i not in mx_lines]
    expected[7] = expected[7].replace("2024040401", "2025031400")
    new_block = [
        "comments.test.\tIN\tMX\t5 mx-a.example.org.",
        "comments.test.\tIN\tMX\t10 mx-b.example.org.",
    ]
    assert after == expected[:13] + new_block + expected[13:]


def test_new_mx_lines_follow_the_soa_when_there_were_none(zones: Path) -> None:
    before = text_of(zones, "nomx.test").split("\n")
    zf = backend(zones)
    zf.write("nomx.test", mxset((10, "mail.nomx.test")), zf.read("nomx.test"))
    after = text_of(zones, "nomx.test").split("\n")
    assert after[:2] == before[:2]
    assert after[2] == before[2].replace("2024090901", "2025031400")
    assert after[3] == before[3]  # the rest of the multi-line SOA
    assert after[4] == "nomx.test.\tIN\tMX\t10 mail.nomx.test."
    assert after[5:] == before[4:]


def test_a_multi_line_mx_entry_is_replaced_whole(zones: Path) -> None:
    zf = backend(zones)
    zf.write("multiline.test", mxset((1, "only.example.org")), zf.read("multiline.test"))
    text = text_of(zones, "multiline.test")
    assert "priority" not in text and "exchanger" not in text and "mail2\n" not in text
    assert "; serial (YYYYMMDDnn)" in text and "; expire after 2 weeks" in text
    assert "multiline.test.\tIN\tMX\t1 only.example.org.\n" in text


def test_writing_a_null_mx_and_an_empty_set(zones: Path) -> None:
    zf = backend(zones)
    zf.write("plain.test", mxset((0, ".")), zf.read("plain.test"))
    assert "plain.test.\tIN\tMX\t0 .\n" in text_of(zones, "plain.test")
    assert zf.read("plain.test").mx.is_null
    zf.write("plain.test", MXSet(), zf.read("plain.test"))
    assert "MX" not in text_of(zones, "plain.test")
    assert len(zf.read("plain.test").mx) == 0


def ttl_backend(zones: Path, ttl: int = 900) -> ZoneFileBackend:
    return ZoneFileBackend(zones, zones.parent / "locks", ttl=ttl, today=lambda: TODAY)


def test_new_mx_lines_keep_the_ttl_the_old_ones_stated(zones: Path) -> None:
    zf = ttl_backend(zones)
    zf.write("origin.test", NEW, zf.read("origin.test"))  # old lines: "@ 300 IN MX"
    text = text_of(zones, "origin.test")
    assert "origin.test.\t300\tIN\tMX\t5 mx-a.example.org.\n" in text
    assert "origin.test.\t300\tIN\tMX\t10 mx-b.example.org.\n" in text


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [("14400", "300", 14400), ("", "300", 300), ("1h", "", 3600), ("2147483647", "", 2**31 - 1)],
)
def test_new_mx_lines_take_the_ttl_of_the_first_old_line_that_states_one(
    zones: Path, first: str, second: str, kept: int
) -> None:
    path = zones / "plain.test.zone"
    path.write_text(
        path.read_text()
        .replace("plain.test.\tIN\tMX\t10", f"plain.test.\t{first}\tIN\tMX\t10")
        .replace("plain.test.\tIN\tMX\t20", f"plain.test.\t{second}\tIN\tMX\t20")
    )
    zf = ttl_backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))
    text = path.read_text()
    assert f"plain.test.\t{kept}\tIN\tMX\t5 mx-a.example.org.\n" in text
    assert f"plain.test.\t{kept}\tIN\tMX\t10 mx-b.example.org.\n" in text


def test_new_mx_lines_state_no_ttl_when_the_old_ones_took_the_files(zones: Path) -> None:
    zf = ttl_backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))  # old lines: no TTL, $TTL above
    assert "plain.test.\tIN\tMX\t5 mx-a.example.org.\n" in text_of(zones, "plain.test")


def test_without_a_ttl_directive_new_mx_lines_state_the_ttl_the_old_ones_inherited(
    zones: Path,
) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text().replace("$TTL 3600\n", "").replace("IN\tSOA", "600\tIN\tSOA"))
    zf = ttl_backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))
    # RFC 1035: a TTL-less line takes the last TTL stated above it (the SOA's 600) ...
    assert "plain.test.\t600\tIN\tMX\t5 mx-a.example.org.\n" in path.read_text()
    # ... so every record keeps its TTL, MX included.
    after = dns.zone.from_text(path.read_text(), "plain.test.", relativize=False)
    assert {rds.ttl for _, node in after.nodes.items() for rds in node} == {600}


def test_without_any_ttl_above_them_new_mx_lines_state_the_soa_minimum(zones: Path) -> None:
    path = zones / "nomx.test.zone"
    path.write_text(path.read_text().replace("$TTL 3600\n", ""))  # SOA: no TTL, MINIMUM 300
    zf = ttl_backend(zones)
    zf.write("nomx.test", mxset((10, "mail.nomx.test")), zf.read("nomx.test"))
    assert "nomx.test.\t300\tIN\tMX\t10 mail.nomx.test.\n" in path.read_text()


def no_known_ttl(zones: Path) -> Path:
    """plain.test with no $TTL and an $INCLUDE above its MX lines: their TTL is not known."""
    path = zones / "plain.test.zone"
    path.write_text(
        path.read_text()
        .replace("$TTL 3600\n", "")
        .replace("plain.test.\tIN\tNS", "$INCLUDE plain.test.inc\nplain.test.\tIN\tNS")
    )
    (zones / "plain.test.inc").write_text("extra\tIN\tA\t192.0.2.99\n")
    return path


def test_the_configured_ttl_is_used_when_no_ttl_is_known(zones: Path) -> None:
    path = no_known_ttl(zones)
    zf = ttl_backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))
    assert "plain.test.\t900\tIN\tMX\t5 mx-a.example.org.\n" in path.read_text()


@pytest.mark.parametrize("ttl", [0, -1, 2**31, 2**32])
def test_a_configured_ttl_outside_the_rfc_range_is_refused_when_needed(
    zones: Path, ttl: int
) -> None:
    path = no_known_ttl(zones)
    before = path.read_bytes()
    zf = ttl_backend(zones, ttl)
    with pytest.raises(ConfigError, match=r"configured TTL .* outside 1\.\.2147483647") as caught:
        zf.write("plain.test", NEW, zf.read("plain.test"))
    assert caught.value.code == "zone_ttl"
    assert path.read_bytes() == before
    with pytest.raises(ConfigError, match="configured TTL"):
        zf.create("fresh.test", NEW, "")
    assert not zf.exists("fresh.test")
    # Where no line needs it, the bad setting does not block a write.
    zf.write("origin.test", NEW, zf.read("origin.test"))


@pytest.mark.parametrize("ttl", ["0", "2147483648", "4294967295"])
def test_an_old_mx_ttl_outside_the_rfc_range_is_refused_naming_its_line(
    zones: Path, ttl: str
) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text().replace("plain.test.\tIN\tMX\t20", f"@\t{ttl}\tIN\tMX\t20"))
    before = path.read_bytes()
    zf = ttl_backend(zones)
    with pytest.raises(ConfigError, match=rf"plain\.test\.zone line 5: the TTL {ttl}, which"):
        zf.write("plain.test", NEW, zf.read("plain.test"))
    assert path.read_bytes() == before
    zf.write("plain.test", MXSet(), zf.read("plain.test"))  # removing every MX needs no TTL


def test_new_mx_lines_that_do_not_read_back_as_meant_are_never_written(zones: Path) -> None:
    broken = MXRecord(10, "mx.example.org")
    object.__setattr__(broken, "exchanger", "mx.example.org. 20 evil.example.net")
    path = zones / "plain.test.zone"
    before = path.read_bytes()
    zf = backend(zones)
    with pytest.raises(StepFailed, match="not what dnspython reads back") as caught:
        zf.write("plain.test", MXSet.of([broken]), zf.read("plain.test"))
    assert caught.value.step == "zone"
    assert path.read_bytes() == before
    assert not temp_files(zones)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("plain.test.\tIN\tMX\t10 other.example.org.", "read back as"),
        ("other.test.\tIN\tMX\t10 mx.example.org.", "read back as"),
        ("plain.test.\t60\tIN\tMX\t10 mx.example.org.", "read back as"),
        ("plain.test.\tIN\tTXT\t10 mx.example.org.", "read back as"),
        ("plain.test.\tIN\tMX\t10 mx..example.org.", "empty"),
    ],
)
def test_the_read_back_check_notices_any_difference(line: str, why: str) -> None:
    meant = mxset((10, "mx.example.org"))
    _read_back("plain.test.", meant, None, ["plain.test.\tIN\tMX\t10 mx.example.org."])
    with pytest.raises(StepFailed, match=why):
        _read_back("plain.test.", meant, None, [line])


def test_mx_records_below_the_apex_are_left_alone(zones: Path) -> None:
    zf = backend(zones)
    zf.write("origin.test", MXSet(), zf.read("origin.test"))
    text = text_of(zones, "origin.test")
    assert "$ORIGIN sub.origin.test.\n@\tIN\tMX\t10 mail.hosts.origin.test.\n" in text


def test_a_blank_owner_record_keeps_the_owner_a_removed_mx_line_gave_it(zones: Path) -> None:
    before = text_of(zones, "continuation.test")
    zf = backend(zones)
    zf.write("continuation.test", NEW, zf.read("continuation.test"))
    after = text_of(zones, "continuation.test")
    # The removed "continuation.test. IN MX 30 ..." line gave the TXT line its owner.
    txt = '\tIN\tTXT\t"site-verification=abc"\t; inherits the apex from the MX line above'
    assert txt in before.split("\n")
    assert "continuation.test." + txt in after.split("\n")
    # ... and lines that still inherit the right owner are not touched.
    assert "\tIN\tA\t192.0.2.10" in after.split("\n")
    apex = "continuation.test."
    assert rrsets(after, "continuation.test", zones)[(apex, "TXT")] == {
        '"v=spf1 mx -all"',
        '"site-verification=abc"',
    }


def test_removing_every_mx_keeps_blank_owner_records_at_the_apex(zones: Path) -> None:
    zf = backend(zones)
    zf.write("continuation.test", MXSet(), zf.read("continuation.test"))
    after = rrsets(text_of(zones, "continuation.test"), "continuation.test", zones)
    apex = "continuation.test."
    assert after[(apex, "A")] == {"192.0.2.10"}
    assert after[(apex, "AAAA")] == {"2001:db8::10"}
    assert len(after[(apex, "TXT")]) == 2
    assert (apex, "MX") not in after


def test_crlf_files_stay_crlf(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    zf = backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") == 10
    assert zf.read("plain.test").mx == NEW


def test_bytes_that_are_not_utf8_survive_a_write(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_bytes(path.read_bytes() + b'latin IN TXT "caf\xe9"\n')
    zf = backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))
    assert path.read_bytes().endswith(b'latin IN TXT "caf\xe9"\n')


@pytest.mark.parametrize(
    ("old", "today", "new"),
    [
        (2024010101, TODAY, 2025031400),  # behind the date: jumps to today
        (2025031400, TODAY, 2025031401),  # today already: counts up
        (2099123199, TODAY, 2099123200),  # ahead of the date: counts up
        (3000000000, TODAY, 3000000001),  # so far ahead the date is "behind" it
        (4294967295, TODAY, 2025031400),  # the date is a legal step past 2**32 - 1
        (4294967295, date(2200, 1, 1), 1),  # wraps and skips 0 (RFC 1982, RFC 2136)
    ],
)
def test_the_serial_moves_forward(zones: Path, old: int, today: date, new: int) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text().replace("2024010101", str(old)))
    zf = ZoneFileBackend(zones, zones.parent / "locks", today=lambda: today)
    assert zf.write("plain.test", NEW, zf.read("plain.test")).serial == new
    assert zf.read("plain.test").serial == new
    assert serial_gt(new, old)


# -- compare-and-swap ------------------------------------------------------------------


def test_a_stale_serial_is_a_conflict_and_changes_nothing(zones: Path) -> None:
    zf = backend(zones)
    stale = zf.read("plain.test")
    zf.write("plain.test", NEW, stale)
    before = (zones / "plain.test.zone").read_bytes()
    with pytest.raises(Conflict, match=r"The MX records of plain\.test changed since you read"):
        zf.write("plain.test", mxset((1, "other.example.org")), stale)
    assert (zones / "plain.test.zone").read_bytes() == before


def test_a_hand_edit_that_kept_the_serial_is_still_a_conflict(zones: Path) -> None:
    zf = backend(zones)
    snapshot = zf.read("plain.test")
    path = zones / "plain.test.zone"
    path.write_text(path.read_text().replace("20 backup.example.net.", "30 backup.example.net."))
    before = path.read_bytes()
    with pytest.raises(Conflict, match="reload and try again"):
        zf.write("plain.test", NEW, snapshot)
    assert path.read_bytes() == before


def test_a_writer_waits_for_the_zone_lock_and_then_sees_the_change(zones: Path) -> None:
    zf = backend(zones)
    snapshot = zf.read("plain.test")
    (zones.parent / "locks").mkdir()
    outcome: list[BaseException | Snapshot] = []

    def writer() -> None:
        try:
            outcome.append(zf.write("plain.test", NEW, snapshot))
        except BaseException as exc:
            outcome.append(exc)

    with open(zf.lock_file(zf.path("plain.test")), "a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # as another process would
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join(0.3)
        assert thread.is_alive() and not outcome
        # The lock holder changes the zone before letting go.
        path = zones / "plain.test.zone"
        path.write_text(path.read_text().replace("2024010101", "2024010102"))
    thread.join(5)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)


# -- refusing what mxroute must not edit -------------------------------------------------


def test_mx_records_in_an_included_file_refuse_the_write(zones: Path) -> None:
    zf = backend(zones)
    before = {p.name: p.read_bytes() for p in zones.iterdir()}
    with pytest.raises(ConfigError, match=r"in the included file .*mxinclude\.test\.mx"):
        zf.write("mxinclude.test", NEW, zf.read("mxinclude.test"))
    assert {p.name: p.read_bytes() for p in zones.iterdir()} == before


def test_an_include_whose_first_record_inherits_an_mx_lines_owner_is_refused(
    zones: Path,
) -> None:
    path = zones / "plain.test.zone"
    path.write_text(
        path.read_text().replace(
            "plain.test.\tIN\tMX\t20 backup.example.net.\n",
            "www2\tIN\tA\t192.0.2.99\n"
            "plain.test.\tIN\tMX\t20 backup.example.net.\n"
            "$INCLUDE plain.test.inc\n",
        )
    )
    (zones / "plain.test.inc").write_text('\tIN\tTXT\t"owned by the line above the include"\n')
    zf = backend(zones)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match=r"plain\.test\.zone line 7: the included file starts"):
        zf.write("plain.test", mxset((10, "mail.plain.test")), zf.read("plain.test"))
    assert path.read_bytes() == before
    # Once that record names its owner, as the message asks, the write goes through.
    (zones / "plain.test.inc").write_text('@\tIN\tTXT\t"owned by the line above the include"\n')
    zf.write("plain.test", mxset((10, "mail.plain.test")), zf.read("plain.test"))
    assert rrsets(path.read_text(), "plain.test", zones)[("plain.test.", "TXT")] == {
        '"owned by the line above the include"'
    }


def test_apex_mx_records_made_by_generate_are_one_clear_error(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + "$GENERATE 1-2 @ MX 3$ mx$.example.org.\n")
    with pytest.raises(ConfigError, match=r"line 11: apex MX records made by \$GENERATE"):
        backend(zones).read("plain.test")


@pytest.mark.parametrize("zone", ["../etc/passwd", "a/b.test", "", "..", "x..test", "a b.test"])
def test_a_zone_name_that_is_not_a_domain_is_refused(zones: Path, zone: str) -> None:
    with pytest.raises(InvalidInput):
        backend(zones).path(zone)


def test_a_template_leading_outside_the_zones_directory_is_refused(zones: Path) -> None:
    zf = ZoneFileBackend(zones, zones.parent / "locks", file_template="../{zone}.zone")
    with pytest.raises(ConfigError, match="outside the zones directory"):
        zf.read("plain.test")


def test_a_symlink_out_of_the_zones_directory_is_refused(zones: Path) -> None:
    secret = zones.parent / "secret.zone"
    secret.write_text("not yours\n")
    (zones / "evil.test.zone").symlink_to(secret)
    zf = backend(zones)
    with pytest.raises(ConfigError, match="outside the zones directory"):
        zf.read("evil.test")
    with pytest.raises(ConfigError, match="outside the zones directory"):
        zf.create("evil.test", NEW, "")
    assert secret.read_text() == "not yours\n"


# -- check, replace, reload -------------------------------------------------------------


def test_a_failed_check_leaves_the_file_byte_identical(zones: Path) -> None:
    path = zones / "plain.test.zone"
    before = path.read_bytes()
    zf = backend(zones, check_command="sh -c 'echo zone is broken >&2; exit 1'")
    with pytest.raises(StepFailed, match="zone is broken") as caught:
        zf.write("plain.test", NEW, zf.read("plain.test"))
    assert caught.value.step == "zone_check"
    assert path.read_bytes() == before
    assert not temp_files(zones)


def test_the_check_command_sees_the_new_file_from_the_zones_directory(zones: Path) -> None:
    zf = backend(zones, check_command="sh -c 'cp \"$0\" checked.copy' {file}")
    zf.write("included.test", NEW, zf.read("included.test"))
    assert (zones / "checked.copy").read_text() == text_of(zones, "included.test")


def test_a_failed_reload_puts_the_previous_file_back(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.chmod(0o640)
    before = path.read_bytes()
    zf = backend(zones, reload_command="sh -c 'echo rndc: connection refused >&2; exit 1'")
    snapshot = zf.read("plain.test")
    with pytest.raises(StepFailed, match="connection refused") as caught:
        zf.write("plain.test", NEW, snapshot)
    assert caught.value.step == "zone_reload"
    after = zf.read("plain.test")
    assert after.mx == snapshot.mx
    # Newer than the failed version too, which named may have loaded after all.
    assert serial_gt(after.serial, snapshot.serial + 1)
    old_lines, new_lines = before.decode().splitlines(), path.read_text().splitlines()
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert len(changed) == 1  # only the serial's line
    old_line, new_line = changed[0]
    assert new_line == old_line.replace(str(snapshot.serial), str(after.serial))
    assert path.stat().st_mode & 0o7777 == 0o640
    assert not temp_files(zones)


def test_the_reload_command_runs_after_the_new_file_is_in_place(zones: Path) -> None:
    zf = backend(zones, reload_command="sh -c 'cp \"$0\" reloaded.copy' {file}")
    zf.write("plain.test", NEW, zf.read("plain.test"))
    assert (zones / "reloaded.copy").read_text() == text_of(zones, "plain.test")


def test_the_replaced_file_keeps_its_mode_and_owner(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.chmod(0o640)
    if os.geteuid() == 0:
        shutil.chown(path, "nobody", "nogroup")
    before = path.stat()
    inode = before.st_ino
    zf = backend(zones)
    zf.write("plain.test", NEW, zf.read("plain.test"))
    after = path.stat()
    assert after.st_ino != inode  # a new file was renamed into place
    assert (after.st_mode, after.st_uid, after.st_gid) == (
        before.st_mode,
        before.st_uid,
        before.st_gid,
    )


# -- creating ---------------------------------------------------------------------------


def test_create_writes_a_minimal_zone_that_reads_back(zones: Path) -> None:
    zf = backend(zones)
    created = zf.create("fresh.test", NEW, "ns.example.net")
    assert created == Snapshot("fresh.test", 2025031401, NEW)
    assert zf.read("fresh.test") == created
    sets = rrsets(text_of(zones, "fresh.test"), "fresh.test", zones)
    assert sets[("fresh.test.", "NS")] == {"ns.example.net."}
    assert ("ns1.fresh.test.", "A") not in sets
    assert (zones / "fresh.test.zone").stat().st_mode & 0o777 == 0o644


def test_create_without_a_name_server_uses_ns1_with_a_placeholder_address(zones: Path) -> None:
    zf = backend(zones)
    zf.create("fresh.test", mxset((0, ".")), "")
    sets = rrsets(text_of(zones, "fresh.test"), "fresh.test", zones)
    assert sets[("fresh.test.", "NS")] == {"ns1.fresh.test."}
    assert sets[("ns1.fresh.test.", "A")] == {"127.0.0.1"}
    assert "placeholder" in text_of(zones, "fresh.test")
    assert zf.read("fresh.test").mx.is_null


def test_create_refuses_an_existing_zone(zones: Path) -> None:
    before = (zones / "plain.test.zone").read_bytes()
    with pytest.raises(InvalidInput, match=r"The zone plain\.test already exists"):
        backend(zones).create("plain.test", NEW, "")
    assert (zones / "plain.test.zone").read_bytes() == before


def test_create_runs_the_check_and_leaves_nothing_when_it_fails(zones: Path) -> None:
    with pytest.raises(StepFailed):
        backend(zones, check_command="false").create("fresh.test", NEW, "")
    assert not backend(zones).exists("fresh.test")
    assert not [p for p in zones.iterdir() if "fresh" in p.name]


# -- looking up addresses ---------------------------------------------------------------


def test_lookup_gives_the_addresses_the_zone_publishes(zones: Path) -> None:
    found = backend(zones).lookup("plain.test", "mail.plain.test")
    assert (found.status, sorted(map(str, found.addresses))) == (
        "ok",
        ["192.0.2.25", "2001:db8::25"],
    )
    assert found.alias_of is None


def test_lookup_follows_a_cname_inside_the_zone(zones: Path) -> None:
    found = backend(zones).lookup("plain.test", "WWW.plain.test.")
    assert (found.status, found.alias_of) == ("ok", "plain.test")
    assert {str(a) for a in found.addresses} == {"192.0.2.10"}


def test_lookup_reports_nxdomain_nodata_and_empty_non_terminals(zones: Path) -> None:
    zf = backend(zones)
    assert zf.lookup("plain.test", "nothing.plain.test").status == "nxdomain"
    assert zf.lookup("comments.test", "txt.comments.test").status == "nodata"
    assert zf.lookup("targets.test", "deep.sub.targets.test").status == "nodata"


def test_lookup_sees_included_files_and_their_origin(zones: Path) -> None:
    zf = backend(zones)
    assert {str(a) for a in zf.lookup("included.test", "mx2.included.test").addresses} == {
        "192.0.2.2",
        "2001:db8::2",
    }
    found = zf.lookup("included.test", "www.sub.included.test")
    assert (found.status, found.alias_of) == ("ok", "sub.included.test")


def test_lookup_of_an_alias_leaving_the_zone_names_the_target(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + "out IN CNAME mail.example.org.\n")
    found = backend(zones).lookup("plain.test", "out.plain.test")
    assert (found.status, found.alias_of, found.addresses) == (
        "nodata",
        "mail.example.org",
        frozenset(),
    )


def test_lookup_uses_a_wildcard(zones: Path) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + "*.hosts IN A 192.0.2.99\n")
    zf = backend(zones)
    assert {str(a) for a in zf.lookup("plain.test", "any.hosts.plain.test").addresses} == {
        "192.0.2.99"
    }
    assert zf.lookup("plain.test", "any.other.plain.test").status == "nxdomain"


def test_lookup_of_a_name_outside_the_zone_is_refused(zones: Path) -> None:
    with pytest.raises(InvalidInput, match="not in the zone"):
        backend(zones).lookup("plain.test", "mail.example.org")


DELEGATION = (
    "sub\tIN\tNS\tns.other.example.\n"
    "sub\tIN\tNS\tns.sub\n"
    "ns.sub\tIN\tA\t192.0.2.77\n"  # glue
    "mx.sub\tIN\tA\t192.0.2.78\n"  # occluded by the cut: not the zone's to publish
    "into\tIN\tCNAME\tmx.sub\n"
    "*.wild\tIN\tA\t192.0.2.79\n"
    "$ORIGIN wild.plain.test.\n"
    "cut\tIN\tNS\tns.other.example.\n"
)


@pytest.mark.parametrize(
    ("name", "status", "alias_of"),
    [
        ("sub.plain.test", "delegated", None),
        ("mx.sub.plain.test", "delegated", None),
        ("ns.sub.plain.test", "delegated", None),
        ("deep.below.sub.plain.test", "delegated", None),
        ("into.plain.test", "delegated", "mx.sub.plain.test"),
        ("x.cut.wild.plain.test", "delegated", None),  # the cut beats the wildcard
        ("other.wild.plain.test", "ok", None),
        ("mail.plain.test", "ok", None),
        ("nothing.plain.test", "nxdomain", None),
    ],
)
def test_lookup_reports_names_at_or_below_a_zone_cut_as_delegated(
    zones: Path, name: str, status: str, alias_of: str | None
) -> None:
    path = zones / "plain.test.zone"
    path.write_text(path.read_text() + DELEGATION)
    found = backend(zones).lookup_many("plain.test", [name])[name]
    assert (found.status, found.alias_of) == (status, alias_of)
    assert found.resolved == (status == "ok")
    assert DELEGATED == "delegated"


def test_the_apex_ns_records_are_no_zone_cut(zones: Path) -> None:
    found = backend(zones).lookup("plain.test", "ns1.plain.test")
    assert (found.status, {str(a) for a in found.addresses}) == ("ok", {"192.0.2.53"})


# -- failing to lock, read or write -------------------------------------------------------


def test_a_zone_path_that_is_a_directory_is_said_plainly(zones: Path) -> None:
    (zones / "dir.test.zone").mkdir()
    zf = backend(zones)
    assert not zf.exists("dir.test")
    for action in (
        lambda: zf.read("dir.test"),
        lambda: zf.lookup("dir.test", "mail.dir.test"),
        lambda: zf.create("dir.test", NEW, ""),
        lambda: zf.write("dir.test", NEW, Snapshot("dir.test", 1, MXSet())),
    ):
        with pytest.raises(StepFailed, match=r"dir\.test\.zone, is a directory; move it") as caught:
            action()
        assert caught.value.code == "zone_failed"
    assert (zones / "dir.test.zone").is_dir()


def test_a_locks_directory_that_is_a_file_is_a_step_failure(zones: Path) -> None:
    (zones.parent / "locks").write_text("not a directory\n")
    path = zones / "plain.test.zone"
    before = path.read_bytes()
    zf = backend(zones)
    with pytest.raises(StepFailed, match=r"Could not lock the zone plain\.test .*locks") as caught:
        zf.write("plain.test", NEW, zf.read("plain.test"))
    assert caught.value.step == "zone"
    assert path.read_bytes() == before
    with pytest.raises(StepFailed, match=r"Could not lock the zone fresh\.test"):
        zf.create("fresh.test", NEW, "")


def test_a_zones_directory_that_cannot_be_read_is_a_step_failure(zones: Path) -> None:
    blocked = zones.parent / "blocked"
    blocked.write_text("a file where the zones directory should be\n")
    zf = ZoneFileBackend(blocked, zones.parent / "locks")
    with pytest.raises(StepFailed, match=r"Could not read the zone file .*blocked.*plain\.test"):
        zf.read("plain.test")
    with pytest.raises(StepFailed, match=r"Could not write the zone file .*fresh\.test\.zone"):
        zf.create("fresh.test", NEW, "")


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_full_disk_while_writing_is_a_step_failure_that_changes_nothing(
    zones: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = zones / "plain.test.zone"
    before = path.read_bytes()
    zf = backend(zones)
    snapshot = zf.read("plain.test")
    no_space_after(monkeypatch, failing)
    with pytest.raises(StepFailed, match=r"Could not write the zone file .*No space left") as c:
        zf.write("plain.test", NEW, snapshot)
    monkeypatch.undo()
    assert c.value.step == "zone"
    assert "free space" in c.value.message
    assert path.read_bytes() == before
    assert not temp_files(zones)


def test_a_reload_failure_whose_undo_fails_too_says_both(
    zones: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zf = backend(zones, reload_command="sh -c 'echo rndc down >&2; exit 1'")
    snapshot = zf.read("plain.test")
    no_space_after(monkeypatch, "replace", 1)  # the new file goes in, the old one not back
    with pytest.raises(StepFailed, match=r"rndc down.*could not be put back") as caught:
        zf.write("plain.test", NEW, snapshot)
    assert caught.value.step == "zone"


def test_mx_lines_that_stay_keep_their_comments(zones: Path) -> None:
    zf = backend(zones)
    snapshot = zf.read("comments.test")
    grown = snapshot.mx.adding(MXRecord(30, "mx3.example.net"))
    zf.write("comments.test", grown, snapshot)
    text = text_of(zones, "comments.test")
    assert "@\tIN\tMX\t10 mail.comments.test. ; primary, in the rack\n" in text
    assert "@\tIN\tMX\t20 mx.example.net.     ; backup at the ISP\n" in text
    # The new record follows the last MX line that stayed.
    assert text.index("backup at the ISP") < text.index("30 mx3.example.net.")
    assert zf.read("comments.test").mx == grown

    shrunk = grown.removing(MXRecord(20, "mx.example.net"))
    zf.write("comments.test", shrunk, zf.read("comments.test"))
    text = text_of(zones, "comments.test")
    assert "; primary, in the rack" in text
    assert "backup at the ISP" not in text
    assert zf.read("comments.test").mx == shrunk
