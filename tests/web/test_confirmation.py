"""The confirmation page: a change whose checks find something is shown before it is made.

Each of the four change forms (Email Routing, Add, Edit, Delete) plans first. A plan
with no findings is made at once; one with a warning or an error is shown on the
confirmation page, and only that plan is made when it is confirmed (an error only with
the "make the change anyway" box ticked). A confirmation of a plan the zone has moved
away from is refused at the top of the page, and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from mxroute.service import OPERATOR
from mxroute.store.models import Change, Domain
from tests.web.conftest import (
    ALICE,
    SERIAL,
    Panel,
    confirm,
    confirmation,
    page,
    refusal_at_top,
)
from tests.web.html import Node

RECORD = "?priority=10&exchanger=mx.self.test"
NOTHING_CHANGED = "Nothing was changed in alice.test"


@dataclass(frozen=True)
class Risky:
    """One form's risky change: where it posts, what, and what the page must show."""

    form: str
    url: str
    data: dict[str, Any]
    findings: list[tuple[str, str]]  # (severity, code)
    summary: str
    removed: list[str]
    added: list[str]
    routing: str
    lists: str

    @property
    def blocking(self) -> bool:
        return any(severity == "error" for severity, _ in self.findings)


RISKY = [
    Risky(
        "routing",
        f"/domains/{ALICE}/routing/",
        {"mode": "remote"},
        [("error", "remote_mail_loop")],
        "Set routing to remote. Routing changed from local to remote.",
        [],
        [],
        f"Mail for {ALICE} changes from local to remote",
        "Routing lists: localdomains → remotedomains.",
    ),
    Risky(
        "add",
        f"/domains/{ALICE}/mx/add/",
        {"priority": "5", "exchanger": "mx1.alice.test", "serial": SERIAL},
        [("warning", "auto_mode_changes"), ("warning", "backup_accepts_any_recipient")],
        "Added MX 5 mx1.alice.test. Routing changed from local to backup.",
        [],
        ["@ IN MX 5 mx1.alice.test."],
        f"Mail for {ALICE} changes from local to backup (detected automatically):",
        "Routing lists: localdomains → secondarymx, remotedomains.",
    ),
    Risky(
        "edit",
        f"/domains/{ALICE}/mx/edit/{RECORD}",
        {
            "old_priority": "10",
            "old_exchanger": "mx.self.test",
            "priority": "10",
            "exchanger": "mx1.alice.test",
            "serial": SERIAL,
        },
        [("warning", "auto_mode_changes")],
        "Changed MX 10 mx.self.test to 10 mx1.alice.test. Routing changed from local to remote.",
        ["@ IN MX 10 mx.self.test."],
        ["@ IN MX 10 mx1.alice.test."],
        f"Mail for {ALICE} changes from local to remote (detected automatically):",
        "Routing lists: localdomains → remotedomains.",
    ),
    Risky(
        "delete",
        f"/domains/{ALICE}/mx/delete/{RECORD}",
        {"priority": "10", "exchanger": "mx.self.test", "serial": SERIAL},
        [
            ("warning", "detection_uncertain"),
            ("warning", "implicit_mx"),
            ("error", "no_mail_possible"),
        ],
        "Deleted MX 10 mx.self.test. Routing stays local.",
        ["@ IN MX 10 mx.self.test."],
        [],
        f"Mail for {ALICE} stays local (detected automatically):",
        "Routing lists: localdomains (unchanged).",
    ),
]
BY_FORM = {risky.form: risky for risky in RISKY}


@pytest.fixture(params=RISKY, ids=[r.form for r in RISKY])
def risky(request: pytest.FixtureRequest) -> Risky:
    """Each form's risky change in turn."""
    param: Risky = request.param
    return param


def _hidden(form: Node) -> dict[str, str]:
    return {
        i.attrs["name"]: i.attrs["value"]
        for i in form.all("input", type="hidden")
        if i.attrs["name"] != "csrfmiddlewaretoken"
    }


def _the_domain_page(tree: Node) -> None:
    assert tree.one("h1").text == ALICE


# ----- shown, nothing written -----------------------------------------------------------


def test_a_risky_change_is_shown_for_confirmation_and_writes_nothing(
    alice: Client, panel: Panel, risky: Risky
) -> None:
    before = panel.state()
    zone = panel.zone_file(ALICE).read_bytes()
    tree = confirmation(alice.post(risky.url, risky.data))
    assert panel.zone_file(ALICE).read_bytes() == zone
    assert panel.state() == before
    assert tree.one("p", cls="summary").text == risky.summary
    assert [li.text for li in tree.all("li", cls="removed")] == [
        f"Removed: {line}" for line in risky.removed
    ]
    assert [li.text for li in tree.all("li", cls="added")] == [
        f"Added: {line}" for line in risky.added
    ]
    if not (risky.removed or risky.added):
        assert tree.one("p", cls="zone-unchanged").text.startswith("The DNS zone is not changed")
    assert tree.one("p", cls="routing-change").text.startswith(risky.routing)
    assert tree.one("p", cls="lists").text == risky.lists
    shown = [
        (next(c for c in f.classes if c != "finding"), f.attrs["data-code"])
        for f in tree.all("li", cls="finding")
    ]
    assert shown == risky.findings
    for finding in tree.all("li", cls="finding"):
        label = finding.one("strong", cls="severity").text
        assert label == ("Error:" if "error" in finding.classes else "Warning:")
    assert tree.one("svg").attrs["role"] == "img"
    assert tree.by_id("form-error") is None


def test_the_confirmation_form_carries_the_change_and_its_plan(alice: Client, risky: Risky) -> None:
    tree = confirmation(alice.post(risky.url, risky.data))
    form = tree.one("form", cls="confirm")
    assert form.attrs["method"] == "post" and form.attrs["action"] == risky.url
    hidden = _hidden(form)
    plan = hidden.pop("plan")
    assert len(plan) == 32 and int(plan, 16) >= 0
    assert hidden == {k: str(v) for k, v in risky.data.items()}
    assert form.one("button").text == "Make this change"
    cancel = form.one("a", cls="cancel")
    assert (cancel.text, cancel.attrs["href"]) == ("Cancel", f"/domains/{ALICE}/")
    boxes = form.all("input", type="checkbox")
    if risky.blocking:
        (box,) = boxes
        assert (box.attrs["name"], box.attrs["value"]) == ("force", "1")
        label = form.one("label", for_=box.attrs["id"]).text
        assert label == "I understand this stops mail; make the change anyway"
    else:
        assert boxes == []


def test_the_picture_shows_where_mail_will_go_after_the_change(alice: Client) -> None:
    tree = confirmation(alice.post(**_post(BY_FORM["add"])))
    assert tree.one("h2", id="map-heading").text == "Where mail will go"
    # After the change this server only holds mail for mx1.alice.test (now the best).
    texts = [t.text for t in tree.one("svg").all("text")]
    assert "holds and relays" in texts
    assert texts[-1] == "This server holds the mail and relays it to mx1.alice.test."


def _post(risky: Risky) -> dict[str, Any]:
    return {"path": risky.url, "data": risky.data}


# ----- confirmed ------------------------------------------------------------------------


def test_confirming_makes_the_change_that_was_shown(
    alice: Client, panel: Panel, risky: Risky
) -> None:
    answer = confirm(alice, alice.post(risky.url, risky.data), force=risky.blocking)
    assert answer.status_code == 302 and answer["Location"] == f"/domains/{ALICE}/"
    box = page(alice.get(f"/domains/{ALICE}/")).by_id("result")
    assert box is not None and box.one("p", cls="summary").text == risky.summary
    change = Change.objects.latest("id")
    assert (change.actor, change.interface) == ("alice", "web")
    zone = panel.zone_file(ALICE).read_text()
    for line in risky.added:
        assert f"MX\t{line.removeprefix('@ IN MX ')}\n" in zone
    for line in risky.removed:
        assert f"MX\t{line.removeprefix('@ IN MX ')}\n" not in zone


def test_a_change_with_an_error_is_refused_on_top_until_the_box_is_ticked(
    alice: Client, panel: Panel
) -> None:
    routing = BY_FORM["routing"]
    asked = alice.post(routing.url, routing.data)
    before = panel.state()
    refused = confirm(alice, asked)  # "Make this change" without ticking the box
    tree = confirmation(refused, 400)
    message = refusal_at_top(tree)
    assert message.startswith(f"{ALICE} is set to remote, but its MX records name this server")
    assert f"{NOTHING_CHANGED}; to make this change anyway, force it" in message
    assert panel.state() == before
    # The page asks again, and ticking the box makes the change.
    assert confirm(alice, refused, force=True, status=400).status_code == 302
    assert Domain.objects.get(name=ALICE).mode == "remote"
    box = page(alice.get(f"/domains/{ALICE}/")).by_id("result")
    assert box is not None and box.one("p", cls="forced")


def test_a_change_with_only_warnings_needs_no_box(alice: Client, panel: Panel) -> None:
    add = BY_FORM["add"]
    assert confirm(alice, alice.post(add.url, add.data)).status_code == 302
    assert panel.mx(ALICE) == ["5 mx1.alice.test", "10 mx.self.test"]


def test_the_box_alone_does_not_skip_the_confirmation(alice: Client, panel: Panel) -> None:
    before = panel.state()
    confirmation(alice.post(BY_FORM["routing"].url, {"mode": "remote", "force": "1"}))
    assert panel.state() == before


def test_a_change_without_findings_is_made_at_once(alice: Client, panel: Panel) -> None:
    data = {"priority": "20", "exchanger": "mx2.alice.test", "serial": SERIAL}
    answer = alice.post(f"/domains/{ALICE}/mx/add/", data)
    assert answer.status_code == 302
    assert panel.mx(ALICE) == ["10 mx.self.test", "20 mx2.alice.test"]


# ----- stale ----------------------------------------------------------------------------


def test_a_confirmation_of_a_zone_changed_meanwhile_is_refused_on_top(
    alice: Client, panel: Panel, risky: Risky
) -> None:
    asked = alice.post(risky.url, risky.data)
    panel.service.add_mx(ALICE, 30, "mx3.alice.test", actor=OPERATOR)  # someone else
    before = panel.state()
    tree = page(confirm(alice, asked, force=risky.blocking), 400)
    message = refusal_at_top(tree)
    # The forms pinned to a serial say so; the routing form's plan no longer matches.
    assert "changed since you read them" in message or "changed after it was shown" in message
    assert panel.state() == before
    assert tree.all("form", cls="confirm") == []
    if risky.form in ("routing", "add"):
        _the_domain_page(tree)
    else:
        assert tree.one("h1").text.startswith(f"{risky.form.capitalize()} ")
    assert "30 mx3.alice.test" in tree.text  # the records as they are now


def test_a_changed_plan_is_refused_even_with_the_same_serial(alice: Client, panel: Panel) -> None:
    routing = BY_FORM["routing"]
    asked = alice.post(routing.url, routing.data)
    # The chosen mode moves; the zone does not: only the plan says the page is stale.
    panel.service.set_mode(ALICE, "local", actor=OPERATOR)
    before = panel.state()
    tree = page(confirm(alice, asked, force=True), 400)
    assert refusal_at_top(tree).startswith("This change was not made: the zone, the routing")
    _the_domain_page(tree)
    assert panel.state() == before
    assert Domain.objects.get(name=ALICE).mode == "local"


def test_a_plan_that_was_tampered_with_is_refused(alice: Client, panel: Panel) -> None:
    add = BY_FORM["add"]
    form = confirmation(alice.post(add.url, add.data)).one("form", cls="confirm")
    data = {**_hidden(form), "exchanger": "mx2.alice.test"}
    before = panel.state()
    tree = page(alice.post(add.url, data), 400)
    assert "changed after it was shown" in refusal_at_top(tree)
    assert panel.state() == before


# ----- field errors, all at once ----------------------------------------------------------


def test_every_field_error_is_shown_at_once(alice: Client, panel: Panel) -> None:
    before = panel.state()
    data = {"priority": "ten", "exchanger": "192.0.2.7", "serial": SERIAL}
    tree = page(alice.post(f"/domains/{ALICE}/mx/add/", data), 400)
    priority, exchanger = tree.by_id("priority-error"), tree.by_id("exchanger-error")
    assert priority is not None and "is not a plain whole number" in priority.text
    assert exchanger is not None and "is an IP address" in exchanger.text
    focused = [n.attrs["id"] for n in tree.all("input") if "autofocus" in n.attrs]
    assert focused == ["priority"]  # the first field in error takes the focus
    assert panel.state() == before


def test_every_field_error_of_an_edit_is_shown_at_once(alice: Client, panel: Panel) -> None:
    data = {**BY_FORM["edit"].data, "priority": "-3", "exchanger": "mail"}
    tree = page(alice.post(BY_FORM["edit"].url, data), 400)
    assert tree.by_id("priority-error") is not None
    assert tree.by_id("exchanger-error") is not None
