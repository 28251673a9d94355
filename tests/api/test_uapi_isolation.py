"""UAPI across accounts: another owner's domain is refused exactly like an absent one,
for every function, and nothing changes; a limited token reaches only its domains."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from mxroute.config import Settings
from tests.api.conftest import SELF, People, Person, data_state

FORM = "application/x-www-form-urlencoded"


def every_call(zone: str) -> list[tuple[str, dict[str, str]]]:
    """Each UAPI function, with parameters that would succeed on ``zone``."""
    return [
        ("list_mxs", {"domain": zone}),
        ("add_mx", {"domain": zone, "exchanger": "mx2.bob.test", "priority": "20"}),
        (
            "change_mx",
            {"domain": zone, "oldexchanger": SELF, "exchanger": SELF, "priority": "5"},
        ),
        # The last record: no MX and no address stops mail (no_mail_possible), so forced.
        ("delete_mx", {"domain": zone, "exchanger": SELF, "priority": "10", "force": "1"}),
        ("set_always_accept", {"domain": zone, "mxcheck": "local"}),
        ("add_mx", {"domain": zone, "exchanger": SELF, "priority": "0", "alwaysaccept": "0"}),
    ]


def call(client: Client, function: str, params: dict[str, str], who: Person) -> dict[str, Any]:
    response = client.post(
        f"/execute/Email/{function}", urlencode(params), content_type=FORM, **who.cpanel
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def not_yours(zone: str) -> dict[str, Any]:
    message = f"{zone} is not among the domains you manage; check the name in your domain list."
    return {
        "status": 0,
        "errors": [message],
        "messages": None,
        "warnings": None,
        "metadata": {},
        "data": None,
    }


@pytest.mark.parametrize(("function", "params"), every_call("alice.test"))
def test_bob_gets_the_answer_for_an_absent_domain_and_nothing_changes(
    client: Client,
    people: People,
    api_settings: Settings,
    function: str,
    params: dict[str, str],
) -> None:
    before = data_state(api_settings)
    assert call(client, function, params, people.bob) == not_yours("alice.test")
    absent = {**params, "domain": "nosuch.test"}
    assert call(client, function, absent, people.bob) == not_yours("nosuch.test")
    assert data_state(api_settings) == before


def test_bob_lists_only_his_own_domains(client: Client, people: People) -> None:
    assert [d["domain"] for d in call(client, "list_mxs", {}, people.bob)["data"]] == ["bob.test"]


@pytest.mark.parametrize(("function", "params"), every_call("alice2.test"))
def test_a_limited_token_is_refused_outside_its_domains(
    client: Client,
    people: People,
    api_settings: Settings,
    function: str,
    params: dict[str, str],
) -> None:
    before = data_state(api_settings)
    assert call(client, function, params, people.alice_limited) == not_yours("alice2.test")
    assert data_state(api_settings) == before


@pytest.mark.parametrize(("function", "params"), every_call("alice.test"))
def test_a_limited_token_works_inside_its_domains(
    client: Client, people: People, function: str, params: dict[str, str]
) -> None:
    assert call(client, function, params, people.alice_limited)["status"] == 1


def test_a_limited_token_lists_only_its_domains(client: Client, people: People) -> None:
    body = call(client, "list_mxs", {}, people.alice_limited)
    assert [d["domain"] for d in body["data"]] == ["alice.test"]


def test_the_same_user_with_a_password_reaches_all_of_their_domains(
    client: Client, people: People
) -> None:
    response = client.post("/execute/Email/list_mxs", **people.alice.basic)
    assert [d["domain"] for d in response.json()["data"]] == ["alice.test", "alice2.test"]
