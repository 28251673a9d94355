"""The ZoneStore contract: every implementation (in memory, zone files) passes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mxroute.core.records import MXRecord, MXSet
from mxroute.dns.base import ZoneStore
from mxroute.dns.memory import MemoryZones
from mxroute.dns.zonefile import ZoneFileBackend
from mxroute.errors import Conflict, MxrouteError, NotFound

ZONE = "contract.test"
ONE = MXSet.of([MXRecord(10, "mx.contract.test")])
TWO = MXSet.of([MXRecord(10, "mx.contract.test"), MXRecord(20, "mx2.elsewhere.test")])


@pytest.fixture(params=["memory", "zonefile"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ZoneStore]:
    if request.param == "memory":
        yield MemoryZones()
    else:
        yield ZoneFileBackend(tmp_path / "zones", tmp_path / "locks")


def test_a_created_zone_reads_back_as_created(store: ZoneStore) -> None:
    assert not store.exists(ZONE)
    created = store.create(ZONE, ONE, "ns1.elsewhere.test")
    assert store.exists(ZONE)
    assert store.read(ZONE) == created
    assert created.mx == ONE


def test_creating_an_existing_zone_is_refused(store: ZoneStore) -> None:
    store.create(ZONE, ONE, "")
    with pytest.raises(MxrouteError):
        store.create(ZONE, TWO, "")
    assert store.read(ZONE).mx == ONE


def test_reading_an_absent_zone_is_not_found(store: ZoneStore) -> None:
    with pytest.raises(NotFound):
        store.read(ZONE)


def test_a_write_replaces_the_set_under_a_newer_serial(store: ZoneStore) -> None:
    before = store.create(ZONE, ONE, "")
    after = store.write(ZONE, TWO, expected=before)
    assert after.mx == TWO and after.serial > before.serial
    assert store.read(ZONE) == after


def test_a_write_from_a_stale_snapshot_is_a_conflict_and_changes_nothing(
    store: ZoneStore,
) -> None:
    stale = store.create(ZONE, ONE, "")
    current = store.write(ZONE, TWO, expected=stale)
    with pytest.raises(Conflict):
        store.write(ZONE, MXSet(), expected=stale)
    assert store.read(ZONE) == current


def test_delete_removes_only_the_zone_it_was_given(store: ZoneStore) -> None:
    created = store.create(ZONE, ONE, "")
    changed = store.write(ZONE, TWO, expected=created)
    with pytest.raises(Conflict):
        store.delete(ZONE, created)
    store.delete(ZONE, changed)
    assert not store.exists(ZONE)


def test_zones_created_apart_share_with_no_one(store: ZoneStore) -> None:
    store.create(ZONE, ONE, "")
    store.create("other.test", TWO, "")
    everyone = lambda names: set(names)  # noqa: E731 - every name is managed
    assert store.shared_with(ZONE, everyone) is None
    assert store.shared_with(ZONE, everyone, thorough=True) is None


def test_a_zone_nobody_else_maintains_may_be_edited(store: ZoneStore) -> None:
    store.create(ZONE, ONE, "")
    store.check_editable(ZONE)  # no refusal
