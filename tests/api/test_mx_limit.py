"""The MX limit through every door: refused with one sentence, nothing changed."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.test import Client

from mxroute.config import Settings
from mxroute.service import OPERATOR, Service
from tests.api.conftest import People, Rest, data_state
from tests.api.test_api2 import call as api2_call
from tests.api.test_uapi import call as uapi_call
from tests.api.test_uapi import refused

LIMIT = 3
SENTENCE = "alice.test would have 4 MX records, more than the limit of 3"


@pytest.fixture
def full(api_settings: Settings, settings: Any, people: People) -> Settings:
    """alice.test holds LIMIT records, and the limit is LIMIT."""
    limited = dataclasses.replace(api_settings, max_mx_records=LIMIT)
    settings.MXROUTE = limited
    service = Service(limited)
    for n in range(2, LIMIT + 1):
        service.add_mx("alice.test", 10 * n, f"mx{n}.alice.test", actor=OPERATOR)
    return limited


def test_rest_refuses_one_record_too_many(full: Settings, rest: Rest, people: People) -> None:
    before = data_state(full)
    answer = rest.call(
        "POST", "/domains/alice.test/mx", people.alice, {"priority": 90, "exchanger": "x.test"}
    )
    assert answer.status_code == 400
    (error,) = answer.json()["errors"]
    assert error["code"] == "too_many_mx" and error["message"].startswith(SENTENCE)
    assert data_state(full) == before


def test_uapi_refuses_one_record_too_many(full: Settings, client: Client, people: People) -> None:
    before = data_state(full)
    body = uapi_call(
        client,
        "add_mx",
        {"domain": "alice.test", "exchanger": "x.test", "priority": "90"},
        people.alice,
    )
    assert refused(body).startswith(SENTENCE)
    assert data_state(full) == before


def test_api2_refuses_one_record_too_many(full: Settings, client: Client, people: People) -> None:
    before = data_state(full)
    result = api2_call(
        client,
        "addmx",
        {"domain": "alice.test", "exchanger": "x.test", "priority": "90"},
        people.alice,
    )
    assert result["event"]["result"] == 0
    assert result["data"][0]["reason"].startswith(SENTENCE)
    assert data_state(full) == before


def test_the_panel_refuses_one_record_too_many(
    full: Settings, client: Client, people: People
) -> None:
    before = data_state(full)
    client.force_login(_user("alice"))
    serial = Service(full).show("alice.test").snapshot.serial
    page = client.post(
        "/domains/alice.test/mx/add/",
        {"priority": "90", "exchanger": "x.test", "serial": str(serial)},
    )
    assert page.status_code == 400
    assert SENTENCE in page.content.decode()
    assert data_state(full) == before


def _user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)
