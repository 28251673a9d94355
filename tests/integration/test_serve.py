"""``mxroute serve``: the web panel over plain HTTP and over HTTPS, started for real."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from tests.components import require
from tests.integration.cli import MXROUTE, Mxroute

PASSWORD = "Plum-kettle-49-orbit"
STARTUP_SECONDS = 60


@dataclass
class Server:
    """A running ``mxroute serve`` and how to talk to it."""

    port: int
    banner: str
    cafile: Path | None

    def connect(self) -> http.client.HTTPConnection:
        if self.cafile is None:
            return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        context = ssl.create_default_context(cafile=str(self.cafile))
        return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=context)

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[http.client.HTTPResponse, str]:
        connection = self.connect()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    @property
    def origin(self) -> str:
        return f"{'https' if self.cafile else 'http'}://127.0.0.1:{self.port}"


def _environment(mxroute: Mxroute) -> dict[str, str]:
    """The environment ``Mxroute.run`` gives the command (no MXROUTE_* of the test run)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXROUTE_")}
    env.pop("DATABASE_URL", None)
    env.update(mxroute.env, MXROUTE_HOME=str(mxroute.home))
    return env


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serving(mxroute: Mxroute, *args: str, cafile: Path | None = None) -> Iterator[Server]:
    """``mxroute serve`` on a free port until the block ends (then Ctrl-C, as an operator)."""
    port = _free_port()
    process = subprocess.Popen(
        [str(MXROUTE), "serve", "--port", str(port), *args],
        env=_environment(mxroute),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"mxroute serve exited with {process.returncode}: {process.stderr}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"mxroute serve did not listen on port {port}")
            time.sleep(0.1)
        # The banner is printed before the port is bound, so it is there to read now.
        assert process.stdout is not None
        yield Server(port, process.stdout.readline().strip(), cafile)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture(scope="module")
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-serve-"))
    cli = Mxroute(home, {})
    cli.ok("init")
    cli.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    yield cli
    shutil.rmtree(home, ignore_errors=True)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made by ``openssl req``."""
    openssl = shutil.which("openssl")
    require(None if openssl else "no 'openssl' command", "OpenSSL")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            str(openssl),
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def certificate(mxroute: Mxroute) -> tuple[Path, Path]:
    return self_signed(mxroute.home)


@pytest.fixture(scope="module")
def plain(mxroute: Mxroute) -> Iterator[Server]:
    with serving(mxroute) as server:
        yield server


@pytest.fixture(scope="module")
def secure(mxroute: Mxroute, certificate: tuple[Path, Path]) -> Iterator[Server]:
    cert, key = certificate
    with serving(mxroute, "--cert", str(cert), "--key", str(key), cafile=cert) as server:
        yield server


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """Each Set-Cookie header, by cookie name."""
    return {
        header.split("=", 1)[0]: header for header in response.headers.get_all("Set-Cookie") or []
    }


def _attributes(set_cookie: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in set_cookie.split(";")[1:]}


def _log_in(server: Server, csrf_cookie: str, session_cookie: str) -> str:
    """Log in to the admin as boss; the Set-Cookie header of the new session."""
    page, body = server.request("GET", "/login/")
    assert page.status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None, body
    jar = SimpleCookie()
    jar.load(_cookies(page)[csrf_cookie])
    form = urllib.parse.urlencode(
        {
            "username": "boss",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token.group(1),
            "next": "/admin/",
        }
    )
    answer, _ = server.request(
        "POST",
        "/login/?next=/admin/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"{csrf_cookie}={jar[csrf_cookie].value}",
            "Origin": server.origin,
            "Referer": f"{server.origin}/login/",
        },
    )
    assert (answer.status, answer.headers["Location"]) == (302, "/admin/")
    session = _cookies(answer)[session_cookie]
    jar.load(session)
    index, body = server.request(
        "GET", "/admin/", headers={"Cookie": f"{session_cookie}={jar[session_cookie].value}"}
    )
    assert index.status == 200
    assert "boss" in body
    return session


# ----- plain HTTP ----------------------------------------------------------------------


def test_the_server_says_where_it_listens(plain: Server, secure: Server) -> None:
    assert plain.banner == (
        f"mxroute serves the web panel at http://127.0.0.1:{plain.port}/ (Ctrl-C stops it)"
    )
    assert secure.banner.startswith(
        f"mxroute serves the web panel at https://127.0.0.1:{secure.port}/"
    )


def test_the_admin_login_page_and_static_files_are_served(plain: Server) -> None:
    page, body = plain.request("GET", "/login/")
    assert page.status == 200
    assert 'name="csrfmiddlewaretoken"' in body
    css, text = plain.request("GET", "/static/admin/css/base.css")
    assert css.status == 200
    assert css.headers["Content-Type"].startswith("text/css")
    assert "body" in text


def test_over_plain_http_cookies_are_not_secure_only(mxroute: Mxroute, plain: Server) -> None:
    page, _ = plain.request("GET", "/login/")
    csrf = _cookies(page)["csrftoken"]
    assert "secure" not in _attributes(csrf)
    assert "Strict-Transport-Security" not in page.headers
    session = _log_in(plain, "csrftoken", "sessionid")
    assert {"httponly", "path"} <= _attributes(session)
    assert "secure" not in _attributes(session)
    # The user list shows the log-in.
    boss = [u for u in mxroute.json("user", "list") if u["username"] == "boss"]
    assert boss[0]["last_login"] is not None


# ----- HTTPS -------------------------------------------------------------------------------


def test_over_https_the_same_pages_are_served(secure: Server) -> None:
    page, body = secure.request("GET", "/login/")
    assert page.status == 200 and 'name="csrfmiddlewaretoken"' in body
    css, _ = secure.request("GET", "/static/admin/css/base.css")
    assert css.status == 200


def test_over_https_cookies_are_secure_only_and_hsts_is_sent(secure: Server) -> None:
    page, _ = secure.request("GET", "/login/")
    cookies = _cookies(page)
    assert set(cookies) == {"__Host-csrftoken"}
    assert "secure" in _attributes(cookies["__Host-csrftoken"])
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    session = _log_in(secure, "__Host-csrftoken", "__Host-sessionid")
    assert {"secure", "httponly", "path"} <= _attributes(session)


def test_plain_http_to_the_https_port_gets_no_page(secure: Server) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", secure.port, timeout=10)
    try:
        connection.request("GET", "/login/")
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException):
        status = None
    finally:
        connection.close()
    assert status != 200


# ----- refusals ---------------------------------------------------------------------------


def test_a_busy_port_is_refused_in_one_line(mxroute: Mxroute) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = mxroute.run("serve", "--port", str(port))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"mxroute: Cannot listen on 127.0.0.1 port {port} (it is already in use); stop the "
        "other server or choose another --port.\n"
    )


@pytest.mark.parametrize("given", ["--cert", "--key"])
def test_a_certificate_without_its_key_is_a_usage_error(
    mxroute: Mxroute, certificate: tuple[Path, Path], given: str
) -> None:
    path = certificate[0] if given == "--cert" else certificate[1]
    done = mxroute.run("serve", "--port", str(_free_port()), given, str(path))
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip().splitlines()[-1] == (
        "Error: Give both --cert and --key for HTTPS, or neither."
    )


def test_a_missing_certificate_file_is_a_usage_error(mxroute: Mxroute) -> None:
    missing = str(mxroute.home / "absent.pem")
    done = mxroute.run("serve", "--cert", missing, "--key", missing)
    assert done.returncode == 2
    assert "does not exist" in done.stderr.strip().splitlines()[-1]
