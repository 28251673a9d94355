"""The domain page: its sections in cPanel's order, the records, the picture, the history."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.test import Client

from mxroute.service import OPERATOR
from mxroute.web.svg import SVG_NS
from tests.web.conftest import ALICE, IDN, SERIAL, Panel, form_serial, page
from tests.web.html import Node

SECTIONS = ["Email Routing", "MX Records", "Add a New Record", "Where mail goes", "History"]


def _mx_rows(tree: Node) -> list[list[str]]:
    return [[td.text for td in tr.all("td")] for tr in tree.one("table", cls="mx").all("tr")[1:]]


def test_the_sections_come_in_the_seeds_order(alice: Client) -> None:
    tree = page(alice.get(f"/domains/{ALICE}/"))
    assert tree.one("h1").text == ALICE
    assert [h.text for h in tree.all("h2")] == SECTIONS


def test_email_routing_offers_the_four_modes_with_their_meaning(alice: Client) -> None:
    tree = page(alice.get(f"/domains/{ALICE}/"))
    form = tree.one("form", action=f"/domains/{ALICE}/routing/")
    assert form.attrs["method"] == "post"
    radios = form.all("input", type="radio")
    assert [(r.attrs["name"], r.attrs["value"]) for r in radios] == [
        ("mode", "auto"),
        ("mode", "local"),
        ("mode", "backup"),
        ("mode", "remote"),
    ]
    labels = [form.one("label", for_=r.attrs["id"]).text for r in radios]
    assert labels == [
        "Automatically Detect",
        "Local Mail Exchanger",
        "Backup Mail Exchanger",
        "Remote Mail Exchanger",
    ]
    for radio in radios:
        meaning = tree.by_id(radio.attrs["aria-describedby"])
        assert meaning is not None and meaning.text.endswith(".")
        assert meaning.text.count(". ") == 0  # one sentence
    assert "checked" in radios[0].attrs and not any("checked" in r.attrs for r in radios[1:])
    assert form.one("span", cls="detected").text == "(detected: local)"
    assert "can stop all incoming mail" in form.one("p", cls="caution").text
    assert [b.text for b in form.all("button")] == ["Change"]


def test_records_are_sorted_and_equal_priorities_share_mail_at_random(
    alice: Client, panel: Panel
) -> None:
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)
    panel.service.add_mx(ALICE, 5, "mx1.alice.test", actor=OPERATOR)
    panel.service.add_mx(ALICE, 20, "mx3.alice.test", actor=OPERATOR)
    tree = page(alice.get(f"/domains/{ALICE}/"))
    assert _mx_rows(tree) == [
        ["5", "mx1.alice.test", "Edit Delete"],
        ["10", "mx.self.test", "Edit Delete"],
        ["20 shares mail at random", "mx2.alice.test", "Edit Delete"],
        ["20 shares mail at random", "mx3.alice.test", "Edit Delete"],
    ]
    groups = tree.one("table", cls="mx").all("tbody")
    assert [len(g.all("tr")) for g in groups] == [1, 1, 2]
    edit = tree.one("a", href=f"/domains/{ALICE}/mx/edit/?priority=20&exchanger=mx3.alice.test")
    delete = tree.one("a", href=f"/domains/{ALICE}/mx/delete/?priority=20&exchanger=mx3.alice.test")
    assert (edit.text, delete.text) == ("Edit", "Delete")


def test_the_add_form_explains_priority_and_destination(alice: Client) -> None:
    tree = page(alice.get(f"/domains/{ALICE}/"))
    form = tree.one("form", action=f"/domains/{ALICE}/mx/add/")
    assert form_serial(tree, "/mx/add/") == str(SERIAL)
    assert form.one("label", for_="priority").text == "Priority"
    assert form.one("label", for_="exchanger").text == "Destination"
    priority_help = tree.by_id("priority-help")
    exchanger_help = tree.by_id("exchanger-help")
    assert priority_help is not None and exchanger_help is not None
    assert "Lower numbers are preferred" in priority_help.text
    assert "0 is the highest" in priority_help.text
    assert "fully qualified host name" in exchanger_help.text
    assert "not an IP address" in exchanger_help.text
    assert form.one("input", id="priority").attrs["aria-describedby"] == "priority-help"
    assert [b.text for b in form.all("button")] == ["Add New Record"]


def test_where_mail_goes_draws_the_plan_and_says_it_in_words(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 5, "mx1.alice.test", actor=OPERATOR)
    tree = page(alice.get(f"/domains/{ALICE}/"))
    response = alice.get(f"/domains/{ALICE}/").content.decode()
    start, end = response.index("<svg"), response.index("</svg>") + len("</svg>")
    svg = ET.fromstring(response[start:end])
    assert svg.get("role") == "img"
    title = svg.find(f"{{{SVG_NS}}}title")
    assert title is not None and title.text == f"Where mail for {ALICE} goes"
    texts = ["".join(t.itertext()) for t in svg.iter(f"{{{SVG_NS}}}text")]
    assert "holds and relays" in texts
    assert texts[-1] == "This server holds the mail and relays it to mx1.alice.test."
    lines = [li.text for li in tree.one("ul", cls="explanation").all("li")]
    assert lines[0] == "Priority 5: mx1.alice.test."
    assert lines[-1].startswith(f"This server accepts mail for {ALICE}, queues it and relays")


def test_current_findings_are_listed_under_where_mail_goes(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 30, "gone.alice.test", actor=OPERATOR, force=True)
    findings = page(alice.get(f"/domains/{ALICE}/")).all("li", cls="finding")
    assert [f.text for f in findings] == [
        "The exchanger gone.alice.test is in the zone alice.test hosted here, which has no A "
        "or AAAA record for it, so senders skip it; add one to alice.test first."
    ]


def test_history_says_when_who_via_and_what(alice: Client, panel: Panel) -> None:
    alice.post(
        f"/domains/{ALICE}/mx/add/",
        {"priority": "20", "exchanger": "mx2.alice.test", "serial": SERIAL},
    )
    tree = page(alice.get(f"/domains/{ALICE}/"))
    table = tree.one("table", cls="history")
    assert [th.text for th in table.one("thead").all("th")] == [
        "When",
        "Who",
        "Via",
        "What",
        "Change",
    ]
    newest, oldest = table.one("tbody").all("tr")
    when, who, via, what, change = [td.text for td in newest.all("td")]
    assert change.split() == [str(panel.service.history(ALICE)[0].id), "Undo"]
    assert (who, via) == ("alice", "web panel")
    assert what == "Added MX 20 mx2.alice.test. Routing stays local."
    stamp = newest.one("time").attrs["datetime"]
    assert when.startswith(stamp[:10]) and when.endswith("UTC")
    assert [td.text for td in oldest.all("td")][1:4] == [
        "tester",
        "command line",
        f"Added domain {ALICE}.",
    ]
    assert not oldest.all("button")  # adding a domain is not undone


def test_an_idn_domain_is_shown_in_unicode_with_its_ascii_form(alice: Client) -> None:
    tree = page(alice.get(f"/domains/{IDN}/"))
    assert tree.one("h1").text == f"bücher.test ({IDN})"
    assert tree.one("form", action=f"/domains/{IDN}/mx/add/")


def test_a_domain_without_records_says_where_senders_deliver(alice: Client, panel: Panel) -> None:
    panel.service.delete_mx(ALICE, 10, "mx.self.test", actor=OPERATOR, force=True)
    tree = page(alice.get(f"/domains/{ALICE}/"))
    note = tree.by_id("no-records")
    assert note is not None and "senders deliver to the domain's own address" in note.text


def test_a_zone_that_cannot_be_read_is_reported_without_server_details_to_owners(
    alice: Client, panel: Panel
) -> None:
    panel.zone_file(ALICE).unlink()
    tree = page(alice.get(f"/domains/{ALICE}/"), 500)
    assert tree.one("h1").text == "This domain cannot be shown"
    error = tree.by_id("form-error")
    assert error is not None
    assert error.text == (
        f"The DNS zone of {ALICE} cannot be read right now; ask your hosting operator to check it."
    )
    listed = page(alice.get("/")).one("table", cls="domains")
    cells = [td.text for td in listed.one("tbody").all("tr")[0].all("td")]
    assert cells[1] == "(the zone cannot be read)"


def test_an_administrator_is_told_what_is_wrong_with_the_zone(root: Client, panel: Panel) -> None:
    panel.zone_file(ALICE).unlink()
    error = page(root.get(f"/domains/{ALICE}/"), 500).by_id("form-error")
    assert error is not None
    assert error.text.startswith(f"The zone {ALICE} has no zone file (")
