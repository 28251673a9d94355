"""The web panel over a temporary data directory: three users, three domains.

- alice owns alice.test (MX 10 mx.self.test: this server, local) and
  xn--bcher-kva.test (bücher.test, MX 10 mx.self.test);
- bob owns bob.test (MX 10 mx.self.test);
- root is an administrator.

Every zone holds addresses for mx1, mx2 and mx3 below it, so records pointing there
resolve from the zone file itself (no DNS is asked).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from pytest_django.fixtures import Settings as DjangoSettings

from mxroute.service import Service
from tests.service.conftest import ACTOR, make_settings, state_of
from tests.web.html import Node, parse

ALICE = "alice.test"
IDN = "xn--bcher-kva.test"
BOB = "bob.test"
SERIAL = 2026010101
ZONE_TEXT = """\
$TTL 300
@\tIN SOA\tns.self.test. hostmaster.self.test. {serial} 3600 600 86400 300
@\tIN NS\tns.self.test.
@\tIN MX\t10 mx.self.test.
mx1\tIN A\t192.0.2.11
mx2\tIN A\t192.0.2.12
mx3\tIN A\t192.0.2.13
"""


@dataclass
class Panel:
    """The data directory, the service over it, and the users."""

    service: Service
    home: Path
    alice: Any
    bob: Any
    root: Any

    def zone_file(self, zone: str) -> Path:
        return self.home / "zones" / f"{zone}.zone"

    def state(self) -> tuple[dict[str, bytes], list[Any], int]:
        """Every file, every domain row and the number of history rows: for "nothing changed"."""
        return state_of(self.service)

    def serial(self, zone: str) -> int:
        return self.service.show(zone).snapshot.serial

    def mx(self, zone: str) -> list[str]:
        return [str(r) for r in self.service.show(zone).snapshot.mx]


@pytest.fixture
def panel(tmp_path: Path, settings: DjangoSettings, db: None) -> Panel:
    """The web panel's data directory; the views use it through ``settings.MXROUTE``."""
    mx_settings = make_settings(tmp_path)
    settings.MXROUTE = mx_settings
    # Argon2 is tested by the settings' own tests; here a fast hasher keeps tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    users = get_user_model().objects
    alice = users.create_user("alice", password="alice-secret-2026")
    bob = users.create_user("bob", password="bob-secret-2026")
    root = users.create_user("root", password="root-secret-2026", is_superuser=True)
    service = Service(mx_settings)
    for zone, owner in ((ALICE, "alice"), (IDN, "alice"), (BOB, "bob")):
        (tmp_path / "zones" / f"{zone}.zone").write_text(ZONE_TEXT.format(serial=SERIAL))
        service.add_domain(zone, actor=ACTOR, owner=owner)
    return Panel(service, tmp_path, alice, bob, root)


def _client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def alice(panel: Panel) -> Client:
    """A client logged in as alice (owner of alice.test and bücher.test)."""
    return _client_for(panel.alice)


@pytest.fixture
def bob(panel: Panel) -> Client:
    """A client logged in as bob (owner of bob.test)."""
    return _client_for(panel.bob)


@pytest.fixture
def root(panel: Panel) -> Client:
    """A client logged in as the administrator."""
    return _client_for(panel.root)


def page(response: Any, status: int = 200) -> Node:
    """The response's HTML tree, after checking its status."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"].startswith("text/html")
    return parse(response.content.decode("utf-8"))


def form_serial(tree: Node, action_contains: str) -> str:
    """The hidden serial of the form whose action contains ``action_contains``."""
    form = next(f for f in tree.all("form") if action_contains in f.attrs.get("action", ""))
    return form.one("input", name="serial").attrs["value"]


def confirmation(response: Any, status: int = 200) -> Node:
    """The confirmation page a change answered with (after checking it is one)."""
    tree = page(response, status)
    assert tree.one("h1").text.startswith("Confirm the change to ")
    return tree


def confirm(client: Client, response: Any, *, force: bool = False, status: int = 200) -> Any:
    """Press "Make this change" on the confirmation page ``response`` (ticking "make the
    change anyway" first when ``force``); the answer."""
    form = confirmation(response, status).one("form", cls="confirm")
    data = {i.attrs["name"]: i.attrs["value"] for i in form.all("input", type="hidden")}
    if force:
        assert form.one("input", type="checkbox", name="force")
        data["force"] = form.one("input", name="force").attrs["value"]
    return client.post(form.attrs["action"], data)


def refusal_at_top(tree: Node) -> str:
    """The refusal shown at the top of the page (under its heading, before any section)."""
    main = tree.one("main")
    order = main.walk()
    error = main.by_id("form-error")
    assert error is not None and error.attrs["role"] == "alert", "no refusal on the page"
    position = order.index(error)
    assert order.index(main.one("h1")) < position
    assert all(position < order.index(h) for h in main.all("h2")), "the refusal is not on top"
    return error.text
