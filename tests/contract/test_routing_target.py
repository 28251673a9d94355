"""The RoutingTarget contract: every implementation (in memory, Exim lists) passes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.core.routing import Mode
from mxroute.mta.base import RoutingTarget
from mxroute.mta.lists import RoutingLists
from mxroute.mta.memory import MemoryRouting


@pytest.fixture(params=["memory", "exim-lists"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> RoutingTarget:
    if request.param == "memory":
        return MemoryRouting()
    return RoutingLists(tmp_path / "lists", tmp_path / "locks")


def test_a_change_gives_each_domain_its_mode(target: RoutingTarget) -> None:
    assert target.change({"a.test": Mode.LOCAL, "b.test": Mode.BACKUP, "c.test": Mode.REMOTE})
    assert target.modes(["a.test", "b.test", "c.test", "d.test"]) == {
        "a.test": Mode.LOCAL,
        "b.test": Mode.BACKUP,
        "c.test": Mode.REMOTE,
        "d.test": None,
    }


def test_a_change_touches_only_the_domains_it_names(target: RoutingTarget) -> None:
    target.write({"a.test": Mode.LOCAL, "b.test": Mode.BACKUP})
    target.change({"b.test": Mode.REMOTE})
    assert target.modes(["a.test", "b.test"]) == {"a.test": Mode.LOCAL, "b.test": Mode.REMOTE}


def test_none_takes_a_domain_out(target: RoutingTarget) -> None:
    target.change({"a.test": Mode.LOCAL})
    assert target.change({"a.test": None})
    assert target.modes(["a.test"]) == {"a.test": None}


def test_a_change_to_what_is_there_changes_nothing(target: RoutingTarget) -> None:
    target.change({"a.test": Mode.BACKUP})
    assert not target.change({"a.test": Mode.BACKUP})


def test_auto_is_refused(target: RoutingTarget) -> None:
    with pytest.raises(ValueError):
        target.change({"a.test": Mode.AUTO})


def test_write_replaces_every_entry(target: RoutingTarget) -> None:
    target.change({"a.test": Mode.LOCAL})
    target.write({"b.test": Mode.REMOTE})
    assert target.modes(["a.test", "b.test"]) == {"a.test": None, "b.test": Mode.REMOTE}


def test_read_gives_every_entry_with_its_mode(target: RoutingTarget) -> None:
    assert target.read() == {}
    target.change({"b.test": Mode.BACKUP, "a.test": Mode.LOCAL, "c.test": Mode.REMOTE})
    assert target.read() == {"a.test": Mode.LOCAL, "b.test": Mode.BACKUP, "c.test": Mode.REMOTE}
