"""The API's Authorization header: Bearer, cPanel's USER:TOKEN and Basic (mxroute.api.auth)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import RequestFactory

from mxroute import accounts
from mxroute.api import auth
from mxroute.core.records import MXRecord
from mxroute.errors import Throttled, Unauthenticated
from mxroute.service import Service
from tests.service.conftest import ACTOR, make_settings

PASSWORD = "Plum-kettle-49-orbit"
ADDRESS = "192.0.2.10"


@pytest.fixture
def alice(db: None) -> Any:
    accounts.add_user("alice", PASSWORD)
    return get_user_model().objects.get(username="alice")


@pytest.fixture
def secret(alice: Any) -> str:
    return accounts.create_token("alice", "deploy").secret


def _request(authorization: str | None, address: str = ADDRESS) -> HttpRequest:
    request = RequestFactory().get("/execute/Email/list_mxs", REMOTE_ADDR=address)
    if authorization is not None:
        request.META["HTTP_AUTHORIZATION"] = authorization
    return request


def _basic(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _refused(authorization: str | None, address: str = ADDRESS) -> str:
    with pytest.raises(Unauthenticated) as refused:
        auth.authenticate(_request(authorization, address))
    assert refused.value.code == "unauthenticated"
    return refused.value.message


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_a_bearer_token_names_its_user_and_token(secret: str, scheme: str) -> None:
    caller = auth.authenticate(_request(f"{scheme} {secret}"))
    assert (caller.user.get_username(), caller.token_name, caller.domains) == (
        "alice",
        "deploy",
        (),
    )


@pytest.mark.parametrize("scheme", ["cpanel", "CPanel"])
def test_the_cpanel_scheme_carries_the_user_and_the_token(secret: str, scheme: str) -> None:
    caller = auth.authenticate(_request(f"{scheme} alice:{secret}"))
    assert (caller.user.get_username(), caller.token_name) == ("alice", "deploy")


def test_the_cpanel_scheme_with_another_users_name_is_refused(secret: str) -> None:
    accounts.add_user("bob", "Quiet-harbour-17-lantern")
    assert _refused(f"cpanel bob:{secret}") == accounts.WRONG_TOKEN
    assert _refused(f"cpanel :{secret}") == accounts.WRONG_TOKEN


def test_basic_authentication_uses_the_users_password(alice: Any) -> None:
    caller = auth.authenticate(_request(_basic(f"alice:{PASSWORD}")))
    assert (caller.user.pk, caller.token_name, caller.domains) == (alice.pk, "", ())


def test_a_password_may_contain_colons(db: None) -> None:
    accounts.add_user("carol", "colon:in:the:middle")
    caller = auth.authenticate(_request(_basic("carol:colon:in:the:middle")))
    assert caller.user.get_username() == "carol"


def test_a_wrong_password_or_token_is_refused(secret: str) -> None:
    assert _refused(_basic("alice:wrong password")) == accounts.WRONG_CREDENTIALS
    assert _refused(_basic(f"nobody:{PASSWORD}")) == accounts.WRONG_CREDENTIALS
    other_last = "X" if secret[-1] != "X" else "Y"  # one character off, never the same
    assert _refused(f"Bearer {secret[:-1]}{other_last}") == accounts.WRONG_TOKEN
    assert _refused(f"Bearer {secret.lower()}") == accounts.WRONG_TOKEN


def test_a_request_without_credentials_says_what_to_send(db: None) -> None:
    for header in (None, "", "   "):
        assert _refused(header) == auth.NO_CREDENTIALS


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer   ",
        "cpanel alice",
        "cpanel",
        "Basic",
        "Basic not*base64",
        "Basic " + base64.b64encode(b"no colon here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:\x80").decode(),
        "Digest username=alice",
        "Token abc",
        "alice:password",
    ],
)
def test_a_malformed_header_is_refused_in_one_sentence(db: None, header: str) -> None:
    assert _refused(header) == auth.MALFORMED


def test_failures_are_counted_for_the_peer_address(secret: str) -> None:
    for _ in range(accounts.MAX_FAILURES_PER_ADDRESS):
        _refused("Bearer " + "Z" * 32)
    with pytest.raises(Throttled) as throttled:
        auth.authenticate(_request(f"Bearer {secret}"))
    assert throttled.value.retry_after > 0
    assert auth.authenticate(_request(f"Bearer {secret}", "198.51.100.7")).token_name == "deploy"


def test_the_sixth_basic_log_in_is_throttled_even_with_the_right_password(alice: Any) -> None:
    for n in range(accounts.MAX_FAILURES_PER_USER):
        _refused(_basic("alice:wrong password"), address=f"203.0.113.{n}")
    with pytest.raises(Throttled):
        auth.authenticate(_request(_basic(f"alice:{PASSWORD}"), "198.51.100.7"))


def test_the_client_address_is_the_peer(db: None) -> None:
    assert auth.client_address(_request(None, "2001:db8::1")) == "2001:db8::1"
    request = _request(None)
    del request.META["REMOTE_ADDR"]
    assert auth.client_address(request) == ""


def test_the_actor_of_a_token_carries_its_name_and_scope(alice: Any, tmp_path: Path) -> None:
    service = Service(make_settings(tmp_path))
    service.add_domain(
        "alice.example", actor=ACTOR, owner="alice", mx=[MXRecord(10, "mx.self.test")]
    )
    limited = accounts.create_token("alice", "one", domains=["alice.example"]).secret
    actor = auth.actor_for(auth.authenticate(_request(f"Bearer {limited}")), "uapi")
    assert (actor.name, actor.interface, actor.token_name) == ("alice", "uapi", "one")
    assert (actor.user_id, actor.admin) == (alice.pk, False)
    assert actor.only == frozenset({"alice.example"})
    anywhere = auth.actor_for(auth.authenticate(_request(_basic(f"alice:{PASSWORD}"))), "api2")
    assert (anywhere.token_name, anywhere.only, anywhere.interface) == ("", None, "api2")
