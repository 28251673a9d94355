"""The doctor over real zone files, routing lists and the test database.

The name server is a stand-in that serves what each zone file says (or what a test
tells it to); tests/integration/test_doctor.py drives a real named.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from mxroute.core.records import MXRecord
from mxroute.core.routing import Mode
from mxroute.dns.served import Served
from mxroute.errors import Forbidden, NotFound
from mxroute.mta.lists import FILES
from mxroute.service import Actor, Service
from mxroute.service.doctor import Doctor
from mxroute.store.models import Change, Domain, Intent
from tests.service.conftest import ACTOR, ZONE, ServedAsFiled

OTHER = "other.test"


@pytest.fixture
def served(service: Service) -> ServedAsFiled:
    service.add_domain(OTHER, actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    return ServedAsFiled(service)


def doctor(service: Service, served: ServedAsFiled) -> Doctor:
    return Doctor(service, served)


def codes(report: Any) -> dict[str, list[str]]:
    found = {d.domain: [f.code for f in d.findings] for d in report.domains}
    if report.findings:
        found[""] = [f.code for f in report.findings]
    return found


def zone_file(service: Service, zone: str = ZONE) -> Path:
    return Path(service.settings.zones_dir) / f"{zone}.zone"


def edit_by_hand(service: Service, old: str, new: str, zone: str = ZONE) -> None:
    """Change the zone file as an operator's editor would, serial and all."""
    path = zone_file(service, zone)
    text = path.read_text()
    serial = re.search(r"\b(20\d{8})\b", text)
    assert serial is not None and old in text
    text = text.replace(old, new).replace(serial[1], str(int(serial[1]) + 1))
    path.write_text(text)


def list_text(service: Service, name: str) -> str:
    return (Path(service.settings.lists_dir) / name).read_text()


def test_domains_on_which_everything_agrees_are_clean(
    service: Service, served: ServedAsFiled
) -> None:
    report = doctor(service, served).run(actor=ACTOR)
    assert (report.clean, report.checked, report.domains, report.findings) == (True, 2, (), ())
    assert served.asked == [[ZONE, OTHER]]  # every zone asked in one batch
    row = Domain.objects.get(name=ZONE)
    assert row.findings == [] and row.checked_at is not None


def test_a_zone_edited_behind_mxroutes_back_is_recorded_by_fix(
    service: Service, served: ServedAsFiled
) -> None:
    edit_by_hand(service, "mx.self.test", "ns1.example.test")
    report = doctor(service, served).run(actor=ACTOR)
    assert codes(report) == {ZONE: ["external_change", "detected_mode_stale"]}
    history = Change.objects.count()

    fixed = doctor(service, served).run(actor=ACTOR, fix=True)
    assert fixed.clean and fixed.domains[0].fixed == {"external_change", "detected_mode_stale"}
    external = Change.objects.filter(action="external_change").get()
    assert (external.actor, external.interface, external.domain_name) == ("doctor", "cli", ZONE)
    assert external.mx_before == [{"priority": 10, "exchanger": "mx.self.test"}]
    assert external.mx_after == [{"priority": 10, "exchanger": "ns1.example.test"}]
    assert external.serial_after == service.zones.read(ZONE).serial
    assert "changed outside mxroute" in external.summary
    assert Change.objects.count() == history + 2  # the external change, then the detection
    assert Domain.objects.get(name=ZONE).effective_mode is Mode.REMOTE
    assert ZONE in list_text(service, "remotedomains")

    again = doctor(service, served).run(actor=ACTOR, fix=True)
    assert again.clean and again.domains == ()
    assert Change.objects.count() == history + 2


def test_lists_edited_by_hand_are_written_again_from_the_store(
    service: Service, served: ServedAsFiled
) -> None:
    lists = Path(service.settings.lists_dir)
    (lists / "localdomains").write_text(f"{OTHER}\nstray.test\n")
    (lists / "remotedomains").write_text(f"{ZONE}\n")
    report = doctor(service, served).run(actor=ACTOR)
    assert codes(report) == {ZONE: ["routing_lists_disagree"], "": ["routing_lists_unmanaged"]}
    assert "stray.test as local" in report.findings[0].message

    assert doctor(service, served).run(actor=ACTOR, fix=True).clean
    assert list_text(service, "localdomains") == f"{ZONE}\n{OTHER}\n"
    assert list_text(service, "remotedomains") == ""
    assert doctor(service, served).run(actor=ACTOR).clean


def test_only_a_run_over_every_domain_looks_for_unmanaged_entries(
    service: Service, served: ServedAsFiled
) -> None:
    (Path(service.settings.lists_dir) / "remotedomains").write_text("stray.test\n")
    assert doctor(service, served).run(ZONE, actor=ACTOR).clean


def test_a_stale_detected_mode_is_detected_again(service: Service, served: ServedAsFiled) -> None:
    Domain.objects.filter(name=ZONE).update(detected_mode="remote")
    service.routing.change({ZONE: Mode.REMOTE})  # the lists follow the store
    report = doctor(service, served).run(ZONE, actor=ACTOR)
    assert codes(report) == {ZONE: ["detected_mode_stale"]}
    assert doctor(service, served).run(ZONE, actor=ACTOR, fix=True).clean
    assert Domain.objects.get(name=ZONE).detected_mode == "local"
    assert ZONE in list_text(service, "localdomains")
    assert doctor(service, served).run(actor=ACTOR).clean


def test_an_interrupted_change_is_reported_then_settled(
    service: Service, served: ServedAsFiled
) -> None:
    Intent.objects.create(
        domain_name=ZONE, action="set_mode", plan={"action": "set_mode", "domain": ZONE}
    )
    report = doctor(service, served).run(actor=ACTOR)
    assert codes(report) == {ZONE: ["pending_intent"]}
    assert doctor(service, served).run(actor=ACTOR, fix=True).clean
    assert Intent.objects.get(action="set_mode").state == "abandoned"
    assert doctor(service, served).run(actor=ACTOR).clean


def test_a_change_in_progress_is_not_drift(service: Service, served: ServedAsFiled) -> None:
    Intent.objects.create(
        domain_name=ZONE, action="set_mode", plan={"action": "set_mode", "domain": ZONE}
    )
    import threading

    held, release = threading.Event(), threading.Event()

    def writer() -> None:
        with service.locks.hold(ZONE):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        held.wait(10)
        assert doctor(service, served).run(actor=ACTOR).clean
    finally:
        release.set()
        thread.join()


def test_an_older_serial_is_reloaded_only_with_a_reload_command(
    service: Service, served: ServedAsFiled
) -> None:
    snap = service.zones.read(ZONE)
    served.answers[ZONE] = Served("ok", snap.serial - 1, frozenset({(10, "mx.self.test")}))
    report = doctor(service, served).run(actor=ACTOR, fix=True)
    (domain,) = report.domains
    assert [f.code for f in domain.remaining] == ["served_serial_differs"]
    assert "no [dns] reload_command is set" in domain.fix_errors[0]
    assert not report.clean


def test_a_missing_zone_file_cannot_be_repaired(service: Service, served: ServedAsFiled) -> None:
    zone_file(service).unlink()
    report = doctor(service, served).run(actor=ACTOR, fix=True)
    assert codes(report) == {ZONE: ["zone_missing"]}
    assert not report.clean and report.domains[0].fixed == frozenset()
    assert Domain.objects.get(name=ZONE).findings[0]["code"] == "zone_missing"


def test_the_last_verdict_flags_and_filters_the_domain_list(
    service: Service, served: ServedAsFiled
) -> None:
    zone_file(service).unlink()
    doctor(service, served).run(actor=ACTOR)
    flagged = service.list_domains(with_findings=True)
    assert [d.domain for d in flagged] == [ZONE]
    assert [f.code for f in flagged[0].findings] == ["zone_missing"]
    assert service.count_domains(with_findings=True) == 1
    assert [d.findings for d in service.list_domains() if d.domain == OTHER] == [()]


def _person(name: str, admin: bool = False) -> Actor:
    user = get_user_model().objects.create_user(name, is_superuser=admin)
    return Actor.for_user(user, "api")


def test_an_owner_checks_only_their_own_domains_and_cannot_repair(
    service: Service, served: ServedAsFiled
) -> None:
    alice = _person("alice")
    Domain.objects.filter(name=OTHER).update(owner_id=alice.user_id)
    zone_file(service).unlink()  # not alice's
    (Path(service.settings.lists_dir) / "remotedomains").write_text("stray.test\n")
    report = doctor(service, served).run(actor=alice)
    assert (report.checked, report.clean) == (1, True)
    with pytest.raises(NotFound):
        doctor(service, served).run(ZONE, actor=alice)
    with pytest.raises(Forbidden):
        doctor(service, served).run(actor=alice, fix=True)


def test_an_owner_reads_no_server_paths(service: Service, served: ServedAsFiled) -> None:
    alice = _person("alice")
    Domain.objects.filter(name=ZONE).update(owner_id=alice.user_id)
    zone_file(service).write_text("this is not a zone\n")
    (finding,) = doctor(service, served).run(actor=alice).domains[0].findings
    assert finding.code == "zone_unreadable"
    assert str(service.settings.home) not in finding.message
    operator = doctor(service, served).run(actor=ACTOR).domains[0].findings[0]
    assert operator.code == "zone_unreadable" and "hosting operator" not in operator.message


def test_the_lists_that_cannot_be_read_are_one_finding(
    service: Service, served: ServedAsFiled
) -> None:
    lists = Path(service.settings.lists_dir)
    for name in FILES:
        (lists / name).unlink(missing_ok=True)
        (lists / name).mkdir()
    report = doctor(service, served).run(actor=ACTOR)
    assert codes(report) == {"": ["routing_lists_unreadable"]}


def test_the_store_is_asked_as_often_for_forty_domains_as_for_two(
    service: Service, served: ServedAsFiled
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as run:
            assert doctor(service, served).run(actor=ACTOR).clean
        return len(run.captured_queries)

    few = queries()
    for n in range(38):
        service.add_domain(f"d{n:02}.test", actor=ACTOR, mx=[MXRecord(10, "mx.self.test")])
    assert queries() == few
    assert len(served.asked) == 2 and len(served.asked[1]) == 40  # one batch per run
