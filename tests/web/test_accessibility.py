"""Every page: labelled inputs, errors tied to fields, lang, skip link, no script, nothing
loaded from elsewhere, a phone-width layout."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.web.conftest import ALICE, SERIAL, Panel, confirm, page
from tests.web.html import Node

RECORD = "?priority=10&exchanger=mx.self.test"


def _pages(panel: Panel) -> dict[str, Callable[[Client], Any]]:
    """Each page, as the user sees it: fresh, and re-rendered with errors."""
    edit = f"/domains/{ALICE}/mx/edit/{RECORD}"
    delete = f"/domains/{ALICE}/mx/delete/{RECORD}"
    bad_edit = {"old_priority": "10", "old_exchanger": "mx.self.test", "serial": SERIAL}
    return {
        "domains": lambda c: c.get("/"),
        "domain": lambda c: c.get(f"/domains/{ALICE}/"),
        "add refused": lambda c: c.post(
            f"/domains/{ALICE}/mx/add/", {"priority": "x", "exchanger": "1.2.3.4", "serial": 1}
        ),
        "routing refused": lambda c: c.post(f"/domains/{ALICE}/routing/", {"mode": "x"}),
        "edit": lambda c: c.get(edit),
        "edit refused": lambda c: c.post(edit, {**bad_edit, "priority": "x", "exchanger": "y"}),
        "delete": lambda c: c.get(delete),
        "delete refused": lambda c: c.post(
            delete, {"priority": "1", "exchanger": "mx9.alice.test"}
        ),
        "confirm": lambda c: c.post(f"/domains/{ALICE}/routing/", {"mode": "remote"}),
        "confirm refused": lambda c: confirm(
            c, c.post(f"/domains/{ALICE}/routing/", {"mode": "remote"})
        ),
        "tokens": lambda c: c.get("/tokens/"),
        "tokens refused": lambda c: c.post("/tokens/", {"name": "!", "expires": "x"}),
        "not found": lambda c: c.get("/domains/bob.test/"),
        "login": lambda c: Client().get("/login/"),
        "login refused": lambda c: Client().post("/login/", {"username": "x", "password": "y"}),
    }


PAGE_NAMES = [
    "domains",
    "domain",
    "add refused",
    "routing refused",
    "edit",
    "edit refused",
    "delete",
    "delete refused",
    "confirm",
    "confirm refused",
    "tokens",
    "tokens refused",
    "not found",
    "login",
    "login refused",
]


@pytest.fixture(params=PAGE_NAMES)
def any_page(request: pytest.FixtureRequest, panel: Panel, alice: Client) -> Node:
    response = _pages(panel)[request.param](alice)
    assert response.status_code in (200, 400, 404)
    return page(response, response.status_code)


def test_every_page_names_its_language_and_fits_a_phone(any_page: Node) -> None:
    assert any_page.one("html").attrs["lang"] == "en"
    viewport = any_page.one("meta", name="viewport")
    assert viewport.attrs["content"] == "width=device-width, initial-scale=1"
    assert any_page.one("head").one("title").text.endswith("· mxroute")
    assert len(any_page.all("h1")) == 1


def test_every_page_starts_with_a_skip_link_to_the_main_content(any_page: Node) -> None:
    links = any_page.all("a")
    assert links[0].attrs["href"] == "#main" and links[0].text == "Skip to main content"
    assert any_page.one("main").attrs["id"] == "main"


def test_every_input_has_a_label(any_page: Node) -> None:
    labels = {label.attrs.get("for") for label in any_page.all("label")}
    controls = [
        n
        for n in any_page.walk()
        if n.tag in ("input", "select", "textarea") and n.attrs.get("type") != "hidden"
    ]
    for control in controls:
        assert control.attrs.get("id") in labels, control.attrs


def test_every_description_points_at_something_on_the_page(any_page: Node) -> None:
    for node in any_page.walk():
        for ident in node.attrs.get("aria-describedby", "").split():
            assert any_page.by_id(ident) is not None, (node.tag, ident)
        for ident in node.attrs.get("aria-labelledby", "").split():
            assert any_page.by_id(ident) is not None, (node.tag, ident)


def test_every_error_is_tied_to_its_field(any_page: Node) -> None:
    for error in any_page.all("p", cls="error"):
        ident = error.attrs["id"]
        assert ident.endswith("-error")
        described = [n for n in any_page.walk() if ident in n.attrs.get("aria-describedby", "")]
        assert described, ident


def test_no_page_needs_a_script_or_anything_from_elsewhere(any_page: Node) -> None:
    assert any_page.all("script") == []
    for node in any_page.walk():
        for attribute in ("src", "href", "action"):
            target = node.attrs.get(attribute, "")
            assert not re.match(r"(?i)([a-z][a-z0-9+.-]*:)?//", target), target
    assert any_page.all("iframe") == []


def test_every_post_form_carries_the_csrf_token(any_page: Node) -> None:
    for form in any_page.all("form"):
        if form.attrs.get("method") == "post":
            assert form.one("input", name="csrfmiddlewaretoken")


def test_the_style_sheet_is_served_by_mxroute_and_adapts_to_narrow_screens(
    alice: Client,
) -> None:
    tree = page(alice.get("/"))
    href = tree.one("link", rel="stylesheet").attrs["href"]
    assert href.startswith("/static/")
    response = alice.get(href)
    assert response.status_code == 200
    css = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "@media (max-width" in css
    assert "@import" not in css and "url(" not in css
