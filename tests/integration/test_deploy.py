"""The shipped deployment files, for real: systemd accepts the unit, nginx the site, and
mxroute behind that nginx over TLS takes a log-in, a panel change and a REST call,
with log-in throttling counting the real client's address."""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.components import require
from tests.integration.cli import MXROUTE, Mxroute
from tests.integration.test_serve import (
    PASSWORD,
    Server,
    _cookies,
    _free_port,
    self_signed,
    serving,
)

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
CLIENT = "127.0.0.2"  # the browser's own address, not the proxy's


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    require(None if analyze else "no systemd-analyze", "systemd")
    text = (DEPLOY / "systemd" / "mxroute.service").read_text()
    # The unit names the installed command; verify checks that it exists.
    unit = tmp_path / "mxroute.service"
    unit.write_text(text.replace("/opt/mxroute/bin/mxroute", str(MXROUTE)))
    done = subprocess.run(
        [str(analyze), "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_sudo_accepts_the_reload_rule() -> None:
    visudo = shutil.which("visudo") or "/usr/sbin/visudo"
    require(None if Path(visudo).exists() else "no visudo", "sudo")
    rule = DEPLOY / "sudoers.d" / "mxroute"
    done = subprocess.run([visudo, "-cf", str(rule)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # Exactly rndc reload, nothing else.
    commands = [line for line in rule.read_text().splitlines() if line.startswith("Cmnd_Alias")]
    assert commands == ["Cmnd_Alias MXROUTE_RELOAD = /usr/sbin/rndc reload *"]


class ThroughProxy(Server):
    """HTTPS to nginx from the client address 127.0.0.2."""

    def connect(self) -> http.client.HTTPConnection:
        assert self.cafile is not None
        context = ssl.create_default_context(cafile=str(self.cafile))
        return http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=30, context=context, source_address=(CLIENT, 0)
        )


@contextlib.contextmanager
def nginx(work: Path, upstream: int, cert: Path, key: Path) -> Iterator[tuple[int, str]]:
    """The shipped site on free loopback ports; its HTTPS port and the ``nginx -t`` output."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    require(None if Path(binary).exists() else "no nginx", "nginx")
    https, plain = _free_port(), _free_port()
    site = (DEPLOY / "nginx" / "mxroute.conf").read_text()
    site = (
        site.replace("127.0.0.1:8025", f"127.0.0.1:{upstream}")
        .replace("listen 80;", f"listen 127.0.0.1:{plain};")
        .replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;")
        .replace("/etc/ssl/certs/mxroute.pem", str(cert))
        .replace("/etc/ssl/private/mxroute.key", str(key))
    )
    site = "\n".join(line for line in site.splitlines() if "[::]" not in line)
    (work / "site.conf").write_text(site)
    (work / "nginx.conf").write_text(
        f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n client_body_temp_path {work}/body;\n"
        f" proxy_temp_path {work}/proxy;\n include {work}/site.conf;\n}}\n"
    )
    argv = [binary, "-p", str(work), "-c", str(work / "nginx.conf")]
    checked = subprocess.run([*argv, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([*argv, "-g", "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", https), 1):
                break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "nginx did not listen"
            time.sleep(0.1)
        yield https, checked.stderr
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def behind_nginx() -> Iterator[tuple[Mxroute, ThroughProxy, str]]:
    work = Path(tempfile.mkdtemp(prefix="mxroute-nginx-"))
    work.chmod(0o755)
    try:
        cli = Mxroute(work / "data", {"MXROUTE_WEB_TRUSTED_PROXIES": "127.0.0.1"})
        cli.ok("init", "--demo")
        cli.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
        token = json.loads(cli.ok("token", "create", "boss", "--name", "proxy", "--json"))["token"]
        cert, key = self_signed(work)
        with serving(cli) as server, nginx(work, server.port, cert, key) as (port, _):
            yield cli, ThroughProxy(port, "", cert), token
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _form_token(body: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert found is not None, body[:2000]
    return found.group(1)


def test_behind_nginx_over_tls_the_panel_and_the_api_work(
    behind_nginx: tuple[Mxroute, ThroughProxy, str],
) -> None:
    mxroute, proxy, token = behind_nginx
    # Log in through the proxy (the CSRF check needs the scheme nginx forwards).
    page, body = proxy.request("GET", "/login/")
    assert page.status == 200
    csrf = _cookies(page)["csrftoken"].split(";")[0]
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": csrf,
        "Origin": proxy.origin,
        "Referer": f"{proxy.origin}/login/",
    }
    form = {"username": "boss", "password": PASSWORD, "csrfmiddlewaretoken": _form_token(body)}
    answer, text = proxy.request(
        "POST", "/login/", body=urllib.parse.urlencode(form), headers=headers
    )
    assert answer.status == 302, text
    session = _cookies(answer)["sessionid"].split(";")[0]
    cookies = f"{csrf}; {session}"

    # A change through the panel.
    page, body = proxy.request("GET", "/domains/shop.example/", headers={"Cookie": cookies})
    assert page.status == 200
    serial = re.search(r'name="serial" value="(\d+)"', body)
    assert serial is not None
    form = {
        "priority": "30",
        "exchanger": "mx3.shop.example",
        "serial": serial.group(1),
        "csrfmiddlewaretoken": _form_token(body),
    }
    answer, text = proxy.request(
        "POST",
        "/domains/shop.example/mx/add/",
        body=urllib.parse.urlencode(form),
        headers={**headers, "Cookie": cookies, "Referer": f"{proxy.origin}/domains/"},
    )
    assert answer.status in (200, 302), text[:2000]
    assert "mx3.shop.example" in (mxroute.home / "zones" / "shop.example.zone").read_text()

    # A REST call through the proxy.
    answer, text = proxy.request(
        "GET", "/api/v1/domains/shop.example/mx", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200 and "mx3.shop.example" in text

    # A failed log-in is counted against the browser's address, not the proxy's.
    answer, _ = proxy.request("GET", "/api/v1/domains", headers={"Authorization": "Bearer nope"})
    assert answer.status == 401
    with contextlib.closing(sqlite3.connect(mxroute.home / "mxroute.sqlite3")) as db:
        table = next(
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            if name.endswith("authfailure")
        )
        addresses = {row[0] for row in db.execute(f"SELECT address FROM {table}")}
    assert addresses == {CLIENT}
