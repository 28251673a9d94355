"""Verified apply and zones named maintains itself, against a real named.

A change is kept only when named serves it: after the reload mxroute asks named for the
new serial and MX set; a reload that loads nothing, or a zone named refuses to load, is
rolled back (zone file and routing lists) and reported with what named answered. A
dynamic zone (``update-policy`` with a TSIG key) is never edited behind named's back.
"""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from mxroute.config import Settings
from mxroute.errors import ConfigError, StepFailed
from mxroute.service import Service
from tests.integration.bind import NamedServer
from tests.service.conftest import ACTOR, make_settings

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "zones"
CHECK = "named-checkzone -q -i local {zone} {file}"
ZONE = "plain.test"
OLD = {(10, "mail.plain.test"), (20, "backup.example.net")}
OLD_SERIAL = 2024010101


def _settings(named: NamedServer, home: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "zones_dir": named.zones_dir,
        "zone_check_command": CHECK,
        "zone_reload_command": named.reload_command,
        "verify_servers": (f"{named.address}:{named.port}",),
        # Short, so a change named does not serve fails soon (no test measures time).
        "verify_timeout": 3.0,
    }
    values.update(overrides)
    return make_settings(home, **values)


def _serve(named: NamedServer, zone: str, extra: str = "") -> Path:
    """The plain.test fixture as ``zone`` (plus ``extra`` lines), served by named."""
    path = named.zones_dir / f"{zone}.zone"
    text = (FIXTURES / "plain.test.zone").read_text().replace("plain.test", zone)
    path.write_text(text + extra)
    shutil.chown(path, "bind", "bind")  # named rewrites the file of a dynamic zone
    named.add_zone(zone)
    return path


def _managed(settings: Settings, zone: str = ZONE) -> Service:
    service = Service(settings)
    service.add_domain(zone, actor=ACTOR)
    return service


def _lists(settings: Settings) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in Path(settings.lists_dir).iterdir()}


def _intent(zone: str, action: str) -> object:
    from mxroute.store.models import Intent

    return Intent.objects.filter(domain_name=zone, action=action).get()


def _answers(named: NamedServer, name: str) -> set[str]:
    return {rdata.to_text() for rrset in named.query(name, "A").answer for rdata in rrset}


def _rndc(named: NamedServer, command: str) -> str:
    return shlex.join(named.rndc_argv) + f" {command} {{zone}}"


# ----- verified apply ------------------------------------------------------------------


def test_a_change_named_serves_is_verified_and_recorded_as_verified(
    named: NamedServer, tmp_path: Path, db: None
) -> None:
    from mxroute.store.models import Change

    _serve(named, ZONE)
    service = _managed(_settings(named, tmp_path))
    result = service.add_mx(ZONE, 30, "mx3.example.net", actor=ACTOR)
    # No waiting here: the change returned only once named served it.
    assert named.query_mx(ZONE) == (OLD | {(30, "mx3.example.net")}, result.serial_after)
    intent = _intent(ZONE, "add_mx")
    assert intent.state == "applied"  # type: ignore[attr-defined]
    verification = intent.plan["verification"]  # type: ignore[attr-defined]
    assert verification["verified"] is True
    [answer] = verification["servers"]
    assert answer["server"] == f"127.0.0.1:{named.port}"
    assert answer["served_serial"] == result.serial_after
    assert "30 mx3.example.net" in answer["mx"]
    assert Change.objects.filter(domain_name=ZONE, action="add_mx").count() == 1


def test_without_verify_servers_the_resolver_server_is_asked(
    named: NamedServer, tmp_path: Path, db: None
) -> None:
    _serve(named, ZONE)
    settings = _settings(
        named, tmp_path, verify_servers=(), resolver_server="127.0.0.1", resolver_port=named.port
    )
    service = _managed(settings)
    service.add_mx(ZONE, 30, "mx3.example.net", actor=ACTOR)
    [answer] = _intent(ZONE, "add_mx").plan["verification"]["servers"]  # type: ignore[attr-defined]
    assert answer["server"] == f"127.0.0.1:{named.port}"


def test_a_reload_that_loads_nothing_is_rolled_back_and_reported(
    named: NamedServer, tmp_path: Path, db: None
) -> None:
    from mxroute.store.models import Change, StepStatus

    zone_file = _serve(named, ZONE)
    service = _managed(_settings(named, tmp_path))
    lists = _lists(service.settings)
    history = Change.objects.count()
    quiet = Service(_settings(named, tmp_path, zone_reload_command="true"))
    with pytest.raises(StepFailed) as failed:
        quiet.add_mx(ZONE, 30, "mx3.example.net", actor=ACTOR, mode="backup")
    message = failed.value.message
    assert failed.value.code == "zone_verify_failed"
    assert f"127.0.0.1:{named.port} served serial {OLD_SERIAL} with MX" in message
    assert "the MX records were put back as they were" in message
    assert "\n" not in message and message.endswith(".")
    # named serves the old set; the file and the routing lists hold it again.
    assert named.query_mx(ZONE) == (OLD, OLD_SERIAL)
    assert {(r.priority, r.exchanger) for r in service.show(ZONE).snapshot.mx} == OLD
    assert "mx3.example.net" not in zone_file.read_text()
    assert _lists(service.settings) == lists
    assert service.show(ZONE).mode.value == "auto"
    # The outcome is kept with the abandoned change; the history has no change.
    intent = _intent(ZONE, "add_mx")
    assert intent.state == "abandoned"  # type: ignore[attr-defined]
    verification = intent.plan["verification"]  # type: ignore[attr-defined]
    assert verification["verified"] is False and verification["rolled_back"] is True
    assert verification["servers"][0]["served_serial"] == OLD_SERIAL
    assert Change.objects.count() == history
    assert StepStatus.objects.get(step="zone_reload").ok is False


def _hundred_mx() -> str:
    return "".join(f"plain.test.\tIN\tMX\t{30 + n} mx{n}.example.net.\n" for n in range(98))


@pytest.mark.parametrize("refusal", ["101 MX records", "an unreadable $INCLUDE"])
def test_a_zone_named_refuses_to_load_is_rolled_back_and_the_old_set_stays_served(
    named: NamedServer, tmp_path: Path, db: None, refusal: str
) -> None:
    if refusal == "101 MX records":
        # 100 MX records load; the 101st is over BIND 9.18's max-records-per-type.
        zone_file = _serve(named, ZONE, _hundred_mx())
        settings = _settings(named, tmp_path, max_mx_records=101)
    else:
        include = named.zones_dir / "hosts.inc"
        include.write_text("www2.plain.test.\tIN\tA\t192.0.2.80\n")
        zone_file = _serve(named, ZONE, "$INCLUDE hosts.inc\n")
        include.chmod(0o600)  # mxroute (root) reads it; named (bind) no longer can
        shutil.chown(include, "root", "root")
        settings = _settings(named, tmp_path)
    served_before, serial_before = named.query_mx(ZONE)
    service = _managed(settings)
    with pytest.raises(StepFailed) as failed:
        service.add_mx(ZONE, 29, "mx-new.example.net", actor=ACTOR)
    assert failed.value.code == "zone_verify_failed"
    assert f"served serial {serial_before}" in failed.value.message
    assert "put back" in failed.value.message
    served, _ = named.query_mx(ZONE)
    assert served == served_before
    assert "mx-new.example.net" not in zone_file.read_text()
    assert {(r.priority, r.exchanger) for r in service.show(ZONE).snapshot.mx} == served_before


# ----- zones named maintains itself ----------------------------------------------------

DYN = "dyn.test"


def test_a_dynamic_zone_is_refused_without_freeze_and_thaw_and_left_untouched(
    named: NamedServer, tmp_path: Path, db: None
) -> None:
    named.allow_updates(DYN)
    zone_file = _serve(named, DYN)
    service = _managed(_settings(named, tmp_path), DYN)
    named.nsupdate(DYN, "update add d1.dyn.test. 300 A 192.0.2.1")
    journal = zone_file.with_name(zone_file.name + ".jnl")
    files = {p: p.read_bytes() for p in (zone_file, journal)}
    with pytest.raises(ConfigError) as refused:
        service.add_mx(DYN, 30, "mx3.example.net", actor=ACTOR)
    assert refused.value.code == "zone_dynamic"
    assert "dyn.test.zone.jnl" in refused.value.message
    assert "freeze_command and thaw_command" in refused.value.message
    assert {p: p.read_bytes() for p in files} == files
    assert _answers(named, "d1.dyn.test") == {"192.0.2.1"}
    assert (30, "mx3.example.net") not in named.query_mx(DYN)[0]


def test_named_conf_tells_a_dynamic_zone_before_it_has_a_journal(
    named: NamedServer, tmp_path: Path, db: None
) -> None:
    named.allow_updates(DYN)
    zone_file = _serve(named, DYN)
    before = zone_file.read_bytes()
    service = _managed(_settings(named, tmp_path, named_conf=named.conf_file), DYN)
    with pytest.raises(ConfigError, match=r"named\.conf gives it update-policy") as refused:
        service.add_mx(DYN, 30, "mx3.example.net", actor=ACTOR)
    assert refused.value.code == "zone_dynamic"
    assert zone_file.read_bytes() == before


def test_a_dynamic_zone_is_edited_between_freeze_and_thaw_and_keeps_its_updates(
    named: NamedServer, tmp_path: Path, db: None
) -> None:
    named.allow_updates(DYN)
    _serve(named, DYN)
    settings = _settings(
        named,
        tmp_path,
        zone_freeze_command=_rndc(named, "freeze"),
        zone_thaw_command=_rndc(named, "thaw"),
        named_conf=named.conf_file,
    )
    service = _managed(settings, DYN)
    # Records added by dynamic update before the change: only in named's journal.
    named.nsupdate(DYN, "update add d1.dyn.test. 300 A 192.0.2.1")
    named.nsupdate(DYN, "update add d2.dyn.test. 300 A 192.0.2.2")
    service.add_mx(DYN, 30, "mx3.example.net", actor=ACTOR)
    new = {(10, "mail.dyn.test"), (20, "backup.example.net"), (30, "mx3.example.net")}
    assert named.query_mx(DYN)[0] == new
    assert _answers(named, "d1.dyn.test") == {"192.0.2.1"}
    assert _answers(named, "d2.dyn.test") == {"192.0.2.2"}
    # Updates are taken again after the thaw, and a second change keeps them too.
    named.nsupdate(DYN, "update add d3.dyn.test. 300 A 192.0.2.3")
    assert _answers(named, "d3.dyn.test") == {"192.0.2.3"}
    service.delete_mx(DYN, 20, "backup.example.net", actor=ACTOR)
    assert named.query_mx(DYN)[0] == new - {(20, "backup.example.net")}
    for name, address in (("d1", "192.0.2.1"), ("d2", "192.0.2.2"), ("d3", "192.0.2.3")):
        assert _answers(named, f"{name}.dyn.test") == {address}
    assert _intent(DYN, "delete_mx").plan["verification"]["verified"] is True  # type: ignore[attr-defined]
