"""The domain list: only the user's domains (all for administrators), with search."""

from __future__ import annotations

from django.test import Client

from mxroute.core.routing import Mode
from mxroute.service import OPERATOR
from tests.web.conftest import ALICE, BOB, IDN, Panel, page
from tests.web.html import Node


def _rows(tree: Node) -> dict[str, list[str]]:
    table = tree.one("table", cls="domains")
    body = table.one("tbody")
    return {row.one("a").text: [cell.text for cell in row.all("td")] for row in body.all("tr")}


def test_an_owner_sees_only_their_domains_with_mode_and_best_exchanger(alice: Client) -> None:
    tree = page(alice.get("/"))
    assert tree.one("h1").text == "Domains"
    rows = _rows(tree)
    assert list(rows) == [ALICE, "bücher.test"]
    assert rows[ALICE] == ["local (detected)", "mx.self.test (priority 10)"]
    link = tree.one("a", href=f"/domains/{IDN}/")
    assert link.text == "bücher.test"
    assert BOB not in tree.text


def test_the_list_shows_the_effective_mode_and_all_of_the_best_group(
    alice: Client, panel: Panel
) -> None:
    panel.service.add_mx(ALICE, 10, "mx1.alice.test", actor=OPERATOR)
    panel.service.set_mode(ALICE, Mode.REMOTE, actor=OPERATOR)
    rows = _rows(page(alice.get("/")))
    assert rows[ALICE] == ["remote", "mx.self.test, mx1.alice.test (priority 10)"]


def test_an_administrator_sees_every_domain_and_its_owner(root: Client) -> None:
    tree = page(root.get("/"))
    rows = _rows(tree)
    assert list(rows) == [ALICE, BOB, "bücher.test"]
    assert rows[BOB][-1] == "bob"
    assert [th.text for th in tree.one("thead").all("th")][-1] == "Owner"


def test_the_search_box_is_labelled_and_keeps_the_query(root: Client) -> None:
    tree = page(root.get("/", {"q": "bob"}))
    form = tree.one("form", role="search")
    assert form.attrs["method"] == "get"
    assert form.one("label", for_="q").text == "Search domains"
    assert form.one("input", id="q").attrs["value"] == "bob"
    assert form.one("button").text == "Search"
    assert list(_rows(tree)) == [BOB]


def test_search_finds_idn_domains_by_their_unicode_name(root: Client) -> None:
    assert list(_rows(page(root.get("/", {"q": "bücher"})))) == ["bücher.test"]


def test_search_only_looks_among_the_users_own_domains(alice: Client) -> None:
    tree = page(alice.get("/", {"q": "bob"}))
    assert tree.all("table") == []
    message = tree.by_id("no-domains")
    assert message is not None and message.text.startswith("No domain matches “bob”.")


def test_a_user_without_domains_is_told_whom_to_ask(panel: Panel) -> None:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.create_user("carol"))
    message = page(client.get("/")).by_id("no-domains")
    assert message is not None and "ask your hosting operator" in message.text
