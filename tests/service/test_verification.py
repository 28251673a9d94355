"""Verified apply in the service: what is wired, what a kill while waiting leaves, and
who is told what about a zone named maintains. The DNS answers themselves come from a
real named in tests/integration/test_verified_apply.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.core.routing import Mode
from mxroute.dns.memory import MemoryZones
from mxroute.dns.verify import Verifier
from mxroute.errors import ConfigError, StepFailed, Unavailable
from mxroute.mta.lists import FILES, parse
from mxroute.service import Actor, Service
from mxroute.service import apply as apply_module
from mxroute.service.wiring import build
from mxroute.store.models import Change, Intent
from tests.integration.bind import free_port
from tests.service.conftest import ACTOR, ZONE, add_fixture_domain, make_settings, state_of

LOG_RELOAD = "sh -c 'echo reload $0 >> {home}/reloads' {{zone}}"


class Killed(BaseException):
    """The process died here."""


def _reloads(home: Path) -> list[str]:
    path = home / "reloads"
    return path.read_text().split("\n")[:-1] if path.exists() else []


def test_the_verifier_is_wired_only_when_a_reload_makes_named_load_the_zone(
    tmp_path: Path,
) -> None:
    plain = make_settings(tmp_path)
    assert build(plain).verifier is None
    reloading = make_settings(tmp_path, zone_reload_command="rndc reload {zone}")
    verifier = build(reloading).verifier
    assert verifier is not None
    assert (verifier.servers, verifier.timeout) == ([("127.0.0.1", 9)], 10.0)  # [resolver]
    local = make_settings(tmp_path, zone_reload_command="true", resolver_server="")
    assert build(local).verifier.servers == [("127.0.0.1", 53)]  # type: ignore[union-attr]
    given = make_settings(
        tmp_path, zone_reload_command="true", verify_servers=("[2001:db8::53]:5353",)
    )
    assert build(given).verifier.servers == [("2001:db8::53", 5353)]  # type: ignore[union-attr]
    # Zones in memory are served by no one: nothing to ask.
    assert build(reloading, zones=MemoryZones()).verifier is None


def test_a_change_no_server_serves_puts_everything_back(tmp_path: Path, db: None) -> None:
    service = Service(make_settings(tmp_path))
    add_fixture_domain(service, ZONE)
    files, rows, changes = state_of(service)
    records = service.show(ZONE).snapshot.mx
    zone_file = str(service.settings.zones_dir / f"{ZONE}.zone")
    silent = Service(
        make_settings(
            tmp_path,
            zone_reload_command="true",
            verify_servers=(f"127.0.0.1:{free_port()}",),
            verify_timeout=0.3,
        )
    )
    with pytest.raises(StepFailed, match="did not serve the change") as failed:
        silent.add_mx(ZONE, 5, "mx2.example.test", actor=ACTOR, mode="backup")
    assert failed.value.step == "zone_verify"
    files_after, rows_after, changes_after = state_of(service)
    assert (rows_after, changes_after) == (rows, changes)
    assert {k: v for k, v in files_after.items() if k != zone_file} == {
        k: v for k, v in files.items() if k != zone_file
    }
    assert service.show(ZONE).snapshot.mx == records
    [intent] = Intent.objects.filter(action="add_mx")
    assert intent.state == "abandoned"
    assert intent.plan["verification"]["rolled_back"] is True


def test_a_writer_killed_while_it_waits_for_named_is_completed_and_reloaded_at_the_next_start(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, zone_reload_command=LOG_RELOAD.format(home=tmp_path))
    service = Service(settings)
    add_fixture_domain(service, ZONE)

    def killed(self: Verifier, zone: str, wanted: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(Verifier, "wait", killed)
        patched.setattr(apply_module.Applier, "_undo", lambda self, p, d, i, exc: exc)
        with pytest.raises(Killed):
            service.add_mx(ZONE, 5, "mx2.example.test", actor=ACTOR, mode="backup")
    assert Intent.objects.get(action="add_mx").state == "pending"
    assert _reloads(tmp_path) == [f"reload {ZONE}"]
    said = Service(settings).reconcile()
    assert len(said) == 1 and "had reached its zone, so it was completed" in said[0]
    # The zone, the store, the history and the lists agree; named was asked to load it.
    assert Intent.objects.get(action="add_mx").state == "applied"
    assert Change.objects.filter(action="add_mx").count() == 1
    assert service.show(ZONE).mode is Mode.BACKUP
    lists = parse({n: (Path(settings.lists_dir) / n).read_bytes() for n in FILES})
    assert lists[ZONE] is Mode.BACKUP
    assert _reloads(tmp_path) == [f"reload {ZONE}"] * 2


def test_a_writer_killed_before_its_zone_changed_has_the_zone_loaded_again(
    tmp_path: Path, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It may have died after putting the previous file back, before reloading it."""
    settings = make_settings(tmp_path, zone_reload_command=LOG_RELOAD.format(home=tmp_path))
    service = Service(settings)
    add_fixture_domain(service, ZONE)

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(type(service.zones), "write", killed)
        patched.setattr(apply_module.Applier, "_undo", lambda self, p, d, i, exc: exc)
        with pytest.raises(Killed):
            service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    said = Service(settings).reconcile()
    assert "had not reached its zone, so it was dropped" in said[0]
    assert Intent.objects.get(action="add_mx").state == "abandoned"
    assert _reloads(tmp_path) == [f"reload {ZONE}"]


def test_a_zone_named_maintains_is_refused_in_words_for_whoever_asks(
    tmp_path: Path, db: None
) -> None:
    from django.contrib.auth import get_user_model

    service = Service(make_settings(tmp_path))
    owner = get_user_model().objects.create_user("owner", password="x")
    add_fixture_domain(service, ZONE, owner="owner")
    (service.settings.zones_dir / f"{ZONE}.zone.jnl").write_bytes(b"journal")
    before = state_of(service)
    with pytest.raises(ConfigError, match="freeze_command") as refused:
        service.add_mx(ZONE, 20, "mx2.example.test", actor=ACTOR)
    assert refused.value.code == "zone_dynamic"
    with pytest.raises(Unavailable, match="Ask your hosting operator"):
        service.add_mx(ZONE, 20, "mx2.example.test", actor=Actor.for_user(owner, "web"))
    assert state_of(service) == before
    assert not Intent.objects.filter(action="add_mx").exists()
