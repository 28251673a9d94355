"""``GET /healthz``: no credentials, no data; 503 as soon as a reload step fails."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.test import Client

from mxroute.config import Settings
from tests.api.conftest import SELF, People, Rest

GOOD = {"priority": 20, "exchanger": "mx2.alice.test"}


def health(client: Client) -> tuple[int, dict[str, Any]]:
    answer = client.get("/healthz", HTTP_HOST="localhost")
    assert answer["Content-Type"] == "application/json"
    return answer.status_code, answer.json()


def test_a_healthy_server_says_so_without_credentials_or_data(
    client: Client, people: People
) -> None:
    status, body = health(client)
    assert status == 200
    checks = body.pop("checks")
    assert body == {"status": "ok"}
    # Adding the domains changed the lists; no zone was written yet.
    assert checks.pop("lists_reload")["ok"] is True
    assert checks == {"zones_dir": "ok", "lists_dir": "ok", "database": "ok", "zone_reload": None}


def test_a_failed_reload_fails_the_check_until_one_passes(
    client: Client, rest: Rest, people: People, api_settings: Settings, settings: Any
) -> None:
    settings.MXROUTE = dataclasses.replace(api_settings, zone_reload_command="false")
    assert rest.call("POST", "/domains/alice.test/mx", people.alice, GOOD).status_code == 503
    status, body = health(client)
    assert (status, body["status"], body["checks"]["zone_reload"]["ok"]) == (503, "failing", False)
    assert "alice" not in str(body)  # nothing about any domain
    settings.MXROUTE = api_settings
    assert rest.call("POST", "/domains/alice.test/mx", people.alice, GOOD).status_code == 201
    status, body = health(client)
    assert status == 200
    assert body["checks"]["zone_reload"]["ok"] is True


def test_a_zones_directory_that_cannot_be_written_fails_the_check(
    client: Client, people: People, api_settings: Settings, settings: Any
) -> None:
    settings.MXROUTE = dataclasses.replace(api_settings, zones_dir=api_settings.home / "missing")
    status, body = health(client)
    assert (status, body["checks"]["zones_dir"]) == (503, "not writable")
    assert SELF not in str(body)


def test_a_head_request_gets_the_status_alone(client: Client, people: People) -> None:
    answer = client.head("/healthz", HTTP_HOST="localhost")
    assert answer.status_code == 200 and answer.content == b""
