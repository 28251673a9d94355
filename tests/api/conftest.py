"""Shared fixtures of the HTTP API tests: a data directory, two owners and an admin,
their domains and their API tokens.

- alice owns alice.test and alice2.test; bob owns bob.test; admin owns nothing and is
  an administrator. Each domain starts with one record, ``10 mx.self.test`` (this
  server), so each is local; its hosts mx0 to mx3 have addresses.
- Each person has a token named ``<user>-script`` for every domain they manage; alice
  also has ``alice-limited``, limited to alice.test (``people.alice_limited``).
- The Django settings point the views at the test's data directory; passwords are
  hashed with a fast hasher (the accounts tests cover the real one).
- ``rest`` calls the REST API (/api/v1/) as one of them, JSON in and out.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mxroute import accounts
from mxroute.config import Settings
from mxroute.service import OPERATOR, Service
from tests.service.conftest import add_fixture_domain, make_settings

PASSWORD = "correct-horse-battery-7"
ALICE_DOMAINS = ("alice.test", "alice2.test")
BOB_DOMAINS = ("bob.test",)
SELF = "mx.self.test"


@dataclass(frozen=True)
class Person:
    """A user of the API and one of their tokens (the secret, shown once at creation)."""

    username: str
    token: str
    token_name: str
    password: str = PASSWORD

    @property
    def cpanel(self) -> dict[str, Any]:
        """Test-client headers: ``Authorization: cpanel USER:TOKEN``."""
        return {"HTTP_AUTHORIZATION": f"cpanel {self.username}:{self.token}"}

    @property
    def bearer(self) -> dict[str, Any]:
        """Test-client headers: ``Authorization: Bearer TOKEN``."""
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    @property
    def basic(self) -> dict[str, Any]:
        """Test-client headers: HTTP Basic with the user's password."""
        raw = f"{self.username}:{self.password}".encode()
        return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode("ascii")}


@dataclass(frozen=True)
class People:
    """Everyone the API tests act as."""

    alice: Person
    bob: Person
    admin: Person
    alice_limited: Person


@pytest.fixture
def api_settings(tmp_path: Path, settings: Any) -> Settings:
    """mxroute settings for a throwaway data directory, used by the views of this test."""
    mx = make_settings(tmp_path / "home")
    settings.MXROUTE = mx
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return mx


@pytest.fixture
def api_service(api_settings: Settings, db: None) -> Service:
    """The service over the test's data directory (the one the views use)."""
    return Service(api_settings)


@pytest.fixture
def people(api_service: Service) -> People:
    """alice (alice.test, alice2.test), bob (bob.test), admin; their domains and tokens."""
    accounts.add_user("alice", PASSWORD)
    accounts.add_user("bob", PASSWORD)
    accounts.add_user("admin", PASSWORD, admin=True)
    for owner, zones in (("alice", ALICE_DOMAINS), ("bob", BOB_DOMAINS)):
        for zone in zones:
            add_fixture_domain(api_service, zone, actor=OPERATOR, owner=owner)

    def person(username: str, name: str, domains: tuple[str, ...] = ()) -> Person:
        secret = accounts.create_token(username, name, domains=domains).secret
        return Person(username, secret, name)

    return People(
        alice=person("alice", "alice-script"),
        bob=person("bob", "bob-script"),
        admin=person("admin", "admin-script"),
        alice_limited=person("alice", "alice-limited", ("alice.test",)),
    )


def data_state(settings: Settings) -> tuple[dict[str, bytes], list[Any], list[Any]]:
    """Every zone and list file's bytes, every domain row and every history row."""
    from mxroute.store.models import Change, Domain

    files = {
        str(p): p.read_bytes()
        for p in sorted(Path(settings.home).rglob("*"))
        if p.is_file() and "locks" not in p.parts and p.suffix not in (".sqlite3", ".log")
    }
    domains = list(Domain.objects.order_by("name").values())
    changes = list(Change.objects.order_by("id").values())
    return files, domains, changes


# ----- the REST API (tests/api/test_rest*.py) ---------------------------------------------


class Rest:
    """Calls to /api/v1/ through the Django test client, JSON in and out."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        who: Person | dict[str, str] | None = None,
        body: Any = None,
        *,
        raw: str | None = None,
    ) -> Any:
        """``method`` on ``/api/v1`` + ``path`` as ``who`` (a person's bearer token, or
        explicit headers); ``body`` is sent as JSON, ``raw`` as it is."""
        headers = who.bearer if isinstance(who, Person) else dict(who or {})
        extra: dict[str, Any] = {}
        if body is not None or raw is not None:
            extra = {"data": raw if raw is not None else json.dumps(body)}
            extra["content_type"] = "application/json"
        return self.client.generic(method, "/api/v1" + path, **extra, **headers)


@pytest.fixture
def rest(client: Any, people: People) -> Rest:
    """The REST API over the shared data (alice, bob, admin and their domains)."""
    return Rest(client)


def mx_of(service: Service, zone: str) -> set[tuple[int, str]]:
    """The zone's MX records as (priority, exchanger) pairs."""
    return {(r.priority, r.exchanger) for r in service.show(zone).snapshot.mx}


def local_checkmx(changed: int, warnings: list[str], mxcheck: str = "auto") -> dict[str, Any]:
    """cPanel's ``checkmx`` for a domain this server is the primary exchanger of."""
    return {
        "changed": changed,
        "detected": "local",
        "isprimary": 1,
        "issecondary": 0,
        "local": 1,
        "secondary": 0,
        "remote": 0,
        "mxcheck": mxcheck,
        "warnings": warnings,
    }


DOCUMENTED_ZONE = """$TTL 3600
@\tIN\tSOA\tns1.{zone}. hostmaster.{zone}. ( 2026010101 3600 900 1209600 300 )
@\tIN\tNS\tns1.{zone}.
ns1\tIN\tA\t192.0.2.53
@\tIN\tMX\t10 {mx}.
{host}\tIN\tA\t{address}
"""


def add_documented_domains(settings: Settings, service: Service) -> None:
    """The domains the guides' examples use: alice's shop.example (this server is its
    exchanger) and partner.example (the administrators')."""
    from mxroute.service import OPERATOR

    for zone, mx, host, address in (
        ("shop.example", "mail.shop.example", "mail", "192.0.2.1"),  # this server
        ("partner.example", "mx1.partner.example", "mx1", "192.0.2.50"),
    ):
        text = DOCUMENTED_ZONE.format(zone=zone, mx=mx, host=host, address=address)
        (settings.zones_dir / f"{zone}.zone").write_text(text, encoding="ascii")
    service.add_domain("shop.example", actor=OPERATOR, owner="alice")
    service.add_domain("partner.example", actor=OPERATOR)
