"""The API tokens page: list, create (the secret shown once), revoke; only the user's own."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mxroute import accounts
from mxroute.errors import Unauthenticated
from tests.web.conftest import ALICE, BOB, IDN, Panel, page


def test_a_user_without_tokens_sees_the_form_with_their_domains(alice: Client) -> None:
    tree = page(alice.get("/tokens/"))
    assert tree.one("h1").text == "API tokens"
    assert tree.by_id("no-tokens") is not None
    form = tree.one("form", cls="create-token")
    assert form.attrs["method"] == "post" and form.attrs["action"] == "/tokens/"
    labels = {label.attrs["for"]: label.text for label in form.all("label")}
    assert labels == {"name": "Name", "domains": "Domains", "expires": "Expires"}
    select = form.one("select", id="domains")
    assert "multiple" in select.attrs
    options = [(o.attrs["value"], o.text) for o in select.all("option")]
    assert options == [(ALICE, ALICE), (IDN, "bücher.test")]
    assert form.one("button").text == "Create token"


def test_creating_a_token_shows_it_once_and_it_works(alice: Client, panel: Panel) -> None:
    response = alice.post(
        "/tokens/", {"name": "backup-script", "domains": [ALICE], "expires": "30d"}
    )
    tree = page(response)
    assert "no-store" in response["Cache-Control"]
    secret = tree.by_id("token-secret")
    assert secret is not None and re.fullmatch(r"[A-Z0-9]{32}", secret.text)
    box = tree.by_id("new-token")
    assert box is not None and box.attrs["role"] == "status"
    assert "shown only this once" in box.text
    caller = accounts.authenticate_token(secret.text, "192.0.2.9")
    assert caller.user == panel.alice and caller.domains == (ALICE,)
    # The list has it; the secret is not on the page any more.
    again = page(alice.get("/tokens/"))
    assert again.by_id("token-secret") is None
    assert secret.text not in again.text
    row = again.one("table", cls="tokens").one("tbody").one("tr")
    cells = [row.one("th").text, *[td.text for td in row.all("td")]]
    assert cells[0] == "backup-script"
    assert cells[1] == ALICE
    token = accounts.list_tokens("alice")[0]
    assert token.expires_at is not None and token.last_used_at is not None
    assert cells[3] == f"{token.expires_at:%Y-%m-%d %H:%M} UTC"
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 30
    assert cells[4] == f"{token.last_used_at:%Y-%m-%d %H:%M} UTC"  # used just above
    assert row.one("form").attrs["action"] == "/tokens/backup-script/revoke/"
    assert row.one("button").text == "Revoke"


def test_a_token_for_all_domains_without_expiry_says_so(alice: Client) -> None:
    page(alice.post("/tokens/", {"name": "all"}))
    row = page(alice.get("/tokens/")).one("table", cls="tokens").one("tbody").one("tr")
    domains, _, expires, _, _ = [td.text for td in row.all("td")]
    assert (domains, expires) == ("all your domains", "never")


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "bad name!"}, "name", "A token name must be"),
        ({"name": "ok", "expires": "soon"}, "expires", "is not an expiry"),
        ({"name": "ok", "expires": "2001-01-01"}, "expires", "in the past"),
        ({"name": "ok", "domains": [BOB]}, "domains", "is not among the domains"),
    ],
)
def test_bad_token_input_is_refused_beside_its_field(
    alice: Client, data: dict[str, object], field: str, words: str
) -> None:
    tree = page(alice.post("/tokens/", data), 400)
    error = tree.by_id(f"{field}-error")
    assert error is not None and words in error.text
    control = tree.one(None, id=field)
    assert f"{field}-error" in control.attrs["aria-describedby"].split()
    assert tree.by_id("token-secret") is None
    assert accounts.list_tokens("alice") == []


def test_a_taken_token_name_is_refused(alice: Client) -> None:
    accounts.create_token("alice", "script")
    tree = page(alice.post("/tokens/", {"name": "script"}), 400)
    error = tree.by_id("name-error")
    assert error is not None and "already has a token named 'script'" in error.text
    assert tree.one("input", id="name").attrs["value"] == "script"


def test_revoking_a_token_removes_it_and_says_so(alice: Client) -> None:
    secret = accounts.create_token("alice", "script").secret
    response = alice.post("/tokens/script/revoke/")
    assert response.status_code == 302 and response["Location"] == "/tokens/"
    tree = page(alice.get("/tokens/"))
    notice = tree.by_id("result")
    assert (
        notice is not None
        and notice.text == "Revoked the token script; calls made with it now fail."
    )
    assert tree.by_id("no-tokens") is not None
    with pytest.raises(Unauthenticated):
        accounts.authenticate_token(secret, "192.0.2.9")


def test_a_user_sees_and_revokes_only_their_own_tokens(alice: Client, bob: Client) -> None:
    accounts.create_token("bob", "bobs")
    assert "bobs" not in page(alice.get("/tokens/")).text
    page(alice.post("/tokens/bobs/revoke/"), 404)
    assert [t.name for t in accounts.list_tokens("bob")] == ["bobs"]
    assert "bobs" in page(bob.get("/tokens/")).text


def test_revoking_needs_a_post(alice: Client) -> None:
    accounts.create_token("alice", "script")
    assert alice.get("/tokens/script/revoke/").status_code == 405
    assert [t.name for t in accounts.list_tokens("alice")] == ["script"]
