"""The REST API's endpoints: what each answers, what each changes, how each refuses."""

from __future__ import annotations

from typing import Any

import pytest

from mxroute.config import Settings
from mxroute.core.records import MXRecord
from mxroute.core.routing import MODE_MEANING, Mode
from mxroute.service import Service
from tests.api.conftest import SELF, People, Rest, data_state


def zone_text(settings: Settings, zone: str) -> str:
    return (settings.zones_dir / f"{zone}.zone").read_text()


def routing_list(settings: Settings, name: str) -> list[str]:
    return (settings.lists_dir / name).read_text().split()


# ----- reads -------------------------------------------------------------------------------


def test_it_lists_the_callers_domains_with_their_modes(rest: Rest, people: People) -> None:
    answer = rest.call("GET", "/domains", people.alice)
    assert answer.status_code == 200
    rows = answer.json()["domains"]
    assert [row["domain"] for row in rows] == ["alice.test", "alice2.test"]
    assert rows[0]["owner"] == "alice"
    assert rows[0]["mode"] == "auto"
    assert rows[0]["effective_mode"] == "local"


def test_it_searches_domains_by_part_of_their_name(rest: Rest, people: People) -> None:
    answer = rest.call("GET", "/domains?q=ALICE2", people.alice)
    assert [row["domain"] for row in answer.json()["domains"]] == ["alice2.test"]
    assert rest.call("GET", "/domains?q=bob", people.alice).json() == {"domains": []}


def test_it_shows_a_domain_with_its_serial_records_modes_and_explanation(
    rest: Rest, people: People, api_service: Service
) -> None:
    body = rest.call("GET", "/domains/alice.test", people.alice).json()
    assert body["domain"] == "alice.test"
    assert body["serial"] == api_service.zones.read("alice.test").serial
    assert body["mx"] == [{"priority": 10, "exchanger": "mx.self.test", "shared_with": 0}]
    assert (body["mode"], body["effective_mode"], body["detected_mode"]) == (
        "auto",
        "local",
        "local",
    )
    assert body["detection"]["self_priority"] == 10
    assert any("mx.self.test" in line for line in body["explanation"])
    assert body["warnings"] == []


def test_it_lists_the_mx_records_with_the_zone_serial(
    rest: Rest, people: People, api_service: Service
) -> None:
    answer = rest.call("GET", "/domains/alice.test/mx", people.alice)
    assert answer.json() == {
        "domain": "alice.test",
        "serial": api_service.zones.read("alice.test").serial,
        "mx": [{"priority": 10, "exchanger": "mx.self.test", "shared_with": 0}],
    }


def test_it_shows_the_routing_mode_in_plain_words(rest: Rest, people: People) -> None:
    body = rest.call("GET", "/domains/alice.test/routing", people.alice).json()
    assert body["mode"] == "auto"
    assert body["effective_mode"] == "local"
    assert body["certain"] is True
    assert body["meaning"] == MODE_MEANING[Mode.LOCAL]
    assert body["explanation"]


# ----- MX changes ----------------------------------------------------------------------------


def test_it_adds_a_record_that_the_zone_file_then_holds(
    rest: Rest, people: People, api_settings: Settings, api_service: Service
) -> None:
    before = api_service.zones.read("alice.test").serial
    answer = rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"priority": 20, "exchanger": "mx2.alice.test"},
    )
    assert answer.status_code == 201
    change = answer.json()
    assert change["action"] == "add_mx"
    assert change["changed"] is True
    assert change["serial_before"] == before
    assert change["serial_after"] == api_service.zones.read("alice.test").serial > before
    assert [(r["priority"], r["exchanger"]) for r in change["mx_after"]] == [
        (10, "mx.self.test"),
        (20, "mx2.alice.test"),
    ]
    assert MXRecord(20, "mx2.alice.test") in api_service.zones.read("alice.test").mx
    assert "mx2.alice.test." in zone_text(api_settings, "alice.test")


def test_it_accepts_preference_as_the_name_of_the_priority(
    rest: Rest, people: People, api_service: Service
) -> None:
    answer = rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"preference": 5, "exchanger": "mx0.alice.test"},
    )
    assert answer.status_code == 201
    assert MXRecord(5, "mx0.alice.test") in api_service.zones.read("alice.test").mx


def test_a_change_pinned_to_the_current_serial_is_made(
    rest: Rest, people: People, api_service: Service
) -> None:
    serial = rest.call("GET", "/domains/alice.test/mx", people.alice).json()["serial"]
    record = {"priority": 20, "exchanger": "mx2.alice.test", "serial": serial}
    answer = rest.call("POST", "/domains/alice.test/mx", people.alice, record)
    assert answer.status_code == 201
    assert MXRecord(20, "mx2.alice.test") in api_service.zones.read("alice.test").mx


def test_a_change_pinned_to_an_old_serial_is_refused_with_409_and_changes_nothing(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    serial = rest.call("GET", "/domains/alice.test/mx", people.alice).json()["serial"]
    rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"priority": 20, "exchanger": "mx3.alice.test"},
    )
    state = data_state(api_settings)
    answer = rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"priority": 30, "exchanger": "mx4.alice.test", "serial": serial},
    )
    assert answer.status_code == 409
    [error] = answer.json()["errors"]
    assert error["code"] == "conflict"
    assert f"serial {serial}" in error["message"]
    assert data_state(api_settings) == state


def test_it_changes_the_record_named_by_the_path(
    rest: Rest, people: People, api_service: Service
) -> None:
    answer = rest.call(
        "PUT",
        "/domains/alice.test/mx/10/mx.self.test",
        people.alice,
        {"priority": 15, "exchanger": "mx.self.test"},
    )
    assert answer.status_code == 200
    assert answer.json()["action"] == "change_mx"
    assert list(api_service.zones.read("alice.test").mx) == [MXRecord(15, "mx.self.test")]


def test_a_change_to_the_same_record_says_nothing_changed(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    state = data_state(api_settings)
    answer = rest.call(
        "PUT",
        "/domains/alice.test/mx/10/mx.self.test",
        people.alice,
        {"priority": 10, "exchanger": "mx.self.test"},
    )
    assert answer.status_code == 200
    assert answer.json()["changed"] is False
    assert data_state(api_settings)[0] == state[0]


def test_it_deletes_the_record_named_by_the_path(
    rest: Rest, people: People, api_service: Service
) -> None:
    rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"priority": 20, "exchanger": "mx3.alice.test"},
    )
    serial = api_service.zones.read("alice.test").serial
    answer = rest.call(
        "DELETE", f"/domains/alice.test/mx/20/mx3.alice.test?serial={serial}", people.alice
    )
    assert answer.status_code == 200
    assert answer.json()["action"] == "delete_mx"
    assert list(api_service.zones.read("alice.test").mx) == [MXRecord(10, "mx.self.test")]


def test_a_delete_pinned_to_an_old_serial_is_refused(
    rest: Rest, people: People, api_service: Service, api_settings: Settings
) -> None:
    serial = api_service.zones.read("alice.test").serial
    rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"priority": 20, "exchanger": "mx3.alice.test"},
    )
    state = data_state(api_settings)
    answer = rest.call(
        "DELETE", f"/domains/alice.test/mx/20/mx3.alice.test?serial={serial}", people.alice
    )
    assert answer.status_code == 409
    assert data_state(api_settings) == state


def test_a_null_mx_is_named_by_a_dot_in_the_path(
    rest: Rest, people: People, api_service: Service
) -> None:
    set_null = rest.call(
        "PUT",
        "/domains/alice.test/mx/10/mx.self.test",
        people.alice,
        {"priority": 0, "exchanger": "."},
    )
    assert set_null.status_code == 200
    assert set_null.json()["detected_mode"] == "remote"
    assert list(api_service.zones.read("alice.test").mx) == [MXRecord(0, ".")]
    # Clients drop a bare "." path segment: the docs say to send it as %2E. No record
    # and no address leaves no way for mail (no_mail_possible): forced.
    deleted = rest.call("DELETE", "/domains/alice.test/mx/0/%2E?force=true", people.alice)
    assert deleted.status_code == 200
    assert list(api_service.zones.read("alice.test").mx) == []


# ----- routing and detection -------------------------------------------------------------------


@pytest.mark.parametrize(("sent", "mode"), [("secondary", "backup"), ("backup", "backup")])
def test_it_sets_the_routing_mode_and_the_lists_follow(
    rest: Rest, people: People, api_settings: Settings, sent: str, mode: str
) -> None:
    # This server is the most preferred exchanger (backup_most_preferred): forced.
    wanted = {"mode": sent, "force": True}
    answer = rest.call("PUT", "/domains/alice.test/routing", people.alice, wanted)
    assert answer.status_code == 200
    assert (answer.json()["mode"], answer.json()["effective_mode"]) == (mode, mode)
    assert answer.json()["forced"] is True
    assert "alice.test" in routing_list(api_settings, "secondarymx")
    assert "alice.test" not in routing_list(api_settings, "localdomains")
    shown = rest.call("GET", "/domains/alice.test/routing", people.alice).json()
    assert shown["mode"] == mode
    assert shown["meaning"] == MODE_MEANING[Mode.BACKUP]
    assert shown["warnings"]  # this server is not a backup exchanger in the MX set


def test_detection_answers_the_mode_with_its_explanation(rest: Rest, people: People) -> None:
    answer = rest.call("POST", "/domains/alice.test/detect", people.alice)
    assert answer.status_code == 200
    body = answer.json()
    assert body["action"] == "detect"
    assert body["detected_mode"] == "local"
    assert any("this server" in line for line in body["explanation"])


# ----- history ---------------------------------------------------------------------------------


def test_history_records_the_api_and_the_token_used(rest: Rest, people: People) -> None:
    from mxroute.store.models import Change

    rest.call(
        "POST",
        "/domains/alice.test/mx",
        people.alice,
        {"priority": 20, "exchanger": "mx3.alice.test"},
    )
    row = Change.objects.latest("id")
    assert (row.actor, row.interface, row.token_name, row.action) == (
        "alice",
        "api",
        "alice-script",
        "add_mx",
    )
    [entry, *_] = rest.call("GET", "/domains/alice.test/history", people.alice).json()["changes"]
    assert entry["interface"] == "api"
    assert entry["token_name"] == "alice-script"
    assert entry["mx_after"] == [
        {"priority": 10, "exchanger": "mx.self.test"},
        {"priority": 20, "exchanger": "mx3.alice.test"},
    ]


def test_history_of_a_password_call_names_no_token(rest: Rest, people: People) -> None:
    from mxroute.store.models import Change

    rest.call("PUT", "/domains/alice.test/routing", people.alice.basic, {"mode": "local"})
    row = Change.objects.latest("id")
    assert (row.actor, row.interface, row.token_name) == ("alice", "api", "")


def test_the_whole_history_holds_only_the_callers_domains(rest: Rest, people: People) -> None:
    rest.call("PUT", "/domains/bob.test/routing", people.bob, {"mode": "remote"})
    rest.call("PUT", "/domains/alice.test/routing", people.alice, {"mode": "local"})
    changes = rest.call("GET", "/history", people.alice).json()["changes"]
    assert {c["domain"] for c in changes} == {"alice.test", "alice2.test"}
    assert changes[0]["action"] == "set_mode"
    limited = rest.call("GET", "/history?limit=1", people.alice).json()["changes"]
    assert [c["domain"] for c in limited] == ["alice.test"]


# ----- refusals ----------------------------------------------------------------------------------

ADD = ("POST", "/domains/alice.test/mx")
CHANGE = ("PUT", "/domains/alice.test/mx/10/mx.self.test")
GOOD = {"priority": 20, "exchanger": "mx2.alice.test"}


@pytest.mark.parametrize(
    ("call", "body", "code", "field"),
    [
        (ADD, {"exchanger": "mx2.alice.test"}, "missing", "priority"),
        (ADD, {"priority": 20}, "missing", "exchanger"),
        (ADD, {**GOOD, "priority": -1}, "priority_out_of_range", "priority"),
        (ADD, {**GOOD, "priority": 65536}, "priority_out_of_range", "priority"),
        (ADD, {**GOOD, "priority": 1.5}, "priority_not_integer", "priority"),
        (ADD, {**GOOD, "priority": True}, "priority_not_integer", "priority"),
        (ADD, {**GOOD, "priority": "x"}, "priority_not_integer", "priority"),
        (ADD, {**GOOD, "priority": "20"}, "priority_not_integer", "priority"),
        (ADD, {**GOOD, "exchanger": "192.0.2.7"}, "ip_literal", "exchanger"),
        (ADD, {**GOOD, "exchanger": 7}, "not_text", "exchanger"),
        (ADD, {**GOOD, "exchanger": ""}, "empty", "exchanger"),
        (ADD, {**GOOD, "exchanger": "bad name.test"}, "forbidden_character", "exchanger"),
        (ADD, {**GOOD, "serial": "2026"}, "serial_not_integer", "serial"),
        (ADD, {**GOOD, "serial": -1}, "serial_out_of_range", "serial"),
        (ADD, {**GOOD, "prio": 5}, "unknown_field", "prio"),
        (ADD, {"priority": 10, "exchanger": "mx.self.test"}, "duplicate", "exchanger"),
        (ADD, [GOOD], "invalid_body", None),
        (CHANGE, {"priority": 10}, "missing", "exchanger"),
        (CHANGE, {**GOOD, "exchanger": "192.0.2.7"}, "ip_literal", "exchanger"),
        (
            ("PUT", "/domains/alice.test/mx/x/mx.self.test"),
            GOOD,
            "priority_not_integer",
            "priority",
        ),
        (
            ("PUT", "/domains/alice.test/mx/70000/mx.self.test"),
            GOOD,
            "priority_out_of_range",
            "priority",
        ),
        (("PUT", "/domains/alice.test/routing"), {"mode": "nearby"}, "invalid_mode", "mode"),
        (("PUT", "/domains/alice.test/routing"), {"mode": 1}, "invalid_mode", "mode"),
        (("PUT", "/domains/alice.test/routing"), {}, "missing", "mode"),
        (
            ("DELETE", "/domains/alice.test/mx/10/mx.self.test?serial=x"),
            None,
            "serial_not_integer",
            "serial",
        ),
        (("DELETE", "/domains/alice.test/mx/10/192.0.2.7"), None, "ip_literal", "exchanger"),
        (("GET", "/domains/bad..name/mx"), None, "empty_label", "domain"),
        (("GET", "/history?limit=0"), None, "limit_out_of_range", "limit"),
        (("GET", "/history?limit=x"), None, "limit_not_integer", "limit"),
    ],
)
def test_each_invalid_input_is_refused_with_400_and_its_reason(
    rest: Rest,
    people: People,
    api_settings: Settings,
    call: tuple[str, str],
    body: Any,
    code: str,
    field: str | None,
) -> None:
    state = data_state(api_settings)
    answer = rest.call(*call, people.alice, body)
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"].startswith("application/json")
    [error] = answer.json()["errors"]
    assert (error["code"], error["field"]) == (code, field)
    message = error["message"]
    assert message.endswith(".") and "\n" not in message and "Traceback" not in message
    assert data_state(api_settings) == state


def test_each_problem_of_a_request_is_listed(rest: Rest, people: People) -> None:
    answer = rest.call("POST", "/domains/alice.test/mx", people.alice, {"priority": -1, "x": 1})
    errors = answer.json()["errors"]
    assert [(e["code"], e["field"]) for e in errors] == [
        ("priority_out_of_range", "priority"),
        ("missing", "exchanger"),
        ("unknown_field", "x"),
    ]


def test_a_body_that_is_not_json_is_refused(rest: Rest, people: People) -> None:
    answer = rest.call("POST", "/domains/alice.test/mx", people.alice, raw="priority=10")
    assert answer.status_code == 400
    assert [e["code"] for e in answer.json()["errors"]] == ["invalid_json"]


def test_a_record_the_domain_does_not_have_is_404(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    state = data_state(api_settings)
    for method in ("PUT", "DELETE"):
        answer = rest.call(method, "/domains/alice.test/mx/20/mx.self.test", people.alice, GOOD)
        assert answer.status_code == 404
        assert [e["code"] for e in answer.json()["errors"]] == ["record_not_found"]
    assert data_state(api_settings) == state


def test_an_unknown_path_or_method_answers_json(rest: Rest, people: People) -> None:
    for path in ("/", "/domain", "/domains/alice.test/mx/10"):
        answer = rest.call("GET", path, people.alice)
        assert answer.status_code == 404
        assert answer.json()["errors"][0]["code"] == "no_endpoint"
    answer = rest.call("PATCH", "/domains", people.alice)
    assert answer.status_code == 405
    assert answer["Allow"] == "GET"
    assert answer.json()["errors"][0]["code"] == "method_not_allowed"


def test_an_unexpected_error_is_a_json_500_without_a_traceback(
    rest: Rest, people: People, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Service, "list_domains", broken)
    answer = rest.call("GET", "/domains", people.alice)
    assert answer.status_code == 500
    [error] = answer.json()["errors"]
    assert error["code"] == "internal_error"
    assert "secret internals" not in answer.content.decode()
    assert "secret internals" in caplog.text


@pytest.mark.parametrize(("step", "status"), [("zone_check", 422), ("zone_reload", 503)])
def test_a_failed_step_is_reported_and_the_zone_is_kept(
    rest: Rest, people: People, api_settings: Settings, settings: Any, step: str, status: int
) -> None:
    import dataclasses

    # A check or reload command that fails, as named-checkzone or rndc would.
    if step == "zone_check":
        settings.MXROUTE = dataclasses.replace(api_settings, zone_check_command="false")
    else:
        settings.MXROUTE = dataclasses.replace(api_settings, zone_reload_command="false")
    before = zone_text(api_settings, "alice.test")
    answer = rest.call("POST", "/domains/alice.test/mx", people.alice, GOOD)
    assert answer.status_code == status
    [error] = answer.json()["errors"]
    assert error["code"] == f"{step}_failed"
    assert "command failed" in error["message"]
    assert zone_text(api_settings, "alice.test").count("mx2.alice.test") == 0
    assert before.count(" MX ") == zone_text(api_settings, "alice.test").count(" MX ")


def test_an_owner_whose_zone_cannot_be_read_gets_503_without_server_paths(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    (api_settings.zones_dir / "alice.test.zone").unlink()
    for answer in (
        rest.call("GET", "/domains/alice.test", people.alice),
        rest.call(
            "POST", "/domains/alice.test/mx", people.alice, {"priority": 5, "exchanger": SELF}
        ),
    ):
        assert answer.status_code == 503
        [error] = answer.json()["errors"]
        assert error["code"] == "zone_unavailable"
        assert str(api_settings.zones_dir) not in error["message"]
        assert "ask your hosting operator" in error["message"]


def test_an_administrator_whose_zone_cannot_be_read_gets_503_with_the_reason(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    (api_settings.zones_dir / "alice.test.zone").write_text("this is no zone\n")
    answer = rest.call("GET", "/domains/alice.test", people.admin)
    assert answer.status_code == 503
    [error] = answer.json()["errors"]
    assert error["code"] != "internal_error"
    assert "alice.test.zone" in error["message"]  # the operator is told which file


def test_a_query_parameter_sent_twice_with_two_values_is_refused(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    answer = rest.call(
        "DELETE", "/domains/alice.test/mx/10/mx.self.test?serial=1&serial=2", people.alice
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "duplicate_field"
    assert data_state(api_settings) == before


def test_a_query_with_too_many_parameters_is_413_not_500(rest: Rest, people: People) -> None:
    query = "&".join(f"p{i}=1" for i in range(1500))
    answer = rest.call("GET", f"/domains?{query}", people.alice)
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["code"] == "too_large"
