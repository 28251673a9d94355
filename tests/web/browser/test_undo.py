"""Undo from the domain page's History, in Chromium against ``mxroute serve`` and named."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.browser.live import SELF, UNDO_DOMAIN, Browse
from tests.web.browser.test_panel import add_form, assert_all_local, mx_row, on_domain_page

pytestmark = pytest.mark.integration
ADDED = "mx2.undo.test"


def history_row(page: Page, text: str) -> Locator:
    """The History row whose What says ``text``."""
    table = page.locator("table.history")
    return table.get_by_role("row").filter(has_text=text)


def test_an_owner_undoes_a_change_from_the_history_and_named_serves_the_original_set(
    browse: Browse,
) -> None:
    page, panel = browse.page, browse.panel
    original, serial = panel.mx(UNDO_DOMAIN)
    assert original == {(10, SELF)}
    zone_file = panel.named.zone_file(UNDO_DOMAIN)

    browse.go(f"/domains/{UNDO_DOMAIN}/")
    browse.log_in()
    on_domain_page(browse, UNDO_DOMAIN)

    # A change to undo: a record added through the page.
    form = add_form(page)
    form.get_by_label("Priority").fill("20")
    form.get_by_label("Destination").fill(ADDED)
    form.get_by_role("button", name="Add New Record").click()
    _, added = browse.serials()
    assert panel.mx_at(UNDO_DOMAIN, added) == original | {(20, ADDED)}
    assert ADDED in zone_file.read_text()
    expect(mx_row(page, ADDED)).to_have_count(1)
    browse.shot("added")

    # Undo it from the History: the page says what the undo did.
    row = history_row(page, f"Added MX 20 {ADDED}")
    expect(row).to_have_count(1)
    change = row.locator("td.change").inner_text().split()[0]
    expect(history_row(page, f"Added domain {UNDO_DOMAIN}").get_by_role("button")).to_have_count(0)
    browse.shot("history-before-undo")
    row.get_by_role("button", name=f"Undo change {change}").click()
    old, new = browse.serials()
    on_domain_page(browse, UNDO_DOMAIN)
    assert old == added and new > added
    assert f"Undid change {change}: removed MX 20 {ADDED}." in browse.result()
    expect(mx_row(page, ADDED)).to_have_count(0)
    expect(history_row(page, f"Undid change {change}")).to_have_count(1)
    browse.shot("undone")
    assert panel.mx_at(UNDO_DOMAIN, new) == original
    assert ADDED not in zone_file.read_text()
    assert new > serial

    # The same Undo again: refused at the top of the page, nothing changed.
    history_row(page, f"Added MX 20 {ADDED}").get_by_role("button", name="Undo").click()
    error = page.locator("#form-error[role=alert]")
    expect(error).to_contain_text(f"Change {change} was already undone by change")
    expect(page.locator("#result")).to_have_count(0)
    browse.shot("refused")
    assert panel.mx(UNDO_DOMAIN) == (original, new)
    assert_all_local(browse)
