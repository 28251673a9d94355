"""Logging in and out: labels, redirects, wrong passwords, throttling, anonymous users."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mxroute.accounts import MAX_FAILURES_PER_USER
from tests.web.conftest import ALICE, Panel, page

PAGES = [
    ("get", "/"),
    ("get", "/?q=alice"),
    ("get", f"/domains/{ALICE}/"),
    ("post", f"/domains/{ALICE}/routing/"),
    ("post", f"/domains/{ALICE}/mx/add/"),
    ("get", f"/domains/{ALICE}/mx/edit/?priority=10&exchanger=mx.self.test"),
    ("post", f"/domains/{ALICE}/mx/edit/?priority=10&exchanger=mx.self.test"),
    ("get", f"/domains/{ALICE}/mx/delete/?priority=10&exchanger=mx.self.test"),
    ("post", f"/domains/{ALICE}/mx/delete/?priority=10&exchanger=mx.self.test"),
    ("get", "/tokens/"),
    ("post", "/tokens/"),
    ("post", "/tokens/anything/revoke/"),
]


def _log_in(client: Client, username: str, password: str, next_url: str = "") -> Any:
    return client.post("/login/", {"username": username, "password": password, "next": next_url})


def test_the_login_page_has_labelled_fields_and_a_log_in_button(panel: Panel) -> None:
    tree = page(Client().get("/login/"))
    assert tree.one("label", for_="username").text == "User name"
    assert tree.one("label", for_="password").text == "Password"
    assert tree.one("input", id="password").attrs["type"] == "password"
    assert [b.text for b in tree.all("button")] == ["Log in"]
    assert tree.one("input", name="csrfmiddlewaretoken")


def test_logging_in_leads_to_the_domain_list(panel: Panel) -> None:
    client = Client()
    response = _log_in(client, "alice", "alice-secret-2026")
    assert response.status_code == 302 and response["Location"] == "/"
    tree = page(client.get("/"))
    assert tree.one("h1").text == "Domains"
    assert tree.one("span", cls="user-name").text == "alice"


def test_logging_in_goes_on_to_the_page_asked_for(panel: Panel) -> None:
    client = Client()
    first = client.get(f"/domains/{ALICE}/")
    assert first.status_code == 302
    assert first["Location"] == f"/login/?next=/domains/{ALICE}/"
    tree = page(client.get(first["Location"]))
    assert tree.one("input", name="next").attrs["value"] == f"/domains/{ALICE}/"
    response = _log_in(client, "alice", "alice-secret-2026", f"/domains/{ALICE}/")
    assert response["Location"] == f"/domains/{ALICE}/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_a_next_address_off_this_site_is_ignored(panel: Panel, target: str) -> None:
    response = _log_in(Client(), "alice", "alice-secret-2026", target)
    assert response["Location"] == "/"


def test_a_wrong_password_is_refused_with_one_sentence_and_the_name_kept(panel: Panel) -> None:
    client = Client()
    tree = page(_log_in(client, "alice", "wrong-password"), 400)
    error = tree.by_id("form-error")
    assert error is not None and error.attrs["role"] == "alert"
    assert error.text == "The user name or password is wrong."
    assert tree.one("input", id="username").attrs["value"] == "alice"
    assert "value" not in tree.one("input", id="password").attrs
    assert client.get("/").status_code == 302  # still not logged in


def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(panel: Panel) -> None:
    tree = page(_log_in(Client(), "nobody", "whatever"), 400)
    error = tree.by_id("form-error")
    assert error is not None and error.text == "The user name or password is wrong."


def test_the_sixth_attempt_is_refused_even_with_the_right_password(panel: Panel) -> None:
    client = Client()
    for _ in range(MAX_FAILURES_PER_USER):
        assert _log_in(client, "alice", "wrong-password").status_code == 400
    response = _log_in(client, "alice", "alice-secret-2026")
    tree = page(response, 429)
    error = tree.by_id("form-error")
    assert error is not None
    assert error.text.startswith("Too many failed log-ins; wait ")
    assert int(response["Retry-After"]) > 0
    assert client.get("/").status_code == 302
    # Another user is not throttled by alice's failures.
    assert _log_in(Client(), "bob", "bob-secret-2026").status_code == 302


def test_a_logged_in_user_visiting_the_login_page_goes_to_the_domains(alice: Client) -> None:
    assert alice.get("/login/")["Location"] == "/"


def test_every_logged_in_page_has_a_log_out_button_that_logs_out(alice: Client) -> None:
    for url in ("/", f"/domains/{ALICE}/", "/tokens/"):
        form = page(alice.get(url)).one("form", cls="logout")
        assert form.attrs["method"] == "post" and form.attrs["action"] == "/logout/"
        assert form.one("button").text == "Log out"
    response = alice.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert alice.get("/").status_code == 302


def test_logging_out_needs_a_post(alice: Client) -> None:
    assert alice.get("/logout/").status_code == 405
    assert alice.get("/").status_code == 200


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_anonymous_users_are_sent_to_log_in(panel: Panel, method: str, url: str) -> None:
    before = panel.state()
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert panel.state() == before


def test_the_admin_logs_in_through_the_same_throttled_page(panel: Panel) -> None:
    response = Client().get("/admin/login/?next=/admin/")
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/admin/")
    client = Client()
    for _ in range(MAX_FAILURES_PER_USER):
        _log_in(client, "alice", "wrong-password")
    assert _log_in(client, "alice", "alice-secret-2026", "/admin/").status_code == 429
