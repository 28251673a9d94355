"""The History's Undo buttons: a POST form with CSRF; the page then says what the undo
did, or at its top why it was refused, and nothing changed."""

from __future__ import annotations

from django.test import Client

from mxroute.service import OPERATOR
from tests.web.conftest import ALICE, BOB, SERIAL, Panel, page


def _add(alice: Client, panel: Panel) -> int:
    """alice adds 20 mx2.alice.test through the panel; the id of that change."""
    alice.post(
        f"/domains/{ALICE}/mx/add/",
        {"priority": "20", "exchanger": "mx2.alice.test", "serial": SERIAL},
    )
    return panel.service.history(ALICE)[0].id


def test_each_change_that_can_be_undone_has_an_undo_button(alice: Client, panel: Panel) -> None:
    change = _add(alice, panel)
    tree = page(alice.get(f"/domains/{ALICE}/"))
    forms = tree.one("table", cls="history").all("form", cls="undo")
    assert len(forms) == 1  # adding the domain has none
    [form] = forms
    assert (form.attrs["method"], form.attrs["action"]) == ("post", f"/domains/{ALICE}/undo/")
    assert form.one("input", name="change").attrs["value"] == str(change)
    assert form.one("input", name="csrfmiddlewaretoken")
    assert form.one("button").attrs["aria-label"] == f"Undo change {change}"


def test_undo_puts_the_records_back_and_the_page_says_so(alice: Client, panel: Panel) -> None:
    change = _add(alice, panel)
    response = alice.post(f"/domains/{ALICE}/undo/", {"change": str(change)})
    assert response.status_code == 302 and response["Location"] == f"/domains/{ALICE}/"
    assert panel.mx(ALICE) == ["10 mx.self.test"]
    tree = page(alice.get(f"/domains/{ALICE}/"))
    result = tree.by_id("result")
    assert result is not None
    assert result.one("p", cls="summary").text == (
        f"Undid change {change}: removed MX 20 mx2.alice.test. Routing stays local."
    )
    newest = tree.one("table", cls="history").one("tbody").all("tr")[0]
    assert [td.text for td in newest.all("td")][1:3] == ["alice", "web panel"]


def test_a_refused_undo_says_why_at_the_top_and_changes_nothing(
    alice: Client, panel: Panel
) -> None:
    change = _add(alice, panel)
    panel.service.add_mx(ALICE, 30, "mx3.alice.test", actor=OPERATOR)
    newer = panel.service.history(ALICE)[0].id
    before = panel.state()
    tree = page(alice.post(f"/domains/{ALICE}/undo/", {"change": str(change)}), 400)
    error = tree.by_id("form-error")
    assert error is not None and error.attrs["role"] == "alert"
    assert error.text == (
        f"Change {change} cannot be undone: the MX records of {ALICE} changed since (by "
        f"change {newer}), and undoing it would overwrite that; undo change {newer} first, "
        "or change the records by hand."
    )
    # At the top: right after the heading, before the first section.
    main = tree.one("main")
    order = [n for n in main.walk() if n.tag in ("h1", "section") or n is error]
    assert [n.tag for n in order[:3]] == ["h1", "div", "section"]
    assert panel.state() == before


def test_another_owners_change_or_domain_is_not_found(
    alice: Client, bob: Client, panel: Panel
) -> None:
    change = _add(alice, panel)
    before = panel.state()
    # Bob's page: not his change. Alice's domain, posted to by bob: 404 as for any page.
    tree = page(bob.post(f"/domains/{BOB}/undo/", {"change": str(change)}), 400)
    error = tree.by_id("form-error")
    assert error is not None
    assert error.text == (
        f"There is no change {change} that you may undo; check its id in the domain's history."
    )
    page(bob.post(f"/domains/{ALICE}/undo/", {"change": str(change)}), 404)
    tree = page(alice.post(f"/domains/{ALICE}/undo/", {"change": "x"}), 400)
    assert "'x' is not a change id" in (tree.by_id("form-error") or tree).text
    assert panel.state() == before


def test_an_undo_without_the_csrf_token_is_refused(panel: Panel) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(panel.alice)
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)
    change = panel.service.history(ALICE)[0].id
    before = panel.state()
    refused = client.post(f"/domains/{ALICE}/undo/", {"change": str(change)})
    assert refused.status_code == 403
    assert "Form expired" in refused.content.decode()
    assert panel.state() == before
