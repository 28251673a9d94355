"""The domain list flags the domains in which the doctor last found something wrong, and
filters them: "Show only domains with findings"."""

from __future__ import annotations

from django.test import Client

from mxroute.core.records import MXRecord
from mxroute.service import OPERATOR
from mxroute.service.doctor import Doctor
from tests.service.conftest import ServedAsFiled
from tests.web.conftest import ALICE, BOB, IDN, Panel, page
from tests.web.html import Node


def _names(tree: Node) -> list[str]:
    return [row.one("a").text for row in tree.one("table", cls="domains").one("tbody").all("tr")]


def _flags(tree: Node) -> dict[str, str]:
    rows = tree.one("table", cls="domains").one("tbody").all("tr")
    return {row.one("a").text: flag.text for row in rows for flag in row.all("span", cls="flag")}


def _drift(panel: Panel) -> None:
    """bob.test drops out of the routing lists by hand; then the doctor looks."""
    lists = panel.home / "lists" / "localdomains"
    lists.write_text(lists.read_text().replace(f"{BOB}\n", ""))
    Doctor(panel.service, ServedAsFiled(panel.service)).run(actor=OPERATOR)


def test_a_domain_with_findings_is_flagged_with_what_was_found(root: Client, panel: Panel) -> None:
    assert _flags(page(root.get("/"))) == {}
    _drift(panel)
    flags = _flags(page(root.get("/")))
    assert list(flags) == [BOB]
    assert flags[BOB].startswith("The doctor found on ")
    assert flags[BOB].endswith(": routing lists disagree.")


def test_the_filter_link_shows_only_the_flagged_domains(root: Client, panel: Panel) -> None:
    _drift(panel)
    tree = page(root.get("/"))
    link = tree.one("a", id="with-findings")
    assert link.text == "Show only domains with findings"
    assert link.attrs["href"] == "/?findings=1"
    flagged = page(root.get(link.attrs["href"]))
    assert _names(flagged) == [BOB]
    assert flagged.one("caption").text == "Page 1 of 1, 1 domain with findings"
    back = flagged.one("a", id="all-domains")
    assert back.attrs["href"] == "/"
    assert _names(page(root.get(back.attrs["href"]))) == [ALICE, BOB, "bücher.test"]


def test_the_filter_keeps_the_search(root: Client, panel: Panel) -> None:
    _drift(panel)
    tree = page(root.get("/", {"q": "bob"}))
    assert tree.one("a", id="with-findings").attrs["href"] == "/?q=bob&findings=1"
    assert _names(page(root.get("/", {"q": "bob", "findings": "1"}))) == [BOB]
    none = page(root.get("/", {"q": "alice", "findings": "1"})).by_id("no-domains")
    assert none is not None
    assert none.text.startswith("The doctor found nothing wrong in the domains matching “alice”")


def test_an_owner_filters_only_among_their_own_domains(alice: Client, panel: Panel) -> None:
    _drift(panel)
    tree = page(alice.get("/", {"findings": "1"}))
    message = tree.by_id("no-domains")
    assert message is not None
    assert message.text.startswith("The doctor found nothing wrong")
    assert BOB not in tree.text


def test_the_page_links_keep_the_filter(root: Client, panel: Panel) -> None:
    added = [f"d{n:02}.test" for n in range(55)]
    for name in added:
        panel.service.add_domain(name, actor=OPERATOR, mx=[MXRecord(10, "mx.self.test")])
    panel.service.routing.change(dict.fromkeys(added))  # out of the lists, by hand
    Doctor(panel.service, ServedAsFiled(panel.service)).run(actor=OPERATOR)
    first = page(root.get("/", {"findings": "1"}))
    assert first.one("caption").text == "Page 1 of 2, 55 domains with findings"
    assert first.one("nav", cls="pages").one("a", rel="next").attrs["href"] == (
        "/?page=2&findings=1"
    )
    second = page(root.get("/?page=2&findings=1"))
    assert len(_names(second)) == 5 and IDN not in _names(second)
