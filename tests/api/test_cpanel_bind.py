"""cPanel-style calls against a real named: what UAPI and API 2 change is what DNS answers.

The data directory's zones are served by named; mxroute checks each new zone with
``named-checkzone`` and reloads it with ``rndc``, as an operator would configure it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from mxroute.config import Settings
from mxroute.service import Service
from tests.api.conftest import ALICE_DOMAINS, BOB_DOMAINS, SELF, People
from tests.components import require
from tests.integration.bind import NamedServer, bind_readable_dir, named_available
from tests.service.conftest import make_settings

FORM = "application/x-www-form-urlencoded"
CHECK = "named-checkzone -q -i local {zone} {file}"

pytestmark = pytest.mark.integration


@pytest.fixture
def named_home() -> Iterator[Path]:
    """A data directory that the bind user can read (pytest's tmp_path is not)."""
    require(named_available(), "BIND (named)")
    home = bind_readable_dir("mxroute-home-")
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def api_settings(named_home: Path, settings: Any) -> Settings:
    """The shared fixture's settings, over a bind-readable data directory."""
    mx = make_settings(named_home, zone_check_command=CHECK)
    settings.MXROUTE = mx
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return mx


@pytest.fixture
def named(people: People, api_settings: Settings, settings: Any) -> Iterator[NamedServer]:
    """named serving every test domain, with mxroute's reloads pointed at it."""
    server = NamedServer(api_settings.zones_dir, [*ALICE_DOMAINS, *BOB_DOMAINS])
    # The zones exist now (made by the people fixture); from here on, writes reload them.
    settings.MXROUTE = replace(
        api_settings,
        zone_reload_command=server.reload_command,
        verify_servers=(f"{server.address}:{server.port}",),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def served_after(named: NamedServer, zone: str) -> set[tuple[int, str]]:
    """The MX set named serves once it has loaded the zone file's current serial."""
    from django.conf import settings

    serial = Service(settings.MXROUTE).show(zone).snapshot.serial
    named.wait_serial(zone, serial)
    mx, served_serial = named.query_mx(zone)
    assert served_serial == serial
    return mx


def test_add_mx_through_uapi_is_what_named_serves(
    client: Client, people: People, named: NamedServer
) -> None:
    assert named.query_mx("alice.test")[0] == {(10, SELF)}
    params = {"domain": "alice.test", "exchanger": "mx2.alice.test", "priority": "20"}
    response = client.post(
        "/execute/Email/add_mx", urlencode(params), content_type=FORM, **people.alice.cpanel
    )
    assert response.json()["status"] == 1, response.json()
    assert served_after(named, "alice.test") == {(10, SELF), (20, "mx2.alice.test")}

    params = {"domain": "alice.test", "exchanger": SELF, "priority": "10"}
    response = client.post(
        "/execute/Email/delete_mx", urlencode(params), content_type=FORM, **people.alice.cpanel
    )
    assert response.json()["status"] == 1
    assert served_after(named, "alice.test") == {(20, "mx2.alice.test")}


def test_addmx_through_api2_is_what_named_serves(
    client: Client, people: People, named: NamedServer
) -> None:
    form = {
        "cpanel_jsonapi_user": "bob",
        "cpanel_jsonapi_apiversion": "2",
        "cpanel_jsonapi_module": "Email",
        "cpanel_jsonapi_func": "addmx",
        "domain": "bob.test",
        "exchange": "mx3.bob.test",
        "preference": "30",
    }
    response = client.post(
        "/json-api/cpanel", urlencode(form), content_type=FORM, **people.bob.cpanel
    )
    assert response.json()["cpanelresult"]["event"] == {"result": 1}, response.json()
    assert served_after(named, "bob.test") == {(10, SELF), (30, "mx3.bob.test")}


def test_a_refused_call_leaves_what_named_serves(
    client: Client, people: People, named: NamedServer
) -> None:
    before = named.query_mx("alice.test")
    for who, params in (
        (people.alice, {"domain": "alice.test", "exchanger": "192.0.2.7", "priority": "5"}),
        (people.bob, {"domain": "alice.test", "exchanger": "mx9.bob.test", "priority": "5"}),
    ):
        response = client.post(
            "/execute/Email/add_mx", urlencode(params), content_type=FORM, **who.cpanel
        )
        assert response.json()["status"] == 0
    assert named.query_mx("alice.test") == before
