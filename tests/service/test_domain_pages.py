"""One page of the domain list: counted in the store, and only its own zones are read."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from mxroute.core.records import MXRecord
from mxroute.dns.base import Snapshot
from mxroute.dns.zonefile import ZoneFileBackend
from mxroute.service import Actor, Service
from mxroute.service.wiring import build
from tests.service.conftest import ACTOR, ZONE, make_settings

NAMES = [f"d{n:02}.test" for n in range(30)]


class CountingBackend(ZoneFileBackend):
    """The zone file backend, noting which zones were read."""

    def __init__(self, home: Path) -> None:
        super().__init__(home / "zones", home / "locks")
        self.reads: list[str] = []

    def read(self, zone: str) -> Snapshot:
        self.reads.append(zone)
        return super().read(zone)


@pytest.fixture
def listed(service: Service) -> Service:
    """example.test and d00.test … d29.test: alice owns the even ones, MX priority n+1."""
    get_user_model().objects.create_user("alice")
    for n, name in enumerate(NAMES):
        owner = "alice" if n % 2 == 0 else None
        service.add_domain(name, actor=ACTOR, owner=owner, mx=[MXRecord(n + 1, "mx.self.test")])
    return service


def _alice() -> Actor:
    return Actor.for_user(get_user_model().objects.get(username="alice"), "web")


def _priorities(
    service: Service, offset: int = 0, limit: int | None = None
) -> dict[str, int | None]:
    rows = service.list_domains(with_mx=True, offset=offset, limit=limit)
    return {r.domain: None if r.mx is None else next(iter(r.mx)).priority for r in rows}


def test_offset_and_limit_take_one_page_in_name_order(listed: Service) -> None:
    every = [d.domain for d in listed.list_domains()]
    assert every == [*NAMES, ZONE]
    page = [d.domain for d in listed.list_domains(offset=10, limit=10)]
    assert page == NAMES[10:20]
    assert [d.domain for d in listed.list_domains(offset=25, limit=10)] == [*NAMES[25:], ZONE]
    assert [d.domain for d in listed.list_domains(offset=25)] == [*NAMES[25:], ZONE]
    assert listed.list_domains(offset=40, limit=10) == []


def test_the_count_is_of_what_the_list_shows_searched_and_scoped(listed: Service) -> None:
    assert listed.count_domains() == 31
    assert listed.count_domains("d1") == 10
    alice = _alice()
    assert listed.count_domains(actor=alice) == 15
    assert listed.count_domains("d1", actor=alice) == 5
    mine = [d.domain for d in listed.list_domains(actor=alice, offset=5, limit=5)]
    assert mine == ["d10.test", "d12.test", "d14.test", "d16.test", "d18.test"]
    token = Actor.for_user(
        get_user_model().objects.get(username="alice"), "api", only=["d00.test", "d01.test"]
    )
    assert listed.count_domains(actor=token) == 1
    assert [d.domain for d in listed.list_domains(actor=token, limit=50)] == ["d00.test"]


def test_a_page_reads_only_the_zone_files_of_its_rows(
    listed: Service, caplog: pytest.LogCaptureFixture
) -> None:
    for name in [*NAMES[:10], *NAMES[20:]]:
        (Path(listed.settings.zones_dir) / f"{name}.zone").unlink()
    caplog.set_level(logging.WARNING, logger="mxroute.service")
    page = _priorities(listed, offset=10, limit=10)
    assert page == {name: n + 1 for n, name in enumerate(NAMES) if 10 <= n < 20}
    assert "cannot read the zone" not in caplog.text
    # The whole list does try the missing files: the check above can fail.
    whole = _priorities(listed)
    assert whole["d00.test"] is None and whole["d10.test"] == 11
    assert "cannot read the zone of d00.test" in caplog.text


def test_a_page_asks_the_backend_for_its_own_zones_only(tmp_path: Path, db: None) -> None:
    backend = CountingBackend(tmp_path)
    settings = make_settings(tmp_path)
    service = Service(settings, build(settings, zones=backend))
    for n, name in enumerate(NAMES):
        service.add_domain(name, actor=ACTOR, mx=[MXRecord(n + 1, "mx.self.test")])
    backend.reads.clear()
    service.list_domains(with_mx=True, offset=5, limit=3)
    assert backend.reads == NAMES[5:8]
    backend.reads.clear()
    assert service.count_domains() == 30
    service.list_domains(offset=5, limit=3)
    assert backend.reads == []
