"""Who may see and change what: 404 for others' domains, administrators, CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mxroute.store.models import Domain
from tests.web.conftest import ALICE, BOB, SERIAL, Panel, confirm, page

RECORD = "?priority=10&exchanger=mx.self.test"
RECORD_DATA = {"priority": "10", "exchanger": "mx.self.test", "serial": SERIAL}


def _requests(zone: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every page and form of one domain, with data that would succeed."""
    edit = {**RECORD_DATA, "old_priority": "10", "old_exchanger": "mx.self.test", "priority": "20"}
    return [
        ("get", f"/domains/{zone}/", {}),
        ("post", f"/domains/{zone}/routing/", {"mode": "local"}),
        ("post", f"/domains/{zone}/mx/add/", {**RECORD_DATA, "priority": "20"}),
        ("get", f"/domains/{zone}/mx/edit/{RECORD}", {}),
        ("post", f"/domains/{zone}/mx/edit/{RECORD}", edit),
        ("get", f"/domains/{zone}/mx/delete/{RECORD}", {}),
        ("post", f"/domains/{zone}/mx/delete/{RECORD}", RECORD_DATA),
    ]


def _ids(requests: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [f"{method} {url}" for method, url, _ in requests]


@pytest.mark.parametrize(("method", "url", "data"), _requests(BOB), ids=_ids(_requests(BOB)))
def test_an_owner_gets_404_for_another_owners_domain_on_every_page_and_form(
    alice: Client, panel: Panel, method: str, url: str, data: dict[str, Any]
) -> None:
    before = panel.state()
    tree = page(getattr(alice, method)(url, data), 404)
    assert tree.one("h1").text == "Domain not found"
    error = tree.by_id("form-error")
    assert error is not None
    assert (
        error.text
        == f"{BOB} is not among the domains you manage; check the name in your domain list."
    )
    assert "mx.self.test" not in tree.text
    assert panel.state() == before


@pytest.mark.parametrize(
    ("method", "url", "data"),
    _requests("nothere.test"),
    ids=_ids(_requests("nothere.test")),
)
def test_a_domain_that_does_not_exist_answers_the_same_404(
    alice: Client, panel: Panel, method: str, url: str, data: dict[str, Any]
) -> None:
    before = panel.state()
    tree = page(getattr(alice, method)(url, data), 404)
    error = tree.by_id("form-error")
    assert error is not None
    assert error.text == (
        "nothere.test is not among the domains you manage; check the name in your domain list."
    )
    assert panel.state() == before


@pytest.mark.parametrize("name", ["bad_name", "192.0.2.1", "no-dot", "a..b"])
def test_a_name_that_cannot_be_a_domain_answers_404(alice: Client, name: str) -> None:
    page(alice.get(f"/domains/{name}/"), 404)


@pytest.mark.parametrize(("method", "url", "data"), _requests(BOB), ids=_ids(_requests(BOB)))
def test_an_administrator_may_use_every_page_and_form_of_any_domain(
    root: Client, panel: Panel, method: str, url: str, data: dict[str, Any]
) -> None:
    response = getattr(root, method)(url, data)
    if method == "post" and response.status_code == 200:
        # Deleting the only record stops mail: made through the confirmation page.
        response = confirm(root, response, force=True)
    assert response.status_code == (200 if method == "get" else 302)


def test_an_administrators_change_is_recorded_as_theirs(root: Client, panel: Panel) -> None:
    root.post(f"/domains/{BOB}/routing/", {"mode": "local"})
    assert Domain.objects.get(name=BOB).mode == "local"
    tree = page(root.get(f"/domains/{BOB}/"))
    first = tree.one("table", cls="history").one("tbody").all("tr")[0]
    assert [td.text for td in first.all("td")][1:3] == ["root", "web panel"]


# ----- CSRF -----------------------------------------------------------------------------

FORMS = [
    *[(url, data) for method, url, data in _requests(ALICE) if method == "post"],
    ("/tokens/", {"name": "script"}),
    ("/tokens/script/revoke/", {}),
    ("/logout/", {}),
]


@pytest.mark.parametrize(("url", "data"), FORMS, ids=[url for url, _ in FORMS])
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    panel: Panel, url: str, data: dict[str, Any]
) -> None:
    from mxroute import accounts

    accounts.create_token("alice", "script")
    client = Client(enforce_csrf_checks=True)
    client.force_login(panel.alice)
    before = panel.state(), accounts.list_tokens("alice")
    refused = client.post(url, data)
    assert refused.status_code == 403
    assert "Form expired" in refused.content.decode()
    assert "nothing was changed" in refused.content.decode()
    assert (panel.state(), accounts.list_tokens("alice")) == before
    assert client.get("/").status_code == 200  # still logged in


def test_the_login_form_needs_its_csrf_token_too(panel: Panel) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "alice", "password": "alice-secret-2026"})
    assert response.status_code == 403
    assert client.get("/").status_code == 302


def _routing_form(panel: Panel) -> tuple[Client, str]:
    """alice's client (CSRF checked) and the token of her domain page's routing form."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(panel.alice)
    tree = page(client.get(f"/domains/{ALICE}/"))
    form = tree.one("form", action=f"/domains/{ALICE}/routing/")
    return client, form.one("input", name="csrfmiddlewaretoken").attrs["value"]


def test_a_post_with_the_csrf_token_from_the_page_is_accepted(panel: Panel) -> None:
    client, token = _routing_form(panel)
    response = client.post(
        f"/domains/{ALICE}/routing/", {"mode": "local", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert Domain.objects.get(name=ALICE).mode == "local"


def test_a_form_sent_over_https_through_an_untrusted_proxy_says_so(panel: Panel) -> None:
    # The browser is on HTTPS; the request reached mxroute as plain HTTP (a proxy that
    # does not send X-Forwarded-Proto, or is not in [web] trusted_proxies).
    client, token = _routing_form(panel)
    before = panel.state()
    refused = client.post(
        f"/domains/{ALICE}/routing/",
        {"mode": "local", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="https://testserver",
    )
    assert refused.status_code == 403
    text = refused.content.decode()
    assert "Proxy not trusted" in text and "X-Forwarded-Proto" in text
    assert panel.state() == before
