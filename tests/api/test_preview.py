"""Preview and confirm through every HTTP door: a dry run writes nothing and says what
would change; a previewed plan is applied only while it is still the same plan."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mxroute.config import Settings
from mxroute.service import OPERATOR, Service
from tests.api import test_api2, test_uapi
from tests.api.conftest import People, Rest, data_state

ADD = {"priority": 20, "exchanger": "mx2.alice.test"}


def test_rest_dry_run_writes_nothing_and_shows_the_change(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    answer = rest.call("POST", "/domains/alice.test/mx", people.alice, {**ADD, "dry_run": True})
    assert answer.status_code == 200
    plan = answer.json()
    assert plan["dry_run"] is True
    assert plan["zone_lines_added"] == ["@ IN MX 20 mx2.alice.test."]
    assert plan["zone_lines_removed"] == []
    assert (plan["lists_before"], plan["lists_after"]) == (["localdomains"], ["localdomains"])
    assert plan["serial_after"] == plan["serial_before"]
    assert data_state(api_settings) == before
    # Applying that plan makes exactly that change.
    applied = rest.call(
        "POST", "/domains/alice.test/mx", people.alice, {**ADD, "plan": plan["fingerprint"]}
    )
    assert applied.status_code == 201
    assert applied.json()["dry_run"] is False
    assert applied.json()["fingerprint"] == plan["fingerprint"]


def test_rest_a_stale_plan_is_409_and_writes_nothing(
    rest: Rest, people: People, api_settings: Settings, api_service: Service
) -> None:
    plan = rest.call(
        "PUT", "/domains/alice.test/routing", people.alice, {"mode": "backup", "dry_run": True}
    ).json()
    api_service.add_mx("alice.test", 5, "mx0.alice.test", actor=OPERATOR)  # meanwhile
    before = data_state(api_settings)
    answer = rest.call(
        "PUT",
        "/domains/alice.test/routing",
        people.alice,
        {"mode": "backup", "plan": plan["fingerprint"]},
    )
    assert answer.status_code == 409
    assert answer.json()["errors"][0]["code"] == "plan_changed"
    assert data_state(api_settings) == before


def test_rest_delete_and_detect_take_dry_run_in_the_query(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    deleted = rest.call(
        "DELETE", "/domains/alice.test/mx/10/mx.self.test?dry_run=true", people.alice
    )
    assert deleted.status_code == 200
    assert deleted.json()["zone_lines_removed"] == ["@ IN MX 10 mx.self.test."]
    detected = rest.call("POST", "/domains/alice.test/detect?dry_run=true", people.alice)
    assert detected.status_code == 200 and detected.json()["dry_run"] is True
    assert data_state(api_settings) == before


def test_uapi_and_api2_take_dry_run_1(
    client: Client, people: People, api_settings: Settings
) -> None:
    before = data_state(api_settings)
    params = {"domain": "alice.test", "exchanger": "mx2.alice.test", "priority": "20"}
    body: dict[str, Any] = test_uapi.call(
        client, "add_mx", {**params, "dry_run": "1"}, people.alice
    )
    assert body["status"] == 1
    assert body["data"]["dry_run"] == 1
    assert body["data"]["zone_lines_added"] == ["@ IN MX 20 mx2.alice.test."]
    assert body["data"]["statusmsg"].startswith("Dry run, nothing was changed")
    result = test_api2.call(client, "addmx", {**params, "dry_run": "1"}, people.alice)
    assert result["event"] == {"result": 1}
    assert result["data"][0]["dry_run"] == 1
    assert data_state(api_settings) == before
    # And the plan applies through UAPI.
    applied = test_uapi.call(
        client, "add_mx", {**params, "plan": body["data"]["fingerprint"]}, people.alice
    )
    assert applied["status"] == 1 and "dry_run" not in applied["data"]
    assert data_state(api_settings) != before
