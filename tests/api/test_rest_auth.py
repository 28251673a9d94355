"""Who may call the REST API, and what each caller may see and change."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mxroute import accounts
from mxroute.api.auth import CHALLENGE
from mxroute.config import Settings
from mxroute.service import Service
from tests.api.conftest import PASSWORD, People, Person, Rest, data_state

GOOD = {"priority": 20, "exchanger": "mx2.alice.test"}


def operations(domain: str) -> list[tuple[str, str, Any]]:
    """Every operation on one domain, with a valid body."""
    return [
        ("GET", f"/domains/{domain}", None),
        ("GET", f"/domains/{domain}/mx", None),
        ("POST", f"/domains/{domain}/mx", GOOD),
        ("PUT", f"/domains/{domain}/mx/10/mx.self.test", GOOD),
        ("DELETE", f"/domains/{domain}/mx/10/mx.self.test", None),
        ("GET", f"/domains/{domain}/routing", None),
        ("PUT", f"/domains/{domain}/routing", {"mode": "remote"}),
        ("POST", f"/domains/{domain}/detect", None),
        ("GET", f"/domains/{domain}/history", None),
    ]


EVERY_OPERATION = [*operations("alice.test"), ("GET", "/domains", None), ("GET", "/history", None)]


def basic(username: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


def assert_unauthenticated(answer: Any, message: str | None = None) -> None:
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == CHALLENGE
    [error] = answer.json()["errors"]
    assert error["code"] == "unauthenticated"
    if message is not None:
        assert error["message"] == message


# ----- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), EVERY_OPERATION)
def test_every_operation_needs_credentials_and_changes_nothing_without(
    rest: Rest, api_settings: Settings, method: str, path: str, body: Any
) -> None:
    state = data_state(api_settings)
    assert_unauthenticated(rest.call(method, path, None, body))
    assert data_state(api_settings) == state


@pytest.mark.parametrize(
    "person", ["alice_bearer", "alice_cpanel", "alice_basic", "limited_bearer"]
)
def test_each_scheme_authenticates(rest: Rest, people: People, person: str) -> None:
    headers = {
        "alice_bearer": people.alice.bearer,
        "alice_cpanel": people.alice.cpanel,
        "alice_basic": people.alice.basic,
        "limited_bearer": people.alice_limited.bearer,
    }[person]
    assert rest.call("GET", "/domains/alice.test/mx", headers).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_AUTHORIZATION": "Bearer WRONGWRONGWRONGWRONGWRONGWRONG00"},
        {"HTTP_AUTHORIZATION": "cpanel alice:WRONGWRONGWRONGWRONGWRONGWRONG00"},
    ],
)
def test_a_wrong_token_is_refused(rest: Rest, headers: dict[str, str]) -> None:
    assert_unauthenticated(rest.call("GET", "/domains", headers), accounts.WRONG_TOKEN)


def test_an_expired_token_is_refused(rest: Rest, people: People) -> None:
    from mxroute.store.models import ApiToken

    ApiToken.objects.filter(name="alice-script").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_unauthenticated(rest.call("GET", "/domains", people.alice), accounts.WRONG_TOKEN)


def test_a_revoked_token_is_refused(rest: Rest, people: People) -> None:
    assert rest.call("GET", "/domains", people.alice).status_code == 200
    accounts.revoke_token("alice", "alice-script")
    assert_unauthenticated(rest.call("GET", "/domains", people.alice), accounts.WRONG_TOKEN)


def test_a_token_named_with_another_user_is_refused(rest: Rest, people: People) -> None:
    headers = {"HTTP_AUTHORIZATION": f"cpanel bob:{people.alice.token}"}
    assert_unauthenticated(rest.call("GET", "/domains", headers), accounts.WRONG_TOKEN)


def test_a_wrong_password_is_refused(rest: Rest, people: People) -> None:
    answer = rest.call("GET", "/domains", basic("alice", PASSWORD + "x"))
    assert_unauthenticated(answer, accounts.WRONG_CREDENTIALS)


@pytest.mark.parametrize(
    "header", ["Token abc", "Bearer", "cpanel alice", "Basic !!!", "Basic " + "YWxpY2U="]
)
def test_a_malformed_header_is_refused(rest: Rest, header: str) -> None:
    assert_unauthenticated(rest.call("GET", "/domains", {"HTTP_AUTHORIZATION": header}))


def test_repeated_failures_are_throttled_with_retry_after(rest: Rest, people: People) -> None:
    for _ in range(accounts.MAX_FAILURES_PER_USER):
        assert rest.call("GET", "/domains", basic("alice", "wrong")).status_code == 401
    # Now even the right password waits.
    answer = rest.call("GET", "/domains", people.alice.basic)
    assert answer.status_code == 429
    assert 0 < int(answer["Retry-After"]) <= 15 * 60
    [error] = answer.json()["errors"]
    assert error["code"] == "throttled"
    assert "wait" in error["message"]


def test_a_call_records_the_tokens_last_use(rest: Rest, people: People) -> None:
    rest.call("GET", "/domains", people.bob)
    [token] = accounts.list_tokens("bob")
    assert token.last_used_at is not None


def test_a_session_cookie_alone_does_not_authenticate(rest: Rest, people: People) -> None:
    from django.contrib.auth import get_user_model

    rest.client.force_login(get_user_model().objects.get(username="alice"))
    assert_unauthenticated(rest.call("GET", "/domains", None))


def test_token_calls_need_no_csrf_token(people: People, api_service: Service) -> None:
    client = Client(enforce_csrf_checks=True)
    answer = Rest(client).call("POST", "/domains/alice.test/mx", people.alice, GOOD)
    assert answer.status_code == 201
    assert "csrftoken" not in answer.cookies


# ----- who sees what ----------------------------------------------------------------------------


def test_another_owners_domain_is_404_everywhere_and_nothing_changes(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    state = data_state(api_settings)
    for (method, path, body), (_, absent_path, _) in zip(
        operations("alice.test"), operations("absent.test"), strict=True
    ):
        answer = rest.call(method, path, people.bob, body)
        absent = rest.call(method, absent_path, people.bob, body)
        assert answer.status_code == 404, (method, path)
        # Not yours and absent read the same, apart from the name asked about.
        assert answer.content.replace(b"alice.test", b"X") == absent.content.replace(
            b"absent.test", b"X"
        )
        assert answer.json()["errors"][0]["code"] == "domain_not_found"
    assert data_state(api_settings) == state


def test_another_owners_domains_are_not_listed(rest: Rest, people: People) -> None:
    rest.call("PUT", "/domains/alice.test/routing", people.alice, {"mode": "local"})
    domains = rest.call("GET", "/domains", people.bob).json()["domains"]
    assert [d["domain"] for d in domains] == ["bob.test"]
    changes = rest.call("GET", "/history", people.bob).json()["changes"]
    assert {c["domain"] for c in changes} == {"bob.test"}


def test_a_token_limited_to_one_domain_sees_only_that_one(
    rest: Rest, people: People, api_settings: Settings
) -> None:
    limited: Person = people.alice_limited
    domains = rest.call("GET", "/domains", limited).json()["domains"]
    assert [d["domain"] for d in domains] == ["alice.test"]
    state = data_state(api_settings)
    for method, path, body in operations("alice2.test"):
        assert rest.call(method, path, limited, body).status_code == 404, (method, path)
    assert data_state(api_settings) == state
    answer = rest.call("POST", "/domains/alice.test/mx", limited, GOOD)
    assert answer.status_code == 201
    changes = rest.call("GET", "/history", limited).json()["changes"]
    assert {c["domain"] for c in changes} == {"alice.test"}
    assert changes[0]["token_name"] == "alice-limited"


def test_an_administrator_sees_and_changes_every_domain(rest: Rest, people: People) -> None:
    domains = rest.call("GET", "/domains", people.admin).json()["domains"]
    assert [d["domain"] for d in domains] == ["alice.test", "alice2.test", "bob.test"]
    answer = rest.call("POST", "/domains/bob.test/mx", people.admin, GOOD)
    assert answer.status_code == 201
    changes = rest.call("GET", "/history", people.admin).json()["changes"]
    assert {c["domain"] for c in changes} == {"alice.test", "alice2.test", "bob.test"}
    assert (changes[0]["actor"], changes[0]["token_name"]) == ("admin", "admin-script")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
def test_a_body_not_sent_as_json_is_refused_with_415_and_changes_nothing(
    rest: Rest, people: People, api_settings: Any, content_type: str
) -> None:
    # Such bodies need no CORS preflight: a page elsewhere could send them.
    before = data_state(api_settings)
    answer = rest.client.post(
        "/api/v1/domains/alice.test/mx",
        '{"priority": 7, "exchanger": "evil.example.net"}',
        content_type=content_type,
        **people.alice.basic,
    )
    assert answer.status_code == 415
    [error] = answer.json()["errors"]
    assert error["code"] == "unsupported_media_type"
    assert data_state(api_settings) == before


def test_the_challenge_never_asks_a_browser_for_a_password(rest: Rest) -> None:
    answer = rest.call("GET", "/domains", {})
    assert answer.status_code == 401
    assert "basic" not in answer["WWW-Authenticate"].lower()
