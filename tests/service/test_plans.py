"""Plans are values: made from reads alone, applied later, refused when stale.

These run on the in-memory backends (no files, no DNS): the same service code as
with zone files and Exim lists, with backends that pass the same contract.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import Mode
from mxroute.dns.memory import MemoryZones
from mxroute.errors import Conflict, InvalidInput, Risky
from mxroute.mta.memory import MemoryRouting
from mxroute.service import Service
from mxroute.service.wiring import build
from mxroute.store.models import Change, Domain, Intent
from tests.service.conftest import ACTOR, KnownAnswers, make_settings

ZONE = "plan.test"
SELF = "mx.self.test"


@pytest.fixture
def memory(tmp_path: Path, db: None) -> tuple[Service, MemoryZones, MemoryRouting]:
    settings = make_settings(tmp_path, max_mx_records=4)
    zones, routing = MemoryZones(), MemoryRouting()
    # Every exchanger these tests add resolves (one that does not is refused unless forced).
    dns = KnownAnswers(
        {
            "mx.elsewhere.test": "198.51.100.1",
            "mx2.elsewhere.test": "198.51.100.2",
            "mx3.elsewhere.test": "198.51.100.3",
            "mx4.elsewhere.test": "198.51.100.4",
            "mx9.elsewhere.test": "198.51.100.9",
            "a.elsewhere.test": "198.51.100.10",
            "b.elsewhere.test": "198.51.100.11",
        }
    )
    service = Service(settings, build(settings, zones=zones, routing=routing, resolver=dns))  # type: ignore[arg-type]
    service.add_domain(ZONE, actor=ACTOR, mx=[MXRecord(10, SELF)])
    return service, zones, routing


def _add(record: MXRecord):  # type: ignore[no-untyped-def]
    return lambda mx: (mx.adding(record), f"Added MX {record}.")


def test_planning_changes_nothing(memory: tuple[Service, MemoryZones, MemoryRouting]) -> None:
    service, zones, routing = memory
    before = (dict(zones.zones), dict(routing.entries), Change.objects.count())
    plan = service.plan(ZONE, "add_mx", _add(MXRecord(20, "mx2.elsewhere.test")), ACTOR)
    assert (dict(zones.zones), dict(routing.entries), Change.objects.count()) == before
    assert plan.mx_before == MXSet.of([MXRecord(10, SELF)])
    assert MXRecord(20, "mx2.elsewhere.test") in plan.mx_after
    assert plan.zone_lines_added == ("@ IN MX 20 mx2.elsewhere.test.",)
    assert plan.zone_lines_removed == ()
    assert plan.effective_before is Mode.LOCAL and plan.effective_after is Mode.LOCAL
    assert not plan.routing_changed


def test_a_plan_says_which_routing_entry_changes_and_its_findings(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, _, _ = memory
    plan = service.plan(
        ZONE, "set_mode", lambda mx: (mx, "Set routing to remote."), ACTOR, new_mode=Mode.REMOTE
    )
    assert plan.routing_changed
    assert (plan.effective_before, plan.effective_after) == (Mode.LOCAL, Mode.REMOTE)
    assert [f.code for f in plan.findings] == ["remote_mail_loop"]
    assert plan.to_data()["findings"][0]["severity"] == "error"
    assert plan.to_data()["refused_unless_forced"] == ["remote_mail_loop"]


def _written(zones: MemoryZones, routing: MemoryRouting) -> tuple[object, ...]:
    return dict(zones.zones), dict(routing.entries), Change.objects.count(), Intent.objects.count()


def test_an_error_finding_refuses_the_change_unless_it_is_forced(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, routing = memory
    before = _written(zones, routing)
    with pytest.raises(Risky) as refused:
        service.set_mode(ZONE, "remote", actor=ACTOR)
    assert refused.value.code == "risky_change"
    assert [f.code for f in refused.value.findings] == ["remote_mail_loop"]
    assert "Nothing was changed in plan.test" in refused.value.message
    assert _written(zones, routing) == before  # no zone, no routing, no row, no intent
    result = service.set_mode(ZONE, "remote", actor=ACTOR, force=True)
    assert result.forced and [f.code for f in result.blocking] == ["remote_mail_loop"]
    assert routing.entries[ZONE] is Mode.REMOTE
    intent = Intent.objects.get(action="set_mode")
    assert (intent.state, intent.plan["forced"]) == ("applied", True)


def test_an_unresolved_exchanger_refuses_the_change_unless_it_is_forced(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, routing = memory
    before = _written(zones, routing)
    with pytest.raises(Risky) as refused:
        service.add_mx(ZONE, 20, "nowhere.elsewhere.test", actor=ACTOR)
    assert [f.code for f in refused.value.findings] == ["exchanger_unresolved"]
    assert _written(zones, routing) == before
    result = service.add_mx(ZONE, 20, "nowhere.elsewhere.test", actor=ACTOR, force=True)
    assert result.forced and MXRecord(20, "nowhere.elsewhere.test") in zones.read(ZONE).mx
    assert Intent.objects.get(action="add_mx").plan["forced"] is True
    # The error is the domain's now: a later, unrelated change is not refused for it.
    later = service.add_mx(ZONE, 30, "mx3.elsewhere.test", actor=ACTOR)
    assert "exchanger_unresolved" in [f.code for f in later.findings]
    assert not later.blocking and not later.forced
    assert "forced" not in Intent.objects.filter(action="add_mx").latest("id").plan


def test_a_warning_alone_does_not_refuse_the_change(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, _, routing = memory
    service.add_mx(ZONE, 5, "mx.elsewhere.test", actor=ACTOR)
    result = service.set_mode(ZONE, "remote", actor=ACTOR)
    assert [(f.code, f.severity.value) for f in result.findings] == [
        ("remote_listed_as_backup", "warning")
    ]
    assert not result.blocking and not result.forced
    assert routing.entries[ZONE] is Mode.REMOTE


def test_the_fingerprint_follows_what_the_plan_decides(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, _, _ = memory
    one = service.plan(ZONE, "add_mx", _add(MXRecord(20, "a.elsewhere.test")), ACTOR)
    same = service.plan(ZONE, "add_mx", _add(MXRecord(20, "a.elsewhere.test")), ACTOR)
    other = service.plan(ZONE, "add_mx", _add(MXRecord(30, "a.elsewhere.test")), ACTOR)
    assert one.fingerprint == same.fingerprint != other.fingerprint


def test_applying_a_plan_writes_zone_routing_store_and_history(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, routing = memory
    plan = service.plan(
        ZONE,
        "change_mx",
        lambda mx: (MXSet.of([MXRecord(10, "mx.elsewhere.test")]), "Moved."),
        ACTOR,
    )
    result = service.apply(plan, ACTOR)
    assert zones.read(ZONE).mx == MXSet.of([MXRecord(10, "mx.elsewhere.test")])
    assert routing.entries[ZONE] is Mode.REMOTE
    assert Domain.objects.get(name=ZONE).effective_mode is Mode.REMOTE
    last = Change.objects.latest()
    assert (last.serial_before, last.serial_after) == (result.serial_before, result.serial_after)
    assert Intent.objects.get(action="change_mx").state == "applied"


def test_a_plan_made_before_another_change_is_refused(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, _ = memory
    stale = service.plan(ZONE, "add_mx", _add(MXRecord(20, "a.elsewhere.test")), ACTOR)
    service.add_mx(ZONE, 30, "b.elsewhere.test", actor=ACTOR)
    current = zones.read(ZONE)
    with pytest.raises(Conflict):
        service.apply(stale, ACTOR)
    assert zones.read(ZONE) == current


@pytest.mark.parametrize("action", ["add_mx", "change_mx", "delete_mx", "set_mode", "detect"])
def test_every_change_use_case_goes_through_plan_and_apply(
    memory: tuple[Service, MemoryZones, MemoryRouting], action: str
) -> None:
    service, _, _ = memory
    if action == "add_mx":
        service.add_mx(ZONE, 20, "mx2.elsewhere.test", actor=ACTOR)
    elif action == "change_mx":
        service.change_mx(ZONE, SELF, 10, 5, SELF, actor=ACTOR)
    elif action == "delete_mx":
        service.add_mx(ZONE, 20, "mx2.elsewhere.test", actor=ACTOR)  # not the last record
        service.delete_mx(ZONE, 10, SELF, actor=ACTOR)
    elif action == "set_mode":
        service.add_mx(ZONE, 5, "mx.elsewhere.test", actor=ACTOR)  # a primary to back up
        service.set_mode(ZONE, "backup", actor=ACTOR)
    else:
        service.detect(ZONE, actor=ACTOR)
    if action != "detect":
        assert Intent.objects.filter(action=action, state="applied").count() == 1
        assert Change.objects.filter(action=action).count() == 1


def test_adding_and_removing_a_domain_are_plans_too(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, routing = memory
    service.add_domain("new.test", actor=ACTOR, mx=[MXRecord(10, SELF)])
    assert zones.read("new.test").mx == MXSet.of([MXRecord(10, SELF)])
    assert routing.entries["new.test"] is Mode.LOCAL
    service.remove_domain("new.test", actor=ACTOR)
    assert "new.test" not in routing.entries
    assert zones.exists("new.test")  # the zone is kept
    assert Intent.objects.filter(state="pending").count() == 0


def test_more_mx_records_than_the_limit_are_refused_with_one_sentence(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, _ = memory
    for n in range(2, 5):
        service.add_mx(ZONE, 10 * n, f"mx{n}.elsewhere.test", actor=ACTOR)
    before = zones.read(ZONE)
    with pytest.raises(InvalidInput, match="more than the limit of 4") as refused:
        service.add_mx(ZONE, 90, "mx9.elsewhere.test", actor=ACTOR)
    assert refused.value.code == "too_many_mx"
    assert zones.read(ZONE) == before
    # Shrinking a set that is over the limit is always allowed.
    service.delete_mx(ZONE, 40, "mx4.elsewhere.test", actor=ACTOR)


def test_detect_all_is_one_batch_and_writes_only_what_changed(
    memory: tuple[Service, MemoryZones, MemoryRouting],
) -> None:
    service, zones, routing = memory
    for n in range(5):
        service.add_domain(f"d{n}.test", actor=ACTOR, mx=[MXRecord(10, SELF)])
    # Behind the service's back: d3 now points elsewhere.
    snap = zones.read("d3.test")
    zones.write("d3.test", MXSet.of([MXRecord(10, "mx.elsewhere.test")]), expected=snap)
    changes_before = routing.changes
    results, failures = service.detect_all(actor=ACTOR)
    assert failures == {}
    assert len(results) == 6
    assert routing.entries["d3.test"] is Mode.REMOTE
    assert routing.changes == changes_before + 1
    assert Change.objects.filter(action="detect").count() == 1
