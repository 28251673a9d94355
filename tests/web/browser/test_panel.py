"""The web panel in a real browser, against ``mxroute serve`` and a real named.

Every change made through the page is checked where it matters: in the answer named
gives to an MX query once it serves the zone serial the page reported.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.browser.live import (
    DOMAIN,
    NOJS_DOMAIN,
    OTHER_DOMAIN,
    OWNER,
    PHONE,
    SELF,
    UNOWNED_DOMAIN,
    Browse,
)

pytestmark = pytest.mark.integration

ASSETS = "link[href], script[src], img[src], iframe[src], source[src], image[href]"
SECTIONS = ["Email Routing", "MX Records", "Add a New Record", "Where mail goes", "History"]


def mx_rows(page: Page) -> Locator:
    """The rows of the MX Records table (each has an Edit link)."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name="Edit"))


def mx_row(page: Page, exchanger: str) -> Locator:
    """The MX Records row of ``exchanger``."""
    return mx_rows(page).filter(has_text=exchanger)


def add_form(page: Page) -> Locator:
    """The Add a New Record form."""
    return page.locator("form[action$='/mx/add/']")


def domain_row(page: Page, domain: str) -> Locator:
    """The domain list's row whose link is ``domain``."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=domain, exact=True))


def on_domain_page(browse: Browse, domain: str) -> None:
    """The browser is on the domain page of ``domain`` (after a redirect, say)."""
    assert browse.path().split("?")[0] == f"/domains/{domain}/"
    expect(browse.page.get_by_role("heading", name="MX Records", exact=True)).to_be_visible()


def assert_all_local(browse: Browse) -> None:
    """Every request the page made went to the panel itself."""
    assert browse.foreign == []
    assert browse.requests
    assert all(url.startswith(browse.panel.url + "/") for url in browse.requests)


def test_an_owner_changes_records_and_routing_and_named_serves_each_change(
    browse: Browse,
) -> None:
    page, panel = browse.page, browse.panel
    records, serial = panel.mx(DOMAIN)
    assert records == {(10, SELF)}

    # Anonymous: sent to log in, then back to the list.
    browse.go("/")
    assert browse.path() == "/login/?next=/"
    browse.shot("login")
    browse.log_in()
    expect(page.get_by_role("heading", name="Domains", exact=True)).to_be_visible()
    assert browse.path() == "/"
    row = domain_row(page, DOMAIN)
    expect(row).to_contain_text("local")
    expect(row).to_contain_text(SELF)
    expect(domain_row(page, NOJS_DOMAIN)).to_have_count(1)
    expect(page.get_by_role("link", name=OTHER_DOMAIN)).to_have_count(0)
    expect(page.get_by_role("link", name=UNOWNED_DOMAIN)).to_have_count(0)
    browse.shot("domain-list")

    page.get_by_label("Search domains").fill("shop")
    page.get_by_role("button", name="Search").click()
    expect(domain_row(page, NOJS_DOMAIN)).to_have_count(1)
    expect(domain_row(page, DOMAIN)).to_have_count(0)
    browse.shot("search")
    browse.go("/")

    # Select the domain: the sections in the seed's order.
    page.get_by_role("link", name=DOMAIN, exact=True).click()
    on_domain_page(browse, DOMAIN)
    headings = page.locator("h2").all_inner_texts()
    assert [h.strip() for h in headings if h.strip() in SECTIONS] == SECTIONS
    expect(page.locator("input[name=mode][value=auto]")).to_be_checked()
    expect(page.get_by_text("(detected: local)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"incoming mail", re.IGNORECASE)).first).to_be_visible()
    expect(page.locator("svg[role=img] > title")).to_have_count(1)
    expect(mx_rows(page)).to_have_count(1)
    browse.shot("domain-page")

    # Add a record.
    form = add_form(page)
    form.get_by_label("Priority").fill("20")
    form.get_by_label("Destination").fill("mx2.example.test")
    form.get_by_role("button", name="Add New Record").click()
    old, new = browse.serials()
    on_domain_page(browse, DOMAIN)
    assert old == serial and new > old
    serial = new
    assert "Added MX 20 mx2.example.test" in browse.result()
    assert "Routing mode: local" in browse.result()
    assert panel.mx_at(DOMAIN, serial) == {(10, SELF), (20, "mx2.example.test")}
    expect(mx_rows(page)).to_have_count(2)
    browse.shot("added")

    # Edit it: priority 20 -> 5, so it becomes the most preferred and this server a
    # backup; the routing changes, so the panel asks first.
    mx_row(page, "mx2.example.test").get_by_role("link", name="Edit").click()
    assert browse.path().startswith(f"/domains/{DOMAIN}/mx/edit/?")
    expect(page.get_by_label("Priority")).to_have_value("20")
    expect(page.get_by_label("Destination")).to_have_value("mx2.example.test")
    browse.shot("edit")
    page.get_by_label("Priority").fill("5")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("li.finding.warning").first).to_be_visible()
    browse.shot("edit-confirm")
    assert panel.mx(DOMAIN) == ({(10, SELF), (20, "mx2.example.test")}, serial)  # not yet
    browse.confirm()
    old, new = browse.serials()
    on_domain_page(browse, DOMAIN)
    assert old == serial
    serial = new
    assert panel.mx_at(DOMAIN, serial) == {(10, SELF), (5, "mx2.example.test")}
    assert "Routing mode: backup" in browse.result()
    rows = mx_rows(page).all_inner_texts()
    assert "mx2.example.test" in rows[0] and SELF in rows[1]  # sorted by priority
    browse.shot("edited")

    # Delete it, through the confirmation page.
    mx_row(page, "mx2.example.test").get_by_role("link", name="Delete").click()
    expect(page.get_by_text("Delete the MX record 5 mx2.example.test?")).to_be_visible()
    browse.shot("delete-confirm")
    assert panel.mx(DOMAIN) == ({(10, SELF), (5, "mx2.example.test")}, serial)  # not yet
    page.get_by_role("button", name="Delete", exact=True).click()
    browse.confirm()  # this server becomes local again: asked once more
    old, new = browse.serials()
    on_domain_page(browse, DOMAIN)
    assert old == serial
    serial = new
    assert panel.mx_at(DOMAIN, serial) == {(10, SELF)}
    assert "Routing mode: local" in browse.result()
    expect(mx_row(page, "mx2.example.test")).to_have_count(0)
    browse.shot("deleted")

    # Change the routing mode: the zone stays as it is. Remote while the MX records name
    # this server stops mail, so it is made only with "make the change anyway" ticked.
    page.get_by_label("Remote Mail Exchanger").check()
    page.get_by_role("button", name="Change", exact=True).click()
    browse.confirm(force=True)
    message = browse.result()
    on_domain_page(browse, DOMAIN)
    assert "Routing mode: remote" in message
    assert f"Zone serial {serial} (unchanged" in message
    expect(page.locator("#result .warning").filter(has_text="remote").first).to_be_visible()
    expect(page.locator("input[name=mode][value=remote]")).to_be_checked()
    assert panel.mx(DOMAIN) == ({(10, SELF)}, serial)
    browse.shot("routing-changed")

    # A bad destination: the error beside the field, the values kept, nothing changed.
    form = add_form(page)
    form.get_by_label("Priority").fill("30")
    form.get_by_label("Destination").fill("192.0.2.7")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="Add New Record").click()
    assert answer.value.status == 400
    error = page.locator("#exchanger-error")
    expect(error).to_contain_text("IP address")
    destination = add_form(page).get_by_label("Destination")
    expect(destination).to_have_value("192.0.2.7")
    expect(destination).to_have_attribute("aria-describedby", re.compile(r"\bexchanger-error\b"))
    expect(add_form(page).get_by_label("Priority")).to_have_value("30")
    expect(page.locator("#result")).to_have_count(0)
    assert panel.mx(DOMAIN) == ({(10, SELF)}, serial)
    browse.shot("bad-destination")

    # The history says who did what through the web; the list shows the new mode.
    browse.go(f"/domains/{DOMAIN}/")
    history = page.get_by_role("row").filter(has_text=OWNER).filter(has_text="web")
    expect(history).to_have_count(4)
    browse.go("/")
    expect(domain_row(page, DOMAIN)).to_contain_text("remote")
    browse.shot("domain-list-after")

    # A phone-width screen: the domain page fits without sideways scrolling.
    page.set_viewport_size(PHONE)
    browse.go(f"/domains/{DOMAIN}/")
    browse.shot("phone-domain-page")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert_all_local(browse)


def test_an_owner_gets_404_for_domains_not_theirs_and_logging_out_ends_the_session(
    browse: Browse,
) -> None:
    page = browse.page
    browse.go("/login/")
    browse.shot("login")
    browse.log_in()
    expect(page.get_by_role("heading", name="Domains", exact=True)).to_be_visible()

    # Said exactly as for a domain that does not exist: nothing tells them apart.
    assert browse.go("/domains/absent.test/") == 404
    absent = page.locator("main").inner_text().replace("absent.test", "NAME")
    for name, exchanger in ((OTHER_DOMAIN, "mx1.bob.test"), (UNOWNED_DOMAIN, "mx1.unowned.test")):
        assert browse.go(f"/domains/{name}/") == 404
        expect(page.get_by_role("heading", name="MX Records")).to_have_count(0)
        expect(page.get_by_text(exchanger)).to_have_count(0)
        assert page.locator("main").inner_text().replace(name, "NAME") == absent
        browse.shot(f"404-{name}")
        query = f"?priority=10&exchanger={exchanger}"
        assert browse.go(f"/domains/{name}/mx/edit/{query}") == 404
        assert browse.go(f"/domains/{name}/mx/delete/{query}") == 404

    browse.go("/")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_label("User name")).to_be_visible()
    assert browse.path().split("?")[0] == "/login/"
    browse.shot("logged-out")
    browse.go(f"/domains/{DOMAIN}/")
    assert browse.path().startswith("/login/?next=")
    expect(page.get_by_role("heading", name="MX Records")).to_have_count(0)
    assert_all_local(browse)


def test_adding_a_record_works_without_javascript(browse_without_js: Browse) -> None:
    browse = browse_without_js
    page, panel = browse.page, browse.panel
    records, serial = panel.mx(NOJS_DOMAIN)

    browse.go(f"/domains/{NOJS_DOMAIN}/")
    browse.shot("login")
    browse.log_in()
    on_domain_page(browse, NOJS_DOMAIN)  # ?next= brought us back
    browse.shot("domain-page")

    form = add_form(page)
    form.get_by_label("Priority").fill("10")  # the same as the record already there
    form.get_by_label("Destination").fill("mx2.shop.test")
    form.get_by_role("button", name="Add New Record").click()
    old, new = browse.serials()
    on_domain_page(browse, NOJS_DOMAIN)
    assert old == serial
    assert panel.mx_at(NOJS_DOMAIN, new) == records | {(10, "mx2.shop.test")}
    expect(mx_row(page, "mx2.shop.test")).to_have_count(1)
    expect(mx_rows(page).filter(has_text="shares mail at random")).to_have_count(2)
    browse.shot("added")
    assert_all_local(browse)


def test_every_page_loads_only_what_the_panel_itself_serves(browse: Browse) -> None:
    page, panel = browse.page, browse.panel
    browse.go("/login/")
    browse.log_in()
    expect(page.get_by_role("heading", name="Domains", exact=True)).to_be_visible()
    records, _ = panel.mx(NOJS_DOMAIN)
    priority, exchanger = min(records)
    query = f"?priority={priority}&exchanger={exchanger}"
    pages = {
        "domain-page": f"/domains/{NOJS_DOMAIN}/",
        "edit": f"/domains/{NOJS_DOMAIN}/mx/edit/{query}",
        "delete-confirm": f"/domains/{NOJS_DOMAIN}/mx/delete/{query}",
        "tokens": "/tokens/",
    }
    for step, path in pages.items():
        assert browse.go(path) == 200, path
        browse.shot(step)
        # Nothing is even referenced from elsewhere (a preconnect, a font, a CDN script).
        for element in page.locator(ASSETS).all():
            target = element.get_attribute("href") or element.get_attribute("src") or ""
            assert not re.match(r"(https?:)?//", target) or target.startswith(panel.url), target

    assert_all_local(browse)
    # Stylesheets, scripts, images and fonts all arrived (none of them is missing).
    assets = [(url, status) for kind, url, status in browse.responses if kind != "document"]
    assert all(status == 200 for _, status in assets), assets
    assert panel.mx(NOJS_DOMAIN)[0] == records  # only looked: nothing changed
