"""Fixtures that start real servers for the integration tests."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components import require
from tests.integration.bind import NamedServer, bind_readable_dir, named_available


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
