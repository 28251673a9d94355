"""A live panel for browser tests: ``mxroute serve`` over zones a real named serves.

The data directory holds its domains' zone files as an operator's would be: each gives
its exchangers mx1, mx2 and mx3 an address, so a record pointing there is no finding.
Most domains are owned by ``alice``, one for each test that changes one (the end-to-end
test, the one without JavaScript, the confirmation tests, the undo test), so none
depends on another's edits; one is owned by ``bob`` and one by nobody. Each page opened
through :func:`browsing` gets a fresh browser context (no cookies), its own folder of
numbered full-page screenshots, and a record of every request it made; requests to
anything but the panel are aborted.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, ViewportSize, expect

from tests.integration.bind import NamedServer, bind_readable_dir, free_port
from tests.integration.cli import MXROUTE, Mxroute

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[3]
PASSWORD = "Violet-Harbour-Lantern-42"
PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

OWNER = "alice"
OTHER_OWNER = "bob"
DOMAIN = "example.test"
NOJS_DOMAIN = "shop.test"
OTHER_DOMAIN = "bob.test"
UNOWNED_DOMAIN = "unowned.test"
LOOP_DOMAIN = "loop.test"
CANCEL_DOMAIN = "cancel.test"
STALE_DOMAIN = "stale.test"
UNDO_DOMAIN = "undo.test"  # alice's, for the undo test alone
SELF = "mx.self.test"  # this server's name: an MX set of only SELF detects as local
DOMAINS = {
    DOMAIN: (OWNER, f"10 {SELF}"),
    NOJS_DOMAIN: (OWNER, f"10 {SELF}"),
    LOOP_DOMAIN: (OWNER, f"10 {SELF}"),
    CANCEL_DOMAIN: (OWNER, f"10 {SELF}"),
    STALE_DOMAIN: (OWNER, f"10 {SELF}"),
    OTHER_DOMAIN: (OTHER_OWNER, "10 mx1.bob.test"),
    UNOWNED_DOMAIN: (None, "10 mx1.unowned.test"),
    UNDO_DOMAIN: (OWNER, f"10 {SELF}"),
}
ZONE_TEXT = """\
$TTL 300
@\tIN SOA\tns.self.test. hostmaster.self.test. 2026010101 3600 600 86400 300
@\tIN NS\tns.self.test.
@\tIN MX\t{mx}.
mx1\tIN A\t192.0.2.11
mx2\tIN A\t192.0.2.12
mx3\tIN A\t192.0.2.13
"""
_SERIAL_CHANGE = re.compile(r"Zone serial (\d+)\s*→\s*(\d+)")


def chromium_missing() -> str | None:
    """None when Debian's Chromium is installed; otherwise what is missing."""
    return None if CHROMIUM.exists() else str(CHROMIUM)


def screenshot_root() -> Path:
    """Where screenshots go: ``$MXROUTE_SCREENSHOTS``, else test-artifacts/screenshots."""
    chosen = os.environ.get("MXROUTE_SCREENSHOTS")
    return Path(chosen).absolute() if chosen else REPO / "test-artifacts" / "screenshots"


@dataclass
class Panel:
    """The running panel: its address, the named serving its zones, its data directory."""

    url: str
    named: NamedServer
    mxroute: Mxroute
    log: Path

    def zone_file(self, zone: str) -> Path:
        """The zone file mxroute edits (and named serves) for ``zone``."""
        return self.mxroute.home / "zones" / f"{zone}.zone"

    def lists(self, zone: str) -> set[str]:
        """The routing lists (the mail server's files) that name ``zone``."""
        folder = self.mxroute.home / "lists"
        return {p.name for p in folder.iterdir() if zone in p.read_text().split()}

    def at(self, path: str) -> str:
        """The absolute URL of ``path`` on this panel."""
        return self.url + path

    def mx(self, zone: str) -> tuple[set[tuple[int, str]], int]:
        """The MX set and serial named answers for ``zone`` (a UDP query to 127.0.0.1)."""
        return self.named.query_mx(zone)

    def mx_at(self, zone: str, serial: int) -> set[tuple[int, str]]:
        """The MX set named answers once it serves ``serial`` (``rndc reload`` only queues)."""
        self.named.wait_serial(zone, serial)
        records, served = self.named.query_mx(zone)
        assert served == serial
        return records


@dataclass
class Browse:
    """One test's page, its numbered screenshots, and every request the page made.

    ``requests`` lists every URL asked for, ``foreign`` those not on the panel (aborted),
    ``responses`` each answer as (resource type, URL, HTTP status).
    """

    page: Page
    panel: Panel
    folder: Path
    requests: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    responses: list[tuple[str, str, int]] = field(default_factory=list)
    _step: int = 0

    def shot(self, step: str) -> Path:
        """Save a full-page PNG named ``NN-step.png`` (numbered in the order taken)."""
        self._step += 1
        path = self.folder / f"{self._step:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def go(self, path: str) -> int:
        """Open ``path`` on the panel; the HTTP status of the final response."""
        response = self.page.goto(self.panel.at(path))
        assert response is not None
        return response.status

    def path(self) -> str:
        """The current page's address without the panel's origin."""
        return self.page.url.removeprefix(self.panel.url)

    def log_in(self, username: str = OWNER, password: str = PASSWORD) -> None:
        """Fill in and submit the log-in form shown on the current page."""
        self.page.get_by_label("User name").fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Log in").click()

    def result(self) -> str:
        """The text of the message box shown after a change (waits for it)."""
        box = self.page.locator("#result[role=status]")
        box.wait_for(timeout=10_000)
        return box.inner_text()

    def confirm(self, *, force: bool = False) -> None:
        """On the confirmation page: tick "make the change anyway" when ``force``, then
        press "Make this change"."""
        heading = self.page.get_by_role("heading", name=re.compile(r"^Confirm the change to "))
        expect(heading).to_be_visible()
        if force:
            self.page.get_by_label("I understand this stops mail; make the change anyway").check()
        self.page.get_by_role("button", name="Make this change").click()

    def serials(self) -> tuple[int, int]:
        """The old and new zone serials the result message reports."""
        text = self.result()
        found = _SERIAL_CHANGE.search(text)
        assert found, f"no 'Zone serial OLD → NEW' in the result message: {text!r}"
        return int(found[1]), int(found[2])


@contextlib.contextmanager
def running_panel() -> Iterator[Panel]:
    """Set up the data directory, named and ``mxroute serve``; stop and remove them after."""
    home = bind_readable_dir("mxroute-browser-home-")
    zones = home / "zones"
    zones.mkdir(mode=0o755)
    named = NamedServer(zones, [])
    mxroute = Mxroute(
        home,
        {
            "MXROUTE_DNS_CHECK_COMMAND": "named-checkzone -q -i local {zone} {file}",
            # named cannot reload a zone it does not serve yet: set once all are added.
            "MXROUTE_DNS_RELOAD_COMMAND": "",
            "MXROUTE_SERVER_NAMES": SELF,
            "MXROUTE_SERVER_ADDRESSES": "127.0.0.1",
            "MXROUTE_RESOLVER_SERVER": "127.0.0.1",
            "MXROUTE_RESOLVER_PORT": str(named.port),
            "MXROUTE_RESOLVER_TIMEOUT": "2",
        },
    )
    server: subprocess.Popen[bytes] | None = None
    log = home / "serve.log"
    try:
        # Started first so that mxroute's look-ups get a quick answer, not a time-out.
        named.start()
        mxroute.ok("init")
        mxroute.ok("user", "add", OWNER, "--password", PASSWORD)
        mxroute.ok("user", "add", OTHER_OWNER, "--password", PASSWORD)
        for name, (owner, mx) in DOMAINS.items():
            (zones / f"{name}.zone").write_text(ZONE_TEXT.format(mx=mx))
            mxroute.ok("domain", "add", name, *(["--owner", owner] if owner else []))
            named.add_zone(name)
        mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = named.reload_command
        port = free_port()
        server = _start_serve(mxroute, port, log)
        yield Panel(f"http://127.0.0.1:{port}", named, mxroute, log)
    finally:
        if server is not None:
            _stop(server)
        named.stop()
        shutil.rmtree(home, ignore_errors=True)


def _start_serve(mxroute: Mxroute, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start ``mxroute serve`` in its own session; return once it answers HTTP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXROUTE_")}
    env.pop("DATABASE_URL", None)
    env.update(mxroute.env, MXROUTE_HOME=str(mxroute.home))
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(MXROUTE), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mxroute serve exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2):
                return process
        except urllib.error.HTTPError:
            return process  # an HTTP answer of any status: it is serving
        except OSError:
            pass
        if time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"mxroute serve did not answer:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL if it lingers."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@contextlib.contextmanager
def browsing(
    browser: Browser,
    panel: Panel,
    name: str,
    *,
    javascript: bool = True,
    viewport: ViewportSize | None = None,
) -> Iterator[Browse]:
    """A fresh context and page whose screenshots go to ``screenshot_root() / name``."""
    folder = screenshot_root() / name
    shutil.rmtree(folder, ignore_errors=True)  # this test's own earlier screenshots only
    folder.mkdir(parents=True)
    context = browser.new_context(java_script_enabled=javascript, viewport=viewport or DESKTOP)
    page = context.new_page()
    browse = Browse(page, panel, folder)

    def guard(route: Route) -> None:
        url = route.request.url
        browse.requests.append(url)
        if url.startswith(panel.url + "/"):
            route.continue_()
        else:
            browse.foreign.append(url)
            route.abort()  # nothing leaves the machine, and the test sees it was asked for

    context.route("**/*", guard)
    context.on(
        "response",
        lambda r: browse.responses.append((r.request.resource_type, r.url, r.status)),
    )
    try:
        yield browse
    finally:
        context.close()
