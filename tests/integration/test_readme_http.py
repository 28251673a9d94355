"""The README's log-in steps and curl examples work as written, against a real server.

The data directory is made the way ``make run`` makes it (``init --demo``, then an
administrator with a generated password), the tour is run, and ``mxroute serve`` is
started for real; the curl blocks run in bash with the real ``curl``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.components import require
from tests.docblocks import block_after
from tests.integration.cli import Mxroute
from tests.integration.test_readme_tour import _commands
from tests.integration.test_serve import Server, _cookies, serving


@pytest.fixture(scope="module")
def toured() -> Iterator[tuple[Mxroute, str, str]]:
    """A demo data directory after the tour: (runner, admin password, alice's token)."""
    home = Path(tempfile.mkdtemp(prefix="mxroute-readme-http-"))
    mxroute = Mxroute(home, {})
    token = ""
    for argv in _commands("tour"):
        out = mxroute.ok(*argv[1:])
        if argv[1:3] == ["token", "create"]:
            token = out.rsplit(":", 1)[1].strip()
    assert re.fullmatch(r"[A-Z0-9]{32}", token), token
    made = mxroute.ok("user", "add", "admin", "--admin", "--generate-password")
    password = made.rsplit(":", 1)[1].strip()
    yield mxroute, password, token
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def server(toured: tuple[Mxroute, str, str]) -> Iterator[Server]:
    with serving(toured[0]) as running:
        yield running


def _curl(block: str, server: Server, token: str) -> list[dict[str, object]]:
    """Run a README curl block in bash (port 8025 made the test server's); one JSON per call."""
    curl = shutil.which("curl")
    require(None if curl else "no 'curl' command", "curl")
    script = block.replace("127.0.0.1:8025", f"127.0.0.1:{server.port}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("curl ", "curl -w '\\n' ")],
        env={"PATH": "/usr/bin:/bin", "TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_the_administrator_logs_in_to_the_panel_as_the_readme_says(
    toured: tuple[Mxroute, str, str], server: Server
) -> None:
    _, password, _ = toured
    page, body = server.request("GET", "/login/")
    assert page.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None
    jar = SimpleCookie()
    jar.load(_cookies(page)["csrftoken"])
    form = urllib.parse.urlencode(
        {"username": "admin", "password": password, "csrfmiddlewaretoken": token.group(1)}
    )
    answer, _ = server.request(
        "POST",
        "/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={jar['csrftoken'].value}",
            "Origin": server.origin,
            "Referer": f"{server.origin}/login/",
        },
    )
    assert answer.status == 302
    jar.load(_cookies(answer)["sessionid"])
    listing, html = server.request(
        "GET", "/", headers={"Cookie": f"sessionid={jar['sessionid'].value}"}
    )
    assert listing.status == 200
    for demo in ("shop.example", "partner.example", "elsewhere.example"):
        assert demo in html


def test_the_readme_curl_examples_answer_and_are_recorded(
    toured: tuple[Mxroute, str, str], server: Server
) -> None:
    mxroute, _, token = toured
    listed, added = _curl(block_after("../README.md", "rest-curl"), server, token)
    assert listed["mx"] == [{"priority": 10, "exchanger": "mail.shop.example", "shared_with": 0}]
    assert added["summary"] == "Added MX 20 mx1.partner.example. Routing stays local."
    (deleted,) = _curl(block_after("../README.md", "uapi-curl"), server, token)
    assert deleted["status"] == 1 and deleted["errors"] is None
    shown = mxroute.json("mx", "list", "shop.example")
    assert [(r["priority"], r["exchanger"]) for r in shown["mx"]] == [(10, "mail.shop.example")]
    history = mxroute.json("history", "shop.example", "--limit", "2")
    assert [(h["interface"], h["token_name"], h["actor"]) for h in history] == [
        ("uapi", "deploy", "alice"),
        ("api", "deploy", "alice"),
    ]
