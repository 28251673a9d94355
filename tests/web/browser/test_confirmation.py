"""The confirmation page in a real browser, against ``mxroute serve`` and a real named.

A change whose checks find something is shown first and written only when confirmed;
what "written" means is checked where it matters: the zone file, the routing lists the
mail server reads, and the answer named gives to an MX query.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser.live import CANCEL_DOMAIN, LOOP_DOMAIN, SELF, STALE_DOMAIN, Browse, Panel
from tests.web.browser.test_panel import add_form, assert_all_local, mx_rows, on_domain_page

pytestmark = pytest.mark.integration

FORCE = "I understand this stops mail; make the change anyway"


def confirmation_heading(page: Page, domain: str) -> None:
    """The browser shows the confirmation page of a change to ``domain``."""
    heading = page.get_by_role("heading", name=f"Confirm the change to {domain}")
    expect(heading).to_be_visible()


def refusal_on_top(page: Page, words: str) -> None:
    """A refusal saying ``words`` is in sight at the top of the page, above every section."""
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text(words)
    expect(refusal).to_be_in_viewport()
    top = refusal.bounding_box()
    first_section = page.locator("main h2").first.bounding_box()
    assert top is not None and first_section is not None
    assert top["y"] < first_section["y"]


def untouched(panel: Panel, domain: str, zone: bytes, lists: set[str], serial: int) -> None:
    """Nothing of ``domain`` was written: zone file, routing lists and named's answer."""
    assert panel.zone_file(domain).read_bytes() == zone
    assert panel.lists(domain) == lists
    assert panel.mx(domain) == ({(10, SELF)}, serial)


def test_a_change_that_stops_mail_is_shown_first_and_made_only_when_forced(
    browse: Browse,
) -> None:
    page, panel = browse.page, browse.panel
    records, serial = panel.mx(LOOP_DOMAIN)
    assert records == {(10, SELF)}
    zone, lists = panel.zone_file(LOOP_DOMAIN).read_bytes(), panel.lists(LOOP_DOMAIN)
    assert lists == {"localdomains"}

    browse.go(f"/domains/{LOOP_DOMAIN}/")
    browse.log_in()
    on_domain_page(browse, LOOP_DOMAIN)
    page.get_by_label("Remote Mail Exchanger").check()
    page.get_by_role("button", name="Change", exact=True).click()

    # The confirmation page: the change, the picture after it, the finding.
    confirmation_heading(page, LOOP_DOMAIN)
    expect(page.locator("p.summary")).to_have_text(
        "Set routing to remote. Routing changed from local to remote."
    )
    expect(page.locator("p.zone-unchanged")).to_contain_text("The DNS zone is not changed")
    expect(page.locator("p.routing-change")).to_contain_text("changes from local to remote")
    expect(page.locator("p.lists")).to_have_text("Routing lists: localdomains → remotedomains.")
    expect(page.locator("svg[role=img] > title")).to_have_text(f"Where mail for {LOOP_DOMAIN} goes")
    finding = page.locator("li.finding")
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text("Error:")
    expect(finding).to_contain_text("name this server as most preferred")
    expect(page.get_by_label(FORCE)).not_to_be_checked()
    browse.shot("confirm")
    untouched(panel, LOOP_DOMAIN, zone, lists, serial)

    # Without the box ticked: refused, said at the top, still nothing written.
    page.get_by_role("button", name="Make this change").click()
    confirmation_heading(page, LOOP_DOMAIN)
    refusal_on_top(page, f"Nothing was changed in {LOOP_DOMAIN}")
    browse.shot("refused-without-the-box")
    untouched(panel, LOOP_DOMAIN, zone, lists, serial)

    # Ticked: made. The routing lists move; the zone and named's answer stay.
    page.get_by_label(FORCE).check()
    page.get_by_role("button", name="Make this change").click()
    message = browse.result()
    on_domain_page(browse, LOOP_DOMAIN)
    assert "Routing mode: remote" in message
    assert "Made although its checks found errors" in message
    expect(page.locator("input[name=mode][value=remote]")).to_be_checked()
    browse.shot("made")
    assert panel.lists(LOOP_DOMAIN) == {"remotedomains"}
    assert panel.zone_file(LOOP_DOMAIN).read_bytes() == zone
    assert panel.mx(LOOP_DOMAIN) == ({(10, SELF)}, serial)
    assert_all_local(browse)


def test_cancel_leaves_dns_as_it_was(browse: Browse) -> None:
    page, panel = browse.page, browse.panel
    records, serial = panel.mx(CANCEL_DOMAIN)
    zone, lists = panel.zone_file(CANCEL_DOMAIN).read_bytes(), panel.lists(CANCEL_DOMAIN)

    browse.go(f"/domains/{CANCEL_DOMAIN}/")
    browse.log_in()
    form = add_form(page)
    form.get_by_label("Priority").fill("5")
    form.get_by_label("Destination").fill(f"mx1.{CANCEL_DOMAIN}")
    form.get_by_role("button", name="Add New Record").click()

    # More preferred than this server: the routing changes, so the panel asks first.
    confirmation_heading(page, CANCEL_DOMAIN)
    expect(page.locator("li.added")).to_have_text(f"Added: @ IN MX 5 mx1.{CANCEL_DOMAIN}.")
    expect(page.locator("p.routing-change")).to_contain_text("changes from local to backup")
    expect(page.locator("li.finding.warning").first).to_be_visible()
    expect(page.get_by_label(FORCE)).to_have_count(0)  # warnings only: no box to tick
    browse.shot("confirm")

    page.get_by_role("link", name="Cancel", exact=True).click()
    on_domain_page(browse, CANCEL_DOMAIN)
    expect(page.locator("#result")).to_have_count(0)
    expect(mx_rows(page)).to_have_count(1)
    browse.shot("cancelled")
    assert panel.mx(CANCEL_DOMAIN) == (records, serial)
    assert panel.zone_file(CANCEL_DOMAIN).read_bytes() == zone
    assert panel.lists(CANCEL_DOMAIN) == lists
    assert_all_local(browse)


def test_a_stale_form_is_refused_at_the_top_of_the_page(browse: Browse) -> None:
    page, panel = browse.page, browse.panel
    browse.go(f"/domains/{STALE_DOMAIN}/")
    browse.log_in()
    on_domain_page(browse, STALE_DOMAIN)

    # The Add form was read at the serial before the operator's change.
    changed = panel.mxroute.json("mx", "add", STALE_DOMAIN, "20", f"mx2.{STALE_DOMAIN}")
    serial = changed["serial_after"]
    assert panel.mx_at(STALE_DOMAIN, serial) == {(10, SELF), (20, f"mx2.{STALE_DOMAIN}")}
    form = add_form(page)
    form.get_by_label("Priority").fill("30")
    form.get_by_label("Destination").fill(f"mx3.{STALE_DOMAIN}")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Add New Record").click()
    assert answer.value.status == 400
    refusal_on_top(page, "changed since you read them")
    expect(mx_rows(page)).to_have_count(2)  # the records as they are now
    expect(add_form(page).get_by_label("Destination")).to_have_value(f"mx3.{STALE_DOMAIN}")
    browse.shot("stale-add-form")
    assert panel.mx(STALE_DOMAIN) == ({(10, SELF), (20, f"mx2.{STALE_DOMAIN}")}, serial)

    # A confirmation page the zone moved away from is refused just the same.
    browse.go(f"/domains/{STALE_DOMAIN}/")
    page.get_by_label("Remote Mail Exchanger").check()
    page.get_by_role("button", name="Change", exact=True).click()
    confirmation_heading(page, STALE_DOMAIN)
    browse.shot("confirm")
    changed = panel.mxroute.json("mx", "add", STALE_DOMAIN, "30", f"mx3.{STALE_DOMAIN}")
    serial = changed["serial_after"]
    lists = panel.lists(STALE_DOMAIN)
    page.get_by_label(FORCE).check()
    page.get_by_role("button", name="Make this change").click()
    # The domain page again (drawn in answer to the post), the refusal on top.
    expect(page.get_by_role("heading", level=1)).to_have_text(STALE_DOMAIN)
    expect(page.get_by_role("heading", name="MX Records", exact=True)).to_be_visible()
    refusal_on_top(page, "This change was not made")
    expect(mx_rows(page)).to_have_count(3)
    browse.shot("stale-confirmation")
    assert panel.lists(STALE_DOMAIN) == lists == {"localdomains"}
    assert panel.mx_at(STALE_DOMAIN, serial) == {
        (10, SELF),
        (20, f"mx2.{STALE_DOMAIN}"),
        (30, f"mx3.{STALE_DOMAIN}"),
    }
    assert_all_local(browse)
