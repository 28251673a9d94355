"""Zones named maintains itself: refused, or edited between the freeze and thaw commands.

The commands here are shell stand-ins for ``rndc freeze`` and ``rndc thaw`` that log what
ran to ``events`` (in the zones directory, where commands run); the real named is in
tests/integration/test_verified_apply.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mxroute.core.records import MXRecord, MXSet
from mxroute.dns.zonefile import ZoneFileBackend
from mxroute.errors import ConfigError, Conflict, StepFailed
from tests.unit.test_zonefile import NEW, TODAY, ZONES

ZONE = "plain.test"


def log(what: str) -> str:
    """A command that logs ``what`` and the zone it was given."""
    return f"sh -c 'echo {what} $0 >> events' {{zone}}"


# What named does on a freeze: the journal's updates are written into the file.
FLUSH = (
    'sh -c \'echo freeze >> events; sed -i s/2024010101/2024010105/ "$0"; '
    'echo "d1.plain.test. 300 IN A 192.0.2.1" >> "$0"\' {file}'
)


@pytest.fixture
def zones(tmp_path: Path) -> Path:
    target = tmp_path / "zones"
    target.mkdir()
    shutil.copy(ZONES / "plain.test.zone", target)
    return target


def backend(zones: Path, **commands: str) -> ZoneFileBackend:
    return ZoneFileBackend(zones, zones.parent / "locks", today=lambda: TODAY, **commands)  # type: ignore[arg-type]


def events(zones: Path) -> list[str]:
    path = zones / "events"
    return path.read_text().split("\n")[:-1] if path.exists() else []


def journal(zones: Path) -> Path:
    path = zones / "plain.test.zone.jnl"
    path.write_bytes(b"journal bytes named wrote")
    return path


def test_a_zone_with_a_journal_is_refused_and_left_as_it_was(zones: Path) -> None:
    jnl = journal(zones)
    before = (zones / "plain.test.zone").read_bytes()
    zf = backend(zones)
    with pytest.raises(ConfigError, match=r"plain\.test\.zone\.jnl") as refused:
        zf.write(ZONE, NEW, zf.read(ZONE))
    assert refused.value.code == "zone_dynamic"
    assert "freeze_command and thaw_command" in refused.value.message
    with pytest.raises(ConfigError):
        zf.check_editable(ZONE)
    assert (zones / "plain.test.zone").read_bytes() == before
    assert jnl.read_bytes() == b"journal bytes named wrote"


def test_a_zone_named_conf_allows_updates_to_is_refused(zones: Path) -> None:
    conf = zones.parent / "named.conf"
    conf.write_text('zone "plain.test" { type primary; allow-update { 127.0.0.1; }; };\n')
    zf = backend(zones)
    zf.named_conf = conf
    with pytest.raises(ConfigError, match=r"named\.conf gives it allow-update"):
        zf.write(ZONE, NEW, zf.read(ZONE))
    zf.named_conf = None
    zf.write(ZONE, NEW, zf.read(ZONE))  # without named.conf, nothing says so


def test_with_freeze_and_thaw_the_zone_is_read_again_after_the_freeze_and_edited(
    zones: Path,
) -> None:
    journal(zones)
    zf = backend(zones, freeze_command=FLUSH, thaw_command=log("thaw"))
    written = zf.write(ZONE, NEW, zf.read(ZONE))
    assert events(zones) == ["freeze", "thaw plain.test"]
    text = (zones / "plain.test.zone").read_text()
    assert "d1.plain.test. 300 IN A 192.0.2.1" in text  # the flushed update is kept
    assert written.serial > 2024010105  # after the serial named moved to
    assert zf.read(ZONE) == written


def test_the_thaw_runs_when_the_edit_fails(zones: Path) -> None:
    journal(zones)
    # The journal held an MX update: after the freeze the MX set is not what was read.
    flush_mx = (
        'sh -c \'echo freeze >> events; echo "plain.test. IN MX 99 new.example.net." >> "$0"\' '
        "{file}"
    )
    zf = backend(zones, freeze_command=flush_mx, thaw_command=log("thaw"))
    with pytest.raises(Conflict):
        zf.write(ZONE, NEW, zf.read(ZONE))
    assert events(zones) == ["freeze", "thaw plain.test"]
    assert MXRecord(99, "new.example.net") in zf.read(ZONE).mx


def test_a_failed_freeze_changes_nothing_and_thaws_nothing(zones: Path) -> None:
    """Not thawed: whoever froze the zone (an operator editing it) still holds it."""
    journal(zones)
    before = (zones / "plain.test.zone").read_bytes()
    zf = backend(
        zones,
        freeze_command="sh -c 'echo already frozen >&2; exit 1'",
        thaw_command=log("thaw"),
    )
    with pytest.raises(StepFailed, match="already frozen") as failed:
        zf.write(ZONE, NEW, zf.read(ZONE))
    assert failed.value.step == "zone_freeze"
    assert (zones / "plain.test.zone").read_bytes() == before
    assert events(zones) == []


def test_a_failed_thaw_puts_the_previous_records_back(zones: Path) -> None:
    journal(zones)
    snapshot = backend(zones).read(ZONE)
    zf = backend(
        zones,
        freeze_command=log("freeze"),
        thaw_command="sh -c 'echo thaw >> events; echo zone not found >&2; exit 1'",
    )
    with pytest.raises(StepFailed, match="zone not found") as failed:
        zf.write(ZONE, NEW, snapshot)
    assert failed.value.step == "zone_thaw"
    assert "put back" in failed.value.undone
    after = zf.read(ZONE)
    assert after.mx == snapshot.mx and after.serial > snapshot.serial
    assert events(zones) == ["freeze plain.test", "thaw", "thaw"]


def test_publishing_a_dynamic_zone_thaws_it_instead_of_reloading(zones: Path) -> None:
    journal(zones)
    zf = backend(
        zones,
        freeze_command=log("freeze"),
        thaw_command=log("thaw"),
        reload_command=log("reload"),
    )
    zf.publish(ZONE)
    assert events(zones) == ["thaw plain.test"]


def test_a_static_zone_is_written_without_freezing(zones: Path) -> None:
    zf = backend(
        zones,
        freeze_command=log("freeze"),
        thaw_command=log("thaw"),
        reload_command=log("reload"),
    )
    zf.write(ZONE, MXSet.of([MXRecord(10, "mx.example.net")]), zf.read(ZONE))
    assert events(zones) == ["reload plain.test"]
