"""Adding, editing and deleting MX records through the forms: results, refusals, conflicts."""

from __future__ import annotations

import pytest
from django.test import Client
from pytest_django.fixtures import Settings as DjangoSettings

from mxroute.service import OPERATOR
from mxroute.store.models import Change
from tests.web.conftest import ALICE, IDN, SERIAL, Panel, confirm, page
from tests.web.html import Node

ADD = f"/domains/{ALICE}/mx/add/"
RECORD = "?priority=10&exchanger=mx.self.test"
EDIT = f"/domains/{ALICE}/mx/edit/{RECORD}"
DELETE = f"/domains/{ALICE}/mx/delete/{RECORD}"


def _result(tree: Node) -> Node:
    box = tree.by_id("result")
    assert box is not None and box.attrs["role"] == "status"
    return box


def _field_error(tree: Node, field: str) -> str:
    """The error shown beside ``field``, after checking it is tied to the input."""
    error = tree.by_id(f"{field}-error")
    assert error is not None, f"no error beside {field}"
    field_input = tree.one("input", id=field)
    assert f"{field}-error" in field_input.attrs["aria-describedby"].split()
    assert field_input.attrs.get("aria-invalid") == "true"
    assert tree.by_id("form-error") is None
    return error.text


def _form_error(tree: Node) -> str:
    error = tree.by_id("form-error")
    assert error is not None and error.attrs["role"] == "alert"
    return error.text


# ----- add ------------------------------------------------------------------------------


def test_adding_a_record_writes_the_zone_and_says_what_changed(alice: Client, panel: Panel) -> None:
    response = alice.post(ADD, {"priority": "20", "exchanger": "mx2.alice.test", "serial": SERIAL})
    assert response.status_code == 302 and response["Location"] == f"/domains/{ALICE}/"
    assert panel.mx(ALICE) == ["10 mx.self.test", "20 mx2.alice.test"]
    assert "MX\t20 mx2.alice.test.\n" in panel.zone_file(ALICE).read_text()
    new_serial = panel.serial(ALICE)
    assert new_serial > SERIAL

    tree = page(alice.get(f"/domains/{ALICE}/"))
    box = _result(tree)
    assert box.one("p", cls="summary").text == "Added MX 20 mx2.alice.test. Routing stays local."
    assert box.one("p", cls="records").text == "MX records now: 10 mx.self.test, 20 mx2.alice.test."
    assert box.one("p", cls="serial").text == f"Zone serial {SERIAL} → {new_serial}"
    assert box.one("p", cls="mode").text.startswith("Routing mode: local (detected automatically).")
    assert box.all("li", cls="warning") == []
    change = Change.objects.latest("id")
    assert (change.actor, change.interface, change.action) == ("alice", "web", "add_mx")
    assert (change.serial_before, change.serial_after) == (SERIAL, new_serial)
    # The message is shown once.
    assert page(alice.get(f"/domains/{ALICE}/")).by_id("result") is None


def test_the_result_lists_the_warnings_of_the_change(alice: Client, panel: Panel) -> None:
    asked = alice.post(ADD, {"priority": "30", "exchanger": "gone.alice.test", "serial": SERIAL})
    assert confirm(alice, asked, force=True).status_code == 302
    box = _result(page(alice.get(f"/domains/{ALICE}/")))
    assert [w.text for w in box.all("li", cls="warning")] == [
        "The exchanger gone.alice.test is in the zone alice.test hosted here, which has no A "
        "or AAAA record for it, so senders skip it; add one to alice.test first."
    ]
    assert "because you ticked" in box.one("p", cls="forced").text


def test_a_more_preferred_record_makes_this_server_a_backup(alice: Client, panel: Panel) -> None:
    asked = alice.post(ADD, {"priority": " 5 ", "exchanger": "MX1.Alice.Test.", "serial": SERIAL})
    confirm(alice, asked)  # the routing changes: the panel asks first
    assert panel.mx(ALICE) == ["5 mx1.alice.test", "10 mx.self.test"]
    box = _result(page(alice.get(f"/domains/{ALICE}/")))
    assert box.one("p", cls="summary").text == (
        "Added MX 5 mx1.alice.test. Routing changed from local to backup."
    )
    assert box.one("p", cls="mode").one("strong").text == "backup"


def test_an_idn_destination_is_stored_as_a_labels_and_shown_in_unicode(
    alice: Client, panel: Panel
) -> None:
    serial = panel.serial(IDN)
    url = f"/domains/{IDN}/mx/add/"
    alice.post(url, {"priority": "20", "exchanger": "mx1.bücher.test", "serial": serial})
    assert panel.mx(IDN) == ["10 mx.self.test", "20 mx1.xn--bcher-kva.test"]
    tree = page(alice.get(f"/domains/{IDN}/"))
    assert "mx1.bücher.test" in [td.text for td in tree.all("td", cls="exchanger")]


@pytest.mark.parametrize(
    ("priority", "exchanger", "field", "words"),
    [
        ("abc", "mx2.alice.test", "priority", "is not a plain whole number"),
        ("", "mx2.alice.test", "priority", "is not a plain whole number"),
        ("-1", "mx2.alice.test", "priority", "out of range"),
        ("70000", "mx2.alice.test", "priority", "out of range"),
        ("20", "192.0.2.7", "exchanger", "is an IP address"),
        ("20", "mail", "exchanger", "fully qualified"),
        ("20", "", "exchanger", "empty"),
        ("20", "bad_name.example.test", "exchanger", "bad_name"),
        ("10", "mx.self.test", "exchanger", "already in this domain's MX set"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_changes_nothing(
    alice: Client, panel: Panel, priority: str, exchanger: str, field: str, words: str
) -> None:
    before = panel.state()
    zone = panel.zone_file(ALICE).read_bytes()
    response = alice.post(ADD, {"priority": priority, "exchanger": exchanger, "serial": SERIAL})
    tree = page(response, 400)
    assert words in _field_error(tree, field)
    form = tree.one("form", action=ADD)
    assert form.one("input", id="priority").attrs["value"] == priority
    assert form.one("input", id="exchanger").attrs["value"] == exchanger
    assert "autofocus" in form.one("input", id=field).attrs
    assert tree.by_id("result") is None
    assert panel.zone_file(ALICE).read_bytes() == zone
    assert panel.state() == before


def test_a_stale_serial_is_refused_as_changed_since_read(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)  # someone else, meanwhile
    before = panel.state()
    tree = page(
        alice.post(ADD, {"priority": "30", "exchanger": "mx3.alice.test", "serial": SERIAL}), 400
    )
    assert "changed since you read them" in _form_error(tree)
    assert tree.one("input", id="exchanger").attrs["value"] == "mx3.alice.test"
    # The page now shows the records as they are, pinned to the serial it shows.
    assert tree.one("form", action=ADD).one("input", name="serial").attrs["value"] == str(
        panel.serial(ALICE)
    )
    assert panel.state() == before


def test_a_form_without_serial_is_refused(alice: Client, panel: Panel) -> None:
    before = panel.state()
    tree = page(alice.post(ADD, {"priority": "30", "exchanger": "mx3.alice.test"}), 400)
    assert "reload the page" in _form_error(tree)
    assert panel.state() == before


def test_add_and_routing_answer_only_to_post(alice: Client) -> None:
    assert alice.get(ADD).status_code == 405
    assert alice.get(f"/domains/{ALICE}/routing/").status_code == 405


# ----- edit -----------------------------------------------------------------------------


def test_the_edit_page_holds_the_record_and_the_serial(alice: Client) -> None:
    tree = page(alice.get(EDIT))
    assert tree.one("h1").text == "Edit the MX record 10 mx.self.test"
    form = tree.one("form", cls="edit")
    assert form.attrs["method"] == "post" and form.attrs["action"] == EDIT
    assert form.one("label", for_="priority").text == "Priority"
    assert form.one("label", for_="exchanger").text == "Destination"
    assert form.one("input", id="priority").attrs["value"] == "10"
    assert form.one("input", id="exchanger").attrs["value"] == "mx.self.test"
    hidden = {i.attrs["name"]: i.attrs["value"] for i in form.all("input", type="hidden")}
    assert hidden == {
        "csrfmiddlewaretoken": hidden["csrfmiddlewaretoken"],
        "old_priority": "10",
        "old_exchanger": "mx.self.test",
        "serial": str(SERIAL),
    }
    assert form.one("button").text == "Save"
    assert form.one("a", cls="cancel").attrs["href"] == f"/domains/{ALICE}/"
    assert form.one("a", cls="cancel").text == "Cancel"


def test_editing_a_record_replaces_it(alice: Client, panel: Panel) -> None:
    data = {
        "old_priority": "10",
        "old_exchanger": "mx.self.test",
        "serial": SERIAL,
        "priority": "20",
        "exchanger": "mx.self.test",
    }
    response = alice.post(EDIT, data)
    assert response.status_code == 302 and response["Location"] == f"/domains/{ALICE}/"
    assert panel.mx(ALICE) == ["20 mx.self.test"]
    box = _result(page(alice.get(f"/domains/{ALICE}/")))
    assert box.one("p", cls="summary").text == (
        "Changed MX 10 mx.self.test to 20 mx.self.test. Routing stays local."
    )
    assert box.one("p", cls="serial").text == f"Zone serial {SERIAL} → {panel.serial(ALICE)}"
    assert Change.objects.latest("id").action == "change_mx"


def test_saving_an_unchanged_record_says_so_and_keeps_the_serial(
    alice: Client, panel: Panel
) -> None:
    data = {"old_priority": "10", "old_exchanger": "mx.self.test", "serial": SERIAL}
    alice.post(EDIT, {**data, "priority": "10", "exchanger": "mx.self.test"})
    box = _result(page(alice.get(f"/domains/{ALICE}/")))
    assert box.one("p", cls="summary").text.startswith("MX 10 mx.self.test is unchanged.")
    assert box.one("p", cls="serial").text.startswith(f"Zone serial {SERIAL} (unchanged")
    assert panel.serial(ALICE) == SERIAL


@pytest.mark.parametrize(
    ("priority", "exchanger", "field", "words"),
    [
        ("x1", "mx.self.test", "priority", "is not a plain whole number"),
        ("10", "192.0.2.7", "exchanger", "is an IP address"),
        ("10", "localhost", "exchanger", "fully qualified"),
    ],
)
def test_a_bad_edit_is_refused_beside_its_field_and_changes_nothing(
    alice: Client, panel: Panel, priority: str, exchanger: str, field: str, words: str
) -> None:
    before = panel.state()
    data = {"old_priority": "10", "old_exchanger": "mx.self.test", "serial": SERIAL}
    tree = page(alice.post(EDIT, {**data, "priority": priority, "exchanger": exchanger}), 400)
    assert words in _field_error(tree, field)
    assert tree.one("input", id="exchanger").attrs["value"] == exchanger
    assert tree.one("input", name="old_exchanger").attrs["value"] == "mx.self.test"
    assert panel.state() == before


def test_an_edit_into_a_duplicate_is_refused(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)
    serial = panel.serial(ALICE)
    before = panel.state()
    data = {"old_priority": "10", "old_exchanger": "mx.self.test", "serial": serial}
    tree = page(alice.post(EDIT, {**data, "priority": "20", "exchanger": "mx2.alice.test"}), 400)
    assert "already in this domain's MX set" in _field_error(tree, "exchanger")
    assert panel.state() == before


def test_an_edit_of_a_stale_page_is_refused(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)
    before = panel.state()
    data = {"old_priority": "10", "old_exchanger": "mx.self.test", "serial": SERIAL}
    tree = page(alice.post(EDIT, {**data, "priority": "30", "exchanger": "mx.self.test"}), 400)
    assert "changed since you read them" in _form_error(tree)
    assert "20 mx2.alice.test" in tree.one("p", cls="current").text
    assert panel.state() == before


def test_editing_a_record_that_is_not_there_is_refused(alice: Client, panel: Panel) -> None:
    before = panel.state()
    data = {"old_priority": "10", "old_exchanger": "mx9.alice.test", "serial": SERIAL}
    tree = page(alice.post(EDIT, {**data, "priority": "30", "exchanger": "mx.self.test"}), 400)
    assert "There is no MX record '10 mx9.alice.test'" in _form_error(tree)
    assert panel.state() == before


@pytest.mark.parametrize(
    "query", ["?priority=10&exchanger=mx9.alice.test", "?priority=20&exchanger=mx.self.test", ""]
)
def test_edit_and_delete_links_to_a_missing_record_answer_404(alice: Client, query: str) -> None:
    for kind in ("edit", "delete"):
        tree = page(alice.get(f"/domains/{ALICE}/mx/{kind}/{query}"), 404)
        assert tree.one("h1").text == "MX record not found"
        assert tree.all("form", cls=kind) == []


# ----- delete ---------------------------------------------------------------------------


def test_the_delete_page_asks_first(alice: Client, panel: Panel) -> None:
    tree = page(alice.get(DELETE))
    assert tree.one("p", cls="question").text == "Delete the MX record 10 mx.self.test?"
    form = tree.one("form", cls="delete")
    assert form.attrs["method"] == "post" and form.attrs["action"] == DELETE
    assert form.one("input", name="serial").attrs["value"] == str(SERIAL)
    assert form.one("button").text == "Delete"
    assert form.one("a", cls="cancel").attrs["href"] == f"/domains/{ALICE}/"
    assert panel.mx(ALICE) == ["10 mx.self.test"]  # asking deletes nothing


def test_confirming_deletes_the_record(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)
    serial = panel.serial(ALICE)
    url = f"/domains/{ALICE}/mx/delete/?priority=20&exchanger=mx2.alice.test"
    tree = page(alice.get(url))
    form = tree.one("form", cls="delete")
    data = {i.attrs["name"]: i.attrs["value"] for i in form.all("input", type="hidden")}
    assert data["serial"] == str(serial)
    response = alice.post(url, data)
    assert response.status_code == 302
    assert panel.mx(ALICE) == ["10 mx.self.test"]
    assert "20 mx2.alice.test" not in panel.zone_file(ALICE).read_text()
    box = _result(page(alice.get(f"/domains/{ALICE}/")))
    assert box.one("p", cls="summary").text == "Deleted MX 20 mx2.alice.test. Routing stays local."
    assert box.one("p", cls="serial").text == f"Zone serial {serial} → {panel.serial(ALICE)}"


def test_deleting_a_record_that_is_not_there_changes_nothing(alice: Client, panel: Panel) -> None:
    before = panel.state()
    data = {"priority": "20", "exchanger": "mx9.alice.test", "serial": SERIAL}
    tree = page(alice.post(DELETE, data), 400)
    assert "There is no MX record '20 mx9.alice.test'" in _form_error(tree)
    assert panel.state() == before


def test_deleting_from_a_stale_page_is_refused(alice: Client, panel: Panel) -> None:
    panel.service.add_mx(ALICE, 20, "mx2.alice.test", actor=OPERATOR)
    before = panel.state()
    data = {"priority": "10", "exchanger": "mx.self.test", "serial": SERIAL}
    tree = page(alice.post(DELETE, data), 400)
    assert "changed since you read them" in _form_error(tree)
    assert tree.one("input", name="serial").attrs["value"] == str(panel.serial(ALICE))
    assert panel.state() == before


def test_a_failed_step_is_shown_above_the_form_and_changes_nothing(
    alice: Client, panel: Panel, settings: DjangoSettings
) -> None:
    from tests.service.conftest import make_settings

    settings.MXROUTE = make_settings(
        panel.home, zone_check_command="sh -c 'echo zone-is-broken >&2; exit 1'"
    )
    before = panel.state()
    data = {"priority": "20", "exchanger": "mx2.alice.test", "serial": SERIAL}
    tree = page(alice.post(ADD, data), 400)
    message = _form_error(tree)
    assert "zone check command failed" in message and "zone-is-broken" in message
    assert tree.one("input", id="exchanger").attrs["value"] == "mx2.alice.test"
    assert panel.state() == before


@pytest.mark.parametrize("serial", ["²", "１２", "99999999999"])
def test_a_serial_that_is_no_32_bit_number_is_refused_not_a_500(
    alice: Client, panel: Panel, serial: str
) -> None:
    before = panel.serial(ALICE)
    response = alice.post(ADD, {"priority": "20", "exchanger": "mx2.alice.test", "serial": serial})
    assert "does not say which version of the zone" in _form_error(page(response, 400))
    assert panel.serial(ALICE) == before
