"""Fixtures for the browser tests: one live panel and one Chromium for the session.

``live_panel`` is a real ``mxroute serve`` (see :mod:`tests.web.browser.live`), unlike the
in-process ``panel`` of the Django test-client tests one folder up.

Screenshots of every step are saved under ``test-artifacts/screenshots/<test name>/`` at
the repository root (``$MXROUTE_SCREENSHOTS`` chooses another folder).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.components import require
from tests.integration.bind import named_available
from tests.web.browser.live import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    Browse,
    Panel,
    browsing,
    chromium_missing,
    running_panel,
)


@pytest.fixture(scope="session")
def live_panel() -> Iterator[Panel]:
    """``mxroute serve`` on a free port, over a data directory whose zones named serves."""
    require(named_available(), "BIND (named)")
    with running_panel() as live:
        yield live


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with a fresh temporary profile (Playwright's default).

    Never ``playwright install``: it would download another browser.
    """
    require(chromium_missing(), "Chromium")
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def browse(browser: Browser, live_panel: Panel, request: pytest.FixtureRequest) -> Iterator[Browse]:
    """A page in a fresh context (JavaScript on); screenshots in a folder named by the test."""
    with browsing(browser, live_panel, request.node.name) as page:
        yield page


@pytest.fixture
def browse_without_js(
    browser: Browser, live_panel: Panel, request: pytest.FixtureRequest
) -> Iterator[Browse]:
    """A page in a fresh context with JavaScript switched off."""
    with browsing(browser, live_panel, request.node.name, javascript=False) as page:
        yield page
