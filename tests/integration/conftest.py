"""Fixtures that start real servers for the integration tests."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components import require
from tests.integration.bind import NamedServer, bind_readable_dir, named_available
from tests.integration.cli import Mxroute


@contextlib.contextmanager
def serving() -> Iterator[NamedServer]:
    """A running named on an empty zones directory that it can read and use as its cwd.

    Without BIND installed the test fails when ``CI`` is set, else it is skipped loudly.
    """
    require(named_available(), "BIND (named)")
    zones = bind_readable_dir()
    shutil.chown(zones, "bind", "bind")  # named must be able to write its ``directory``
    server = NamedServer(zones, directory=zones)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(zones, ignore_errors=True)


@pytest.fixture
def named() -> Iterator[NamedServer]:
    """A fresh named for one test: put files in ``named.zones_dir``, then ``add_zone``.

    Its working directory is its zones directory, so relative ``$INCLUDE`` names work.
    """
    with serving() as server:
        yield server


@pytest.fixture(scope="module")
def module_named() -> Iterator[NamedServer]:
    """One named shared by a test module (tests must not depend on each other's zones)."""
    with serving() as server:
        yield server


@pytest.fixture
def named_zones(named: NamedServer) -> Path:
    """The zones directory the ``named`` fixture serves."""
    return named.zones_dir


SERVED_ZONE = "example.test"
# Every host of the served zone has an address (a wildcard), as in a zone whose hosts
# the tests add MX records for: a name without one would be refused as an error.
SERVED_ZONE_TEXT = """$TTL 300
@ IN SOA ns1.example.test. hostmaster.example.test. 2026010101 3600 900 1209600 300
@ IN NS ns1.example.test.
@ IN MX 10 mx1.example.test.
ns1 IN A 127.0.0.1
* IN A 192.0.2.99
"""


@pytest.fixture
def served() -> Iterator[tuple[Mxroute, NamedServer]]:
    """A data directory whose zones a real named serves, with check and reload wired."""
    require(named_available(), "BIND (named)")
    home = bind_readable_dir("mxroute-home-")
    zones = home / "zones"
    zones.mkdir(mode=0o755)
    server = NamedServer(zones, [])
    mxroute = Mxroute(
        home,
        {
            "MXROUTE_DNS_CHECK_COMMAND": "named-checkzone -q -i local {zone} {file}",
            "MXROUTE_DNS_RELOAD_COMMAND": server.reload_command,
            "MXROUTE_SERVER_NAMES": "mx.self.test",
            "MXROUTE_SERVER_ADDRESSES": "127.0.0.1",
            "MXROUTE_RESOLVER_SERVER": "127.0.0.1",
            "MXROUTE_RESOLVER_PORT": str(server.port),
            "MXROUTE_RESOLVER_TIMEOUT": "2",
        },
    )
    mxroute.ok("init")
    # The zone must exist before named can serve it; until then reloads would fail.
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = ""
    (zones / f"{SERVED_ZONE}.zone").write_text(SERVED_ZONE_TEXT)
    mxroute.ok("domain", "add", SERVED_ZONE)
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = server.reload_command
    server.zones.append(SERVED_ZONE)
    server.start()
    try:
        yield mxroute, server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
