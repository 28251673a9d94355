"""Changes left half-done by a killed writer are settled, never replayed over newer ones.

A ``kill -9`` is simulated in-process: the step after the zone write raises an
exception that nothing catches, and the undo is switched off, as if the process had
died there. Real ``kill -9``s of real processes are in tests/integration/test_crash.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mxroute.core.records import MXRecord
from mxroute.core.routing import Mode
from mxroute.mta.lists import FILES, parse
from mxroute.service import Service
from mxroute.service import apply as apply_module
from mxroute.store.models import Change, Domain, Intent
from tests.service.conftest import ACTOR, ZONE, make_settings

ELSEWHERE = "ns1.example.test"  # has an address in the zone: the domain turns remote


class Killed(BaseException):
    """The process died here."""


def _die_after_the_zone_write(monkeypatch: pytest.MonkeyPatch) -> None:
    def store_step(*args: object, **kwargs: object) -> None:
        raise Killed

    def no_undo(self: object, plan: object, done: object, intent_id: int, exc: BaseException):  # type: ignore[no-untyped-def]
        return exc

    monkeypatch.setattr(apply_module, "record_store_step", store_step)
    monkeypatch.setattr(apply_module.Applier, "_undo", no_undo)


def _lists(service: Service) -> dict[str, Mode]:
    directory = Path(service.settings.lists_dir)
    return parse({n: (directory / n).read_bytes() for n in FILES})


def _crash_mid_change(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patched:
        _die_after_the_zone_write(patched)
        with pytest.raises(Killed):
            service.change_mx(ZONE, "mx.self.test", 10, 10, ELSEWHERE, actor=ACTOR)
    assert Intent.objects.filter(state="pending").count() == 1


def test_the_next_start_completes_a_change_that_reached_the_zone(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_mid_change(service, monkeypatch)
    assert Domain.objects.get(name=ZONE).effective_mode is Mode.LOCAL  # not recorded yet
    made = Intent.objects.get(state="pending").created_at
    said = Service(service.settings).reconcile()
    assert len(said) == 1 and "completed" in said[0]
    # Dated when it was made, not when it was settled.
    assert Change.objects.get(action="change_mx").at == made
    assert Domain.objects.get(name=ZONE).effective_mode is Mode.REMOTE
    assert _lists(service)[ZONE] is Mode.REMOTE
    assert Intent.objects.filter(state="pending").count() == 0


def test_a_later_change_settles_the_dead_one_first_and_is_not_undone_by_it(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_mid_change(service, monkeypatch)
    # No restart in between (a long-running server): the next change comes first.
    service.set_mode(ZONE, "local", actor=ACTOR)
    assert list(Change.objects.order_by("id").values_list("action", flat=True))[-2:] == [
        "change_mx",
        "set_mode",
    ]
    assert Service(service.settings).reconcile() == []
    row = Domain.objects.get(name=ZONE)
    assert row.chosen_mode is Mode.LOCAL
    assert _lists(service)[ZONE] is Mode.LOCAL


def test_a_removed_domain_does_not_stop_the_next_start(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    _crash_mid_change(service, monkeypatch)
    service.remove_domain(ZONE, actor=ACTOR)
    Service(service.settings).reconcile()
    assert not Domain.objects.filter(name=ZONE).exists()
    assert ZONE not in _lists(service)
    assert Intent.objects.filter(state="pending").count() == 0


def test_a_change_that_died_before_the_zone_is_dropped_and_the_lists_repaired(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone_file = service.settings.zones_dir / f"{ZONE}.zone"
    before = zone_file.read_bytes()

    def die(*args: object, **kwargs: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        _die_after_the_zone_write(patched)
        patched.setattr(type(service.zones), "write", die)
        with pytest.raises(Killed):
            service.change_mx(ZONE, "mx.self.test", 10, 10, ELSEWHERE, actor=ACTOR)
    assert _lists(service)[ZONE] is Mode.REMOTE  # the lists moved before the zone
    said = Service(service.settings).reconcile()
    assert "dropped" in said[0]
    assert zone_file.read_bytes() == before
    assert _lists(service)[ZONE] is Mode.LOCAL
    assert Change.objects.filter(action="change_mx").count() == 0


def test_detect_all_leaves_out_a_domain_changed_while_it_looked_up_names(
    tmp_path: Path, db: None
) -> None:
    service = Service(make_settings(tmp_path))
    service.add_domain("a.test", actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    zone = service.settings.zones_dir / "a.test.zone"
    # By hand: this server leaves the records, but the row still says local.
    zone.write_text(zone.read_text().replace("mx.self.test.", "ns1.a.test."))
    resolve = service.addresses.resolve

    def resolve_while_someone_adds(*args, **kwargs):  # type: ignore[no-untyped-def]
        found = resolve(*args, **kwargs)
        if not getattr(resolve_while_someone_adds, "done", False):
            resolve_while_someone_adds.done = True  # type: ignore[attr-defined]
            # Meanwhile an owner makes this server the most preferred exchanger again.
            other = Service(service.settings)
            other.add_mx("a.test", 5, "mx.self.test", actor=ACTOR)
        return found

    service.addresses.resolve = resolve_while_someone_adds  # type: ignore[method-assign]
    _, failures = service.detect_all(actor=ACTOR)
    assert failures == {}
    assert Domain.objects.get(name="a.test").effective_mode is Mode.LOCAL
    assert _lists(service)["a.test"] is Mode.LOCAL


def test_a_failed_lists_reload_in_detect_all_leaves_store_and_lists_agreeing(
    service: Service,
) -> None:
    zone = service.settings.zones_dir / f"{ZONE}.zone"
    zone.write_text(zone.read_text().replace("mx.self.test.", f"{ELSEWHERE}."))
    failing = Service(make_settings(service.settings.home, lists_reload_command="false"))
    _, failures = failing.detect_all(actor=ACTOR)
    assert ZONE in failures
    assert Domain.objects.get(name=ZONE).effective_mode is Mode.LOCAL
    assert _lists(service)[ZONE] is Mode.LOCAL
    # Without the failing reload, detect --all moves both.
    service.detect_all(actor=ACTOR)
    assert Domain.objects.get(name=ZONE).effective_mode is Mode.REMOTE
    assert _lists(service)[ZONE] is Mode.REMOTE


def test_detect_all_repairs_a_routing_entry_removed_by_hand(service: Service) -> None:
    (Path(service.settings.lists_dir) / "localdomains").write_bytes(b"")
    assert ZONE not in _lists(service)
    service.detect_all(actor=ACTOR)
    assert _lists(service)[ZONE] is Mode.LOCAL


def test_detect_all_does_not_hold_other_domains_while_one_is_busy(tmp_path: Path, db: None) -> None:
    service = Service(make_settings(tmp_path))
    for name in ("a.test", "b.test"):
        service.add_domain(name, actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    held, release = threading.Event(), threading.Event()
    released_at: list[float] = []

    def slow_change() -> None:  # another writer of a.test, in the middle of its reload
        with service.locks.hold("a.test"):
            held.set()
            release.wait(10)
            released_at.append(time.time())

    writer = threading.Thread(target=slow_change)
    writer.start()
    held.wait(10)
    threading.Timer(1.0, release.set).start()
    results, failures = service.detect_all(actor=ACTOR)
    writer.join()
    assert failures == {}
    assert sorted(r.domain for r in results) == ["a.test", "b.test"]
    b = Domain.objects.get(name="b.test")
    a = Domain.objects.get(name="a.test")
    assert b.detected_at is not None and a.detected_at is not None
    # b.test was detected while a.test's writer still held it; a.test after.
    assert b.detected_at.timestamp() < released_at[0] <= a.detected_at.timestamp()
