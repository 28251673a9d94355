"""A Service over a temporary data directory and pytest-django's test database."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pytest

from mxroute.config import Settings
from mxroute.core.routing import Resolution
from mxroute.dns.served import NameServer, Served
from mxroute.service import Actor, Service

ZONE = "example.test"
ACTOR = Actor("tester", "cli")


def make_settings(home: Path, **overrides: object) -> Settings:
    """Settings for a throwaway data directory; this server is mx.self.test / 192.0.2.1."""
    for name in ("zones", "lists", "locks"):
        (home / name).mkdir(parents=True, exist_ok=True)
    values: dict[str, object] = {
        "zones_dir": home / "zones",
        "lists_dir": home / "lists",
        "server_names": ("mx.self.test",),
        "server_addresses": ("192.0.2.1",),
        # Nothing listens here: an exchanger outside the managed zones fails fast.
        "resolver_server": "127.0.0.1",
        "resolver_port": 9,
        "resolver_timeout": 0.5,
    }
    values.update(overrides)
    return Settings(home=home, **values)  # type: ignore[arg-type]


# Fixture zones give their hosts addresses, as a real zone would: an MX pointing at a
# name of a hosted zone that has no address is refused (exchanger_missing_in_zone).
FIXTURE_ZONE = """$TTL 3600
@ IN SOA ns1.{zone}. hostmaster.{zone}. 2026010101 3600 900 1209600 300
@ IN NS ns1.{zone}.
@ IN MX 10 mx.self.test.
ns1 IN A 192.0.2.53
mx0 IN A 192.0.2.10
mx1 IN A 192.0.2.11
mx2 IN A 192.0.2.12
mx3 IN A 192.0.2.13
"""


def add_fixture_domain(service: Service, zone: str, **options: Any) -> None:
    """Manage ``zone`` over a zone file whose MX is this server (mx.self.test) and whose
    hosts mx0 to mx3 have addresses."""
    path = service.settings.zones_dir / f"{zone}.zone"
    path.write_text(FIXTURE_ZONE.format(zone=zone))
    service.add_domain(zone, actor=options.pop("actor", ACTOR), **options)


@pytest.fixture
def service(tmp_path: Path, db: None) -> Service:
    """A service with one managed domain, example.test (MX 10 mx.self.test; mx0 to
    mx3.example.test have addresses)."""
    service = Service(make_settings(tmp_path))
    add_fixture_domain(service, ZONE)
    return service


def state_of(service: Service) -> tuple[dict[str, bytes], list[Any], int]:
    """Every file of the data directory (locks aside), every domain row, the history size."""
    from mxroute.store.models import Change, Domain

    files = {
        str(p): p.read_bytes()
        for p in sorted(Path(service.settings.home).rglob("*"))
        if p.is_file() and "locks" not in p.parts
    }
    rows = list(Domain.objects.order_by("name").values())
    return files, rows, Change.objects.count()


class KnownAnswers:
    """A resolver stand-in with fixed answers; ``asked`` records which names reached it."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def addresses(self, name: str) -> Resolution:
        self.asked.append(name)
        if name in self.answers:
            return Resolution(frozenset({ipaddress.ip_address(self.answers[name])}))
        return Resolution(status="nxdomain")

    def addresses_many(self, names: Collection[str], **_: object) -> dict[str, Resolution]:
        return {name: self.addresses(name) for name in names}


class ServedAsFiled(NameServer):
    """Serves each zone as its file says, unless ``answers`` says otherwise."""

    def __init__(self, service: Service) -> None:
        super().__init__("127.0.0.1", 9)
        self.service = service
        self.answers: dict[str, Served] = {}
        self.asked: list[list[str]] = []

    def served_many(self, zones: Collection[str]) -> dict[str, Served]:
        self.asked.append(sorted(zones))
        found = {}
        for zone in zones:
            snap = self.service.zones.read(zone)
            pairs = frozenset((r.priority, r.exchanger) for r in snap.mx)
            found[zone] = self.answers.get(zone, Served("ok", snap.serial, pairs))
        return found
