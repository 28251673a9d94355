"""The doctor's comparison: each kind of disagreement is one finding with its code."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mxroute.core.findings import Severity
from mxroute.core.records import MXRecord, MXSet
from mxroute.core.routing import Mode, Resolution, ServerIdentity, detect
from mxroute.dns.base import Snapshot
from mxroute.dns.served import Served
from mxroute.service.diagnosis import (
    CODES,
    DoctorReport,
    DomainReport,
    Observed,
    PendingIntent,
    diagnose,
    mx_words,
    unmanaged_finding,
)

ZONE = "example.test"
SELF = ServerIdentity.of(["mx.self.test"], ["192.0.2.1"])
LOCAL_MX = MXSet.of([MXRecord(10, "mx.self.test")])
REMOTE_MX = MXSet.of([MXRecord(10, "mx.elsewhere.test")])
ELSEWHERE = {"mx.elsewhere.test": Resolution(frozenset(), "nxdomain")}


def _detection(mx: MXSet) -> object:
    return detect(ZONE, mx, SELF, {**ELSEWHERE, "mx.self.test": Resolution(status="ok")})


def healthy(**changes: object) -> Observed:
    """A local domain on which every source agrees."""
    seen = Observed(
        ZONE,
        Mode.AUTO,
        Mode.LOCAL,
        snapshot=Snapshot(ZONE, 2026010101, LOCAL_MX),
        served=Served("ok", 2026010101, frozenset({(10, "mx.self.test")})),
        detection=_detection(LOCAL_MX),  # type: ignore[arg-type]
        listed=Mode.LOCAL,
        lists_read=True,
        recorded=(LOCAL_MX, 2026010101),
    )
    return replace(seen, **changes)  # type: ignore[arg-type]


def codes(seen: Observed, **options: bool) -> list[str]:
    return [f.code for f in diagnose(seen, **options)]


def test_a_domain_on_which_everything_agrees_has_no_findings() -> None:
    assert diagnose(healthy()) == []


def test_a_zone_without_a_file_is_an_error_and_nothing_else_is_compared() -> None:
    (finding,) = diagnose(healthy(snapshot=None, zone_problem="missing", served=None))
    assert (finding.code, finding.severity) == ("zone_missing", Severity.ERROR)
    assert "mxroute domain remove example.test" in finding.message


def test_an_unreadable_zone_says_why() -> None:
    seen = healthy(snapshot=None, zone_problem="Line 3: bad TTL.", served=None, detection=None)
    (finding,) = diagnose(seen)
    assert finding.code == "zone_unreadable"
    assert "(Line 3: bad TTL)" in finding.message


def test_an_owner_is_told_whom_to_ask_not_the_servers_paths() -> None:
    seen = healthy(snapshot=None, zone_problem="/srv/zones/example.test.zone: denied")
    (finding,) = diagnose(seen, for_owner=True)
    assert "/srv" not in finding.message and "hosting operator" in finding.message


def test_an_older_serial_on_the_name_server_is_reported() -> None:
    seen = healthy(served=Served("ok", 2026010100, frozenset({(10, "mx.self.test")})))
    (finding,) = diagnose(seen)
    assert finding.code == "served_serial_differs"
    assert "serial 2026010100" in finding.message and "2026010101" in finding.message


def test_other_served_records_are_reported_beside_the_serial() -> None:
    seen = healthy(served=Served("ok", 2026010100, frozenset({(10, "mx.elsewhere.test")})))
    assert codes(seen) == ["served_serial_differs", "served_mx_differs"]


def test_other_records_under_the_same_serial_say_secondaries_will_not_see_them() -> None:
    seen = healthy(served=Served("ok", 2026010101, frozenset({(5, "mx.self.test")})))
    (finding,) = diagnose(seen)
    assert finding.code == "served_mx_differs"
    assert "without a new serial" in finding.message


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("timeout", "served_no_answer"),
        ("unreachable", "served_no_answer"),
        ("servfail", "served_no_answer"),
        ("refused", "served_not_authoritative"),
        ("nxdomain", "served_not_authoritative"),
        ("not_authoritative", "served_not_authoritative"),
    ],
)
def test_a_name_server_that_does_not_serve_the_zone_is_reported(status: str, code: str) -> None:
    assert codes(healthy(served=Served(status))) == [code]


def test_records_changed_outside_mxroute_are_an_external_change() -> None:
    seen = healthy(recorded=(REMOTE_MX, 2026010100))
    (finding,) = diagnose(seen)
    assert finding.code == "external_change"
    assert "from 10 mx.elsewhere.test to 10 mx.self.test" in finding.message


def test_records_an_interrupted_change_wrote_are_not_an_external_change() -> None:
    intent = PendingIntent(7, "add_mx", "Added MX 10 mx.self.test.", datetime.now(UTC), LOCAL_MX)
    seen = healthy(recorded=(REMOTE_MX, 2026010100), pending=(intent,))
    assert codes(seen) == ["pending_intent"]
    assert "(Added MX 10 mx.self.test)" in diagnose(seen)[0].message


def test_a_domain_without_recorded_records_is_not_an_external_change() -> None:
    assert diagnose(healthy(recorded=None)) == []


def test_a_stale_detection_of_an_auto_domain_is_a_warning() -> None:
    (finding,) = diagnose(healthy(detected=Mode.REMOTE, listed=Mode.REMOTE))
    assert (finding.code, finding.severity) == ("detected_mode_stale", Severity.WARNING)
    assert "still treats it as remote" in finding.message


def test_a_stale_detection_under_a_chosen_mode_is_only_a_note() -> None:
    seen = healthy(mode=Mode.LOCAL, detected=Mode.REMOTE, listed=Mode.LOCAL)
    (finding,) = diagnose(seen)
    assert (finding.code, finding.severity) == ("detected_mode_stale", Severity.NOTE)


def test_lists_that_give_another_mode_disagree() -> None:
    (finding,) = diagnose(healthy(listed=Mode.BACKUP))
    assert finding.code == "routing_lists_disagree"
    assert "routes example.test as local" in finding.message


def test_a_domain_in_no_list_has_its_mail_refused() -> None:
    (finding,) = diagnose(healthy(listed=None))
    assert "in no routing list" in finding.message


def test_lists_that_could_not_be_read_are_not_compared() -> None:
    assert diagnose(healthy(listed=None, lists_read=False)) == []


def test_every_kind_at_once_comes_in_a_fixed_order() -> None:
    intent = PendingIntent(1, "detect", "", datetime.now(UTC))
    seen = healthy(
        served=Served("ok", 1, frozenset()),
        recorded=(REMOTE_MX, 1),
        detected=Mode.REMOTE,
        listed=None,
        pending=(intent,),
    )
    assert codes(seen) == [
        "served_serial_differs",
        "served_mx_differs",
        "external_change",
        "detected_mode_stale",
        "routing_lists_disagree",
        "pending_intent",
    ]
    assert set(codes(seen)) <= set(CODES)


def test_a_report_is_clean_once_every_finding_was_repaired() -> None:
    found = tuple(diagnose(healthy(listed=None)))
    report = DoctorReport(1, (DomainReport(ZONE, found),), fix=True)
    assert not report.clean
    repaired = DoctorReport(1, (DomainReport(ZONE, found, frozenset({found[0].code})),), fix=True)
    assert repaired.clean and repaired.remaining == ()


def test_an_unmanaged_list_entry_names_the_domain_and_the_mode() -> None:
    finding = unmanaged_finding("stray.test", Mode.LOCAL)
    assert finding.code == "routing_lists_unmanaged"
    assert "stray.test as local" in finding.message


def test_an_empty_mx_set_is_said_as_no_records() -> None:
    assert mx_words(MXSet()) == "no records"
