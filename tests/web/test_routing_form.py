"""The Email Routing form: choosing a mode, its warnings, a bad choice."""

from __future__ import annotations

import pytest
from django.test import Client

from mxroute.service import OPERATOR
from mxroute.store.models import Change, Domain
from tests.web.conftest import ALICE, SERIAL, Panel, confirm, page

ROUTING = f"/domains/{ALICE}/routing/"


def _lists(panel: Panel) -> dict[str, set[str]]:
    lists = panel.service.settings.lists_dir
    return {p.name: set(p.read_text().split()) for p in sorted(lists.iterdir())}


def test_choosing_local_records_it_and_says_so(alice: Client, panel: Panel) -> None:
    response = alice.post(ROUTING, {"mode": "local"})
    assert response.status_code == 302 and response["Location"] == f"/domains/{ALICE}/"
    assert Domain.objects.get(name=ALICE).mode == "local"
    change = Change.objects.latest("id")
    assert (change.actor, change.interface, change.action) == ("alice", "web", "set_mode")
    tree = page(alice.get(f"/domains/{ALICE}/"))
    box = tree.by_id("result")
    assert box is not None
    assert box.one("p", cls="summary").text == "Set routing to local. Routing stays local."
    assert box.one("p", cls="serial").text.startswith(f"Zone serial {SERIAL} (unchanged")
    assert "checked" in tree.one("input", id="mode-local").attrs
    assert "checked" not in tree.one("input", id="mode-auto").attrs
    assert panel.serial(ALICE) == SERIAL  # the zone is not touched


def test_choosing_remote_for_a_local_domain_warns_and_updates_the_routing_lists(
    alice: Client, panel: Panel
) -> None:
    assert ALICE in _lists(panel)["localdomains"]
    confirm(alice, alice.post(ROUTING, {"mode": "remote"}), force=True)
    assert ALICE in _lists(panel)["remotedomains"]
    assert ALICE not in _lists(panel)["localdomains"]
    box = page(alice.get(f"/domains/{ALICE}/")).by_id("result")
    assert box is not None
    assert box.one("p", cls="summary").text == (
        "Set routing to remote. Routing changed from local to remote."
    )
    assert box.one("p", cls="mode").one("strong").text == "remote"
    warnings = [w.text for w in box.all("li", cls="warning")]
    assert warnings == [
        f"{ALICE} is set to remote, but its MX records name this server as most preferred: "
        "senders bring the mail here and it is refused, and mail sent from this server "
        "loops. Choose auto or local, or change the MX records."
    ]


def test_cpanels_secondary_is_taken_as_backup(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 5, "mx1.alice.test", actor=OPERATOR)  # a more preferred one
    assert alice.post(ROUTING, {"mode": "secondary"}).status_code == 302
    assert Domain.objects.get(name=ALICE).mode == "backup"


@pytest.mark.parametrize("data", [{"mode": "sideways"}, {"mode": ""}, {}])
def test_an_unknown_mode_is_refused_beside_the_choices(
    alice: Client, panel: Panel, data: dict[str, str]
) -> None:
    before = panel.state()
    tree = page(alice.post(ROUTING, data), 400)
    error = tree.by_id("mode-error")
    assert error is not None and "is not known; choose auto, local, backup or remote" in error.text
    for radio in tree.all("input", type="radio"):
        assert "mode-error" in radio.attrs["aria-describedby"].split()
    assert tree.one("fieldset").attrs["aria-describedby"] == "mode-error"
    assert panel.state() == before
