"""A change whose step fails leaves the zone, the lists and the store as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.core.records import MXRecord
from mxroute.errors import StepFailed
from mxroute.service import Service
from mxroute.store.models import Change
from tests.service.conftest import ACTOR, ZONE, make_settings, state_of

FAIL = "sh -c 'echo {why} >&2; exit 1'"


def _service(home: Path, **overrides: object) -> Service:
    """A second Service on the same data directory, with other commands configured."""
    return Service(make_settings(home, **overrides))


def test_a_failing_zone_check_changes_nothing(service: Service) -> None:
    before = state_of(service)
    broken = _service(service.settings.home, zone_check_command=FAIL.format(why="bad-zone"))
    with pytest.raises(StepFailed, match="bad-zone") as failed:
        broken.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    assert failed.value.step == "zone_check"
    assert "zone check command failed" in failed.value.message
    assert state_of(service) == before


def test_a_failing_zone_reload_puts_everything_back(service: Service) -> None:
    files, rows, changes = state_of(service)
    zone_file = str(service.settings.zones_dir / f"{ZONE}.zone")
    snapshot = service.show(ZONE).snapshot
    broken = _service(service.settings.home, zone_reload_command=FAIL.format(why="rndc-down"))
    with pytest.raises(StepFailed, match="rndc-down") as failed:
        broken.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    assert failed.value.step == "zone_reload"
    assert "nothing was changed" not in failed.value.message
    restored_serial = service.show(ZONE).snapshot.serial
    assert f"put back under serial {restored_serial}" in failed.value.message
    files_after, rows_after, changes_after = state_of(service)
    assert (rows_after, changes_after) == (rows, changes)
    assert {k: v for k, v in files_after.items() if k != zone_file} == {
        k: v for k, v in files.items() if k != zone_file
    }
    # The records are back; the serial moved on, in case named loaded the failed version.
    restored = service.show(ZONE).snapshot
    assert restored.mx == snapshot.mx
    assert restored.serial > snapshot.serial + 1


def test_a_failing_lists_reload_changes_nothing(service: Service) -> None:
    before = state_of(service)
    broken = _service(service.settings.home, lists_reload_command=FAIL.format(why="exim-down"))
    # ns1.example.test has an address in the zone, not this server's: the domain turns
    # remote, so the lists must change.
    with pytest.raises(StepFailed, match="exim-down") as failed:
        broken.change_mx(ZONE, "mx.self.test", 10, 10, "ns1.example.test", actor=ACTOR)
    assert failed.value.code == "lists_reload_failed"
    assert state_of(service) == before


def test_a_failing_lists_reload_keeps_the_chosen_mode(service: Service) -> None:
    before = state_of(service)
    broken = _service(service.settings.home, lists_reload_command=FAIL.format(why="exim-down"))
    # This server is the most preferred exchanger: remote is forced (remote_mail_loop).
    with pytest.raises(StepFailed):
        broken.set_mode(ZONE, "remote", actor=ACTOR, force=True)
    assert state_of(service) == before


def test_a_store_failure_after_the_zone_write_restores_the_records(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    mx_before = service.show(ZONE).snapshot
    lists_before = {p.name: p.read_bytes() for p in service.settings.lists_dir.iterdir()}
    rows_before = Change.objects.count()

    def broken_insert(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    # The history insert is the only step after the zone write: make it fail.
    monkeypatch.setattr(Change.objects, "create", broken_insert)
    with pytest.raises(StepFailed, match="disk full") as failed:
        service.change_mx(ZONE, "mx.self.test", 10, 10, "mx.elsewhere.test", actor=ACTOR)
    monkeypatch.undo()
    assert failed.value.step == "store"

    after = service.show(ZONE).snapshot
    assert after.mx == mx_before.mx
    # The restore is a new zone version: secondaries that saw the change see it undone.
    assert after.serial != mx_before.serial
    assert {p.name: p.read_bytes() for p in service.settings.lists_dir.iterdir()} == lists_before
    assert Change.objects.count() == rows_before


def test_a_routing_list_that_cannot_be_put_back_is_reported(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = _service(service.settings.home, zone_check_command=FAIL.format(why="bad-zone"))

    change = broken.routing.change
    calls = []

    def stuck_on_undo(modes: object) -> bool:
        calls.append(modes)
        if len(calls) > 1:
            raise OSError(30, "Read-only file system")
        return change(modes)  # type: ignore[arg-type]

    monkeypatch.setattr(broken.routing, "change", stuck_on_undo)
    # The lists change (the domain turns remote), then the zone check fails.
    with pytest.raises(StepFailed) as failed:
        broken.change_mx(ZONE, "mx.self.test", 10, 10, "ns1.example.test", actor=ACTOR)
    assert "bad-zone" in failed.value.message
    assert "routing lists could not be put back" in failed.value.message
    assert "nothing was changed" not in failed.value.message


def test_a_new_zone_file_is_removed_when_saving_the_domain_fails(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(make_settings(tmp_path))

    def broken_insert(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Change.objects, "create", broken_insert)
    with pytest.raises(StepFailed, match="new zone file was removed"):
        service.add_domain("new.test", actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    monkeypatch.undo()
    assert not (tmp_path / "zones" / "new.test.zone").exists()
    # The domain was listed before the zone was created, and is listed no more.
    for listed in tmp_path.joinpath("lists").iterdir():
        assert b"new.test" not in listed.read_bytes()
