"""The zone-file backend against a real named: what DNS answers after mxroute writes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from datetime import date
from pathlib import Path

import dns.flags
import dns.rdatatype
import pytest
from hypothesis import given, settings

from mxroute.core.records import MXRecord, MXSet
from mxroute.dns.zonefile import ZoneFileBackend
from mxroute.errors import ConfigError, StepFailed
from tests.components import require
from tests.integration.bind import NamedServer, named_available
from tests.unit.test_zonefile_properties import Generated, mx_sets, zones

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "zones"
ZONES = sorted(p.name.removesuffix(".zone") for p in FIXTURES.glob("*.zone"))
# -i local: no lookups of out-of-zone names (tests never send traffic off loopback).
CHECK = "named-checkzone -i local {zone} {file}"
NEW = MXSet.of([MXRecord(5, "mx-a.example.org"), MXRecord(10, "mx-b.example.org")])


@pytest.fixture(scope="module")
def every_fixture(module_named: NamedServer) -> NamedServer:
    """One named serving a copy of every fixture zone (each test writes its own zone)."""
    for path in FIXTURES.iterdir():
        if path.is_file():
            shutil.copy(path, module_named.zones_dir / path.name)
    for zone in ZONES:
        module_named.add_zone(zone)
    return module_named


def served(
    named: NamedServer, zone: str, locks: Path, check_command: str = CHECK
) -> ZoneFileBackend:
    """Copy the fixtures into named's zones directory, serve ``zone``, wire the backend."""
    for path in FIXTURES.iterdir():
        if path.is_file() and not (named.zones_dir / path.name).exists():
            shutil.copy(path, named.zones_dir / path.name)
    named.add_zone(zone)
    return ZoneFileBackend(
        named.zones_dir, locks, check_command=check_command, reload_command=named.reload_command
    )


def served_mx(
    named: NamedServer, zone: str, serial: int | None = None
) -> tuple[set[tuple[int, str]], int]:
    """What named serves, once it serves ``serial`` (a reload is only queued by rndc)."""
    if serial is not None:
        named.wait_serial(zone, serial)
    return named.query_mx(zone)


def pairs(mx: MXSet) -> set[tuple[int, str]]:
    return {(r.priority, r.exchanger) for r in mx}


def checkzone(zones: Path, zone: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["named-checkzone", "-i", "local", zone, f"{zone}.zone"],
        cwd=zones,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("zone", [z for z in ZONES if z != "mxinclude.test"])
def test_after_a_write_named_serves_exactly_the_new_mx_set_and_serial(
    every_fixture: NamedServer, zone: str, tmp_path: Path
) -> None:
    named = every_fixture
    backend = served(named, zone, tmp_path)
    snapshot = backend.read(zone)
    assert served_mx(named, zone) == (pairs(snapshot.mx), snapshot.serial)
    written = backend.write(zone, NEW, snapshot)
    assert served_mx(named, zone, written.serial) == (pairs(NEW), written.serial)
    done = checkzone(named.zones_dir, zone)
    assert done.returncode == 0, done.stdout


def test_named_serves_a_null_mx_and_then_no_mx_at_all(named: NamedServer, tmp_path: Path) -> None:
    backend = served(named, "plain.test", tmp_path)
    null = MXSet.of([MXRecord(0, ".")])
    written = backend.write("plain.test", null, backend.read("plain.test"))
    assert served_mx(named, "plain.test", written.serial) == ({(0, ".")}, written.serial)
    written = backend.write("plain.test", MXSet(), written)
    assert served_mx(named, "plain.test", written.serial) == (set(), written.serial)


def test_the_owner_continuation_fix_keeps_what_named_serves_at_the_apex(
    named: NamedServer, tmp_path: Path
) -> None:
    backend = served(named, "continuation.test", tmp_path)
    before = named.query("continuation.test", "TXT").answer
    written = backend.write("continuation.test", MXSet(), backend.read("continuation.test"))
    named.wait_serial("continuation.test", written.serial)
    after = named.query("continuation.test", "TXT").answer
    assert {r.to_text() for rrset in before for r in rrset} == {
        r.to_text() for rrset in after for r in rrset
    }
    assert not named.query("www.continuation.test", "TXT").answer


def test_a_failing_check_command_leaves_the_served_zone_as_before(
    named: NamedServer, tmp_path: Path
) -> None:
    backend = served(named, "comments.test", tmp_path, check_command="false")
    before = served_mx(named, "comments.test")
    text = (named.zones_dir / "comments.test.zone").read_bytes()
    with pytest.raises(StepFailed):
        backend.write("comments.test", NEW, backend.read("comments.test"))
    named.rndc("reload", "comments.test")
    assert served_mx(named, "comments.test") == before
    assert (named.zones_dir / "comments.test.zone").read_bytes() == text


def test_named_checkzone_refusing_the_new_zone_stops_the_write(
    named: NamedServer, tmp_path: Path
) -> None:
    backend = served(named, "plain.test", tmp_path)
    # An in-zone MX pointing at a CNAME is an error for named-checkzone -M fail.
    backend.check_command = "named-checkzone -i local -M fail {zone} {file}"
    before = served_mx(named, "plain.test")
    with pytest.raises(StepFailed, match="CNAME"):
        backend.write(
            "plain.test", MXSet.of([MXRecord(10, "www.plain.test")]), backend.read("plain.test")
        )
    assert served_mx(named, "plain.test") == before


def test_a_failed_reload_restores_the_file_named_still_serves(
    named: NamedServer, tmp_path: Path
) -> None:
    backend = served(named, "plain.test", tmp_path)
    backend.reload_command = named.reload_command.replace(
        f"-p {named.control_port}", f"-p {named.port}"
    )  # the wrong port: rndc cannot connect
    before = served_mx(named, "plain.test")
    with pytest.raises(StepFailed) as caught:
        backend.write("plain.test", NEW, backend.read("plain.test"))
    assert caught.value.step == "zone_reload"
    restored = backend.read("plain.test")
    assert pairs(restored.mx) == before[0]
    named.rndc("reload", "plain.test")
    named.wait_serial("plain.test", restored.serial)
    assert served_mx(named, "plain.test") == (before[0], restored.serial)


def test_mx_in_an_included_file_is_served_but_not_written(
    named: NamedServer, tmp_path: Path
) -> None:
    backend = served(named, "mxinclude.test", tmp_path)
    snapshot = backend.read("mxinclude.test")
    assert served_mx(named, "mxinclude.test") == (pairs(snapshot.mx), snapshot.serial)
    with pytest.raises(ConfigError, match="included file"):
        backend.write("mxinclude.test", NEW, snapshot)


def test_a_created_zone_loads_in_named_with_its_mx_set(named: NamedServer, tmp_path: Path) -> None:
    backend = ZoneFileBackend(
        named.zones_dir,
        tmp_path,
        check_command=CHECK,
        today=lambda: date(2025, 3, 14),
    )
    created = backend.create("fresh.test", NEW, "")
    named.add_zone("fresh.test")
    assert created.serial == 2025031401
    assert served_mx(named, "fresh.test") == (pairs(NEW), 2025031401)
    assert {str(a) for a in backend.lookup("fresh.test", "ns1.fresh.test").addresses} == {
        "127.0.0.1"
    }


@settings(max_examples=25, deadline=None)
@given(zone=zones(), mx=mx_sets())
def test_named_checkzone_accepts_every_generated_zone_after_a_write(
    zone: Generated, mx: MXSet
) -> None:
    require(named_available(), "BIND (named)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "prop.test.zone").write_text(zone.text)
        backend = ZoneFileBackend(root, root / "locks", check_command=CHECK)
        backend.write("prop.test", mx, backend.read("prop.test"))
        done = checkzone(root, "prop.test")
        assert done.returncode == 0, done.stdout


def test_named_serves_the_ttl_the_old_mx_lines_had(named: NamedServer, tmp_path: Path) -> None:
    path = named.zones_dir / "plain.test.zone"
    backend = served(named, "plain.test", tmp_path)
    path.write_text(path.read_text().replace("plain.test.\tIN\tMX", "plain.test.\t14400\tIN\tMX"))
    named.rndc("reload", "plain.test")
    backend.ttl = 900
    written = backend.write("plain.test", NEW, backend.read("plain.test"))
    named.wait_serial("plain.test", written.serial)
    [rrset] = named.query("plain.test", "MX").answer
    assert rrset.ttl == 14400
    assert served_mx(named, "plain.test") == (pairs(NEW), written.serial)


def test_lookup_and_named_agree_that_a_delegated_name_is_not_the_zones(
    named: NamedServer, tmp_path: Path
) -> None:
    path = named.zones_dir / "plain.test.zone"
    backend = served(named, "plain.test", tmp_path)
    path.write_text(
        path.read_text()
        + "sub.plain.test.\tIN\tNS\tns.sub.plain.test.\n"
        + "ns.sub.plain.test.\tIN\tA\t192.0.2.77\n"
        + "mx.sub.plain.test.\tIN\tA\t192.0.2.78\n"
    )
    written = backend.write("plain.test", NEW, backend.read("plain.test"))  # serial + reload
    named.wait_serial("plain.test", written.serial)
    for name in ("mx.sub.plain.test", "ns.sub.plain.test", "sub.plain.test"):
        reply = named.query(name, "A")
        # named answers with a referral: no answer, not authoritative, the cut's NS.
        assert not reply.answer and not reply.flags & dns.flags.AA, name
        assert any(rrset.rdtype == dns.rdatatype.NS for rrset in reply.authority), name
        assert backend.lookup("plain.test", name).status == "delegated"
    assert backend.lookup("plain.test", "mail.plain.test").status == "ok"
