"""The use-cases end to end over real zone files, lists and the test database."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.core.records import MXRecord
from mxroute.core.routing import Mode
from mxroute.errors import Conflict, InvalidInput, StepFailed
from mxroute.service import Service
from mxroute.service.wiring import build
from mxroute.store.models import Change, Domain
from tests.service.conftest import (
    ACTOR,
    ZONE,
    KnownAnswers,
    add_fixture_domain,
    make_settings,
    state_of,
)


def _lists(service: Service) -> dict[str, set[str]]:
    return {
        p.name: set(p.read_text().split()) for p in sorted(service.settings.lists_dir.iterdir())
    }


def test_adding_a_domain_creates_a_zone_that_reads_back(service: Service) -> None:
    state = service.show(ZONE)
    assert [str(r) for r in state.snapshot.mx] == ["10 mx.self.test"]
    assert state.effective is Mode.LOCAL
    assert ZONE in _lists(service)["localdomains"]


def test_moving_this_server_behind_a_better_exchanger_makes_it_a_backup(
    service: Service,
) -> None:
    result = service.add_mx(ZONE, 5, "ns1.example.test", actor=ACTOR)
    assert (result.effective_before, result.effective_after) == (Mode.LOCAL, Mode.BACKUP)
    assert [(e.record.exchanger) for e in result.detection.relay_to] == ["ns1.example.test"]
    lists = _lists(service)
    assert ZONE in lists["secondarymx"] and ZONE in lists["remotedomains"]
    assert ZONE not in lists["localdomains"]
    row = Change.objects.order_by("-id").first()
    assert row is not None and row.summary.endswith("Routing changed from local to backup.")
    assert (row.serial_before, row.serial_after) == (result.serial_before, result.serial_after)


def test_an_edit_that_changes_nothing_records_nothing(service: Service) -> None:
    rows = Change.objects.count()
    result = service.change_mx(ZONE, "mx.self.test", 10, 10, "MX.Self.Test.", actor=ACTOR)
    assert not result.changed
    assert result.serial_after == result.serial_before
    assert Change.objects.count() == rows


def test_a_pinned_serial_that_is_stale_is_refused(service: Service) -> None:
    serial = service.show(ZONE).snapshot.serial
    service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    before = state_of(service)
    with pytest.raises(Conflict, match="changed since you read them"):
        service.add_mx(ZONE, 30, "mx3.example.test", actor=ACTOR, expected_serial=serial)
    assert state_of(service) == before


def test_detection_from_a_stale_read_is_refused_not_recorded(service: Service) -> None:
    stale = service.plan(ZONE, "detect", lambda mx: (mx, "Detected."), ACTOR)
    other = Service(service.settings)
    other.change_mx(ZONE, "mx.self.test", 10, 10, "ns1.example.test", actor=ACTOR)
    with pytest.raises(Conflict):
        service.apply(stale, ACTOR)
    row = Domain.objects.get(name=ZONE)
    assert row.effective_mode is Mode.REMOTE
    assert ZONE in _lists(service)["remotedomains"]


def test_detect_all_reports_a_broken_zone_and_detects_the_others(service: Service) -> None:
    service.add_domain("other.test", actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    zone_file = service.settings.zones_dir / "other.test.zone"
    zone_file.unlink()
    results, failures = service.detect_all(actor=ACTOR)
    assert [r.domain for r in results] == [ZONE]
    assert list(failures) == ["other.test"]
    assert failures["other.test"].endswith(".")


def test_removing_a_domain_keeps_its_zone_and_takes_it_off_the_lists(service: Service) -> None:
    zone_file = service.settings.zones_dir / f"{ZONE}.zone"
    text = zone_file.read_bytes()
    service.remove_domain(ZONE, actor=ACTOR)
    assert zone_file.read_bytes() == text
    assert all(ZONE not in names for names in _lists(service).values())
    assert not Domain.objects.filter(name=ZONE).exists()
    last = Change.objects.order_by("-id").first()
    assert last is not None and (last.action, last.domain_name) == ("remove_domain", ZONE)


def test_records_for_a_domain_whose_zone_exists_are_refused(service: Service) -> None:
    service.remove_domain(ZONE, actor=ACTOR)
    before = state_of(service)
    with pytest.raises(InvalidInput) as refused:
        service.add_domain(ZONE, actor=ACTOR, mx=[MXRecord(20, "mx2.example.test")])
    assert refused.value.code == "zone_exists"
    assert state_of(service) == before


def test_a_domain_whose_lists_step_fails_leaves_no_zone_file_behind(
    tmp_path: Path, db: None
) -> None:
    broken = Service(make_settings(tmp_path, lists_reload_command="false"))
    with pytest.raises(StepFailed):
        broken.add_domain("new.test", actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    assert not (tmp_path / "zones" / "new.test.zone").exists()
    assert not Domain.objects.filter(name="new.test").exists()
    assert not Change.objects.exists()


def test_history_lists_the_changes_newest_first(service: Service) -> None:
    service.add_mx(ZONE, 5, "mx2.example.test", actor=ACTOR)  # this server is the backup
    service.set_mode(ZONE, "backup", actor=ACTOR)
    entries = service.history(ZONE)
    assert [e.action for e in entries] == ["set_mode", "add_mx", "add_domain"]
    assert entries[0].mode_before == "auto" and entries[0].mode_after == "backup"
    assert entries[0].actor == "tester" and entries[0].interface == "cli"


def test_an_exchanger_below_a_zone_cut_is_resolved_by_dns_not_by_the_glue(
    tmp_path: Path, db: None
) -> None:
    dns = KnownAnswers({"mx.sub.example.test": "198.51.100.77"})
    settings = make_settings(tmp_path)
    service = Service(settings, build(settings, resolver=dns))  # type: ignore[arg-type]
    service.add_domain(ZONE, actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    zone_file = service.settings.zones_dir / f"{ZONE}.zone"
    # Glue that would make mx.sub this server, if the parent zone's copy were believed.
    with zone_file.open("a") as out:
        out.write("sub IN NS ns.elsewhere.test.\nmx.sub IN A 192.0.2.1\n")
    result = service.add_mx(ZONE, 5, "mx.sub.example.test", actor=ACTOR)
    entry = result.detection.groups[0][1][0]
    assert entry.record.exchanger == "mx.sub.example.test"
    assert [str(a) for a in entry.addresses] == ["198.51.100.77"]
    assert not entry.is_self
    assert result.effective_after is Mode.BACKUP
    assert "mx.sub.example.test" in dns.asked


def test_another_domains_broken_zone_does_not_block_this_one(service: Service) -> None:
    add_fixture_domain(service, "other.test")
    service.add_mx(ZONE, 20, "mx1.other.test", actor=ACTOR)
    (service.settings.zones_dir / "other.test.zone").write_text("this is not a zone\n")
    state = service.show(ZONE)  # mx1.other.test lives in the broken zone
    assert state.effective is Mode.LOCAL
    result = service.add_mx(ZONE, 30, "mx3.example.test", actor=ACTOR)
    assert result.changed
