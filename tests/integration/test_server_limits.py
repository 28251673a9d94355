"""A live ``mxroute serve`` holds up: idle and slow clients, forwarded headers from
anyone, oversized and malformed requests, a failing database. Every answer of an API
door is JSON in that door's shape, and no client error is a 5xx."""

from __future__ import annotations

import contextlib
import json
import resource
import shutil
import socket
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli import Mxroute
from tests.integration.test_serve import PASSWORD, Server, serving

pytestmark = pytest.mark.integration

IDLE_CLIENTS = 1100
MAX_BODY = 4096


@pytest.fixture(scope="module")
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-limits-"))
    cli = Mxroute(home, {"MXROUTE_WEB_HEADER_TIMEOUT": "2", "MXROUTE_WEB_MAX_BODY_BYTES": "4096"})
    cli.ok("init", "--demo")
    cli.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    yield cli
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def server(mxroute: Mxroute) -> Iterator[Server]:
    # The usual default of 1,024 open files for the server (the hard limit stays higher).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, hard), hard))
    try:
        with serving(mxroute) as running:
            yield running
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(scope="module")
def token(mxroute: Mxroute) -> str:
    said = mxroute.ok("token", "create", "boss", "--name", "limits", "--json")
    return str(json.loads(said)["token"])


def raw(server: Server, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``data`` as the whole request; the status, headers and body answered."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(data)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def post(path: str, body: bytes, content_type: str, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    ).encode() + body


def json_of(headers: dict[str, str], body: bytes) -> Any:
    assert headers["content-type"].startswith("application/json"), (headers, body[:200])
    return json.loads(body)


def test_a_thousand_idle_connections_do_not_stop_another_client(server: Server, token: str) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE_CLIENTS):
            idle.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        started = time.monotonic()
        response, body = server.request(
            "GET", "/api/v1/domains", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200, body
        assert time.monotonic() - started < 10
        # Clients that never send a request are closed after the header timeout (2 s).
        for sock in idle[:20]:
            sock.settimeout(15)
            assert sock.recv(1) == b""
    finally:
        for sock in idle:
            sock.close()


def test_a_client_sending_its_headers_a_byte_at_a_time_is_cut_off(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        started = time.monotonic()
        with contextlib.suppress(OSError):
            for byte in b"GET /api/v1/domains HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ":
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
        sock.settimeout(15)
        with contextlib.suppress(ConnectionResetError):
            assert sock.recv(1) == b""
        assert time.monotonic() - started < 14


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/domains/shop.example/mx", "application/json"),
        ("/execute/Email/add_mx", "application/x-www-form-urlencoded"),
        ("/json-api/cpanel", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_over_the_limit_is_413_in_the_doors_shape(
    server: Server, path: str, content_type: str
) -> None:
    # No credentials: the limit holds before authentication.
    status, headers, body = raw(server, post(path, b"a" * (MAX_BODY + 1), content_type))
    assert status == 413
    answer = json_of(headers, body)
    if path.startswith("/api/"):
        assert answer["errors"][0]["code"] == "too_large"
    elif path.startswith("/execute/"):
        assert answer["status"] == 0 and "larger than this server takes" in answer["errors"][0]
    else:
        assert answer["cpanelresult"]["event"]["result"] == 0


def test_a_chunked_body_over_the_limit_is_413_too(server: Server) -> None:
    chunk = b"a" * 3000
    data = (
        b"POST /api/v1/domains/shop.example/mx HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Connection: close\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2
        + b"0\r\n\r\n"
    )
    status, headers, body = raw(server, data)
    assert status == 413
    assert json_of(headers, body)["errors"][0]["code"] == "too_large"


def test_a_body_that_does_not_arrive_is_408_and_frees_its_slot(server: Server) -> None:
    started = time.monotonic()
    # Headers promise 10 bytes; none come (the header timeout, 2 s, bounds the body too).
    status, headers, body = raw(
        server,
        post("/api/v1/domains/shop.example/mx", b"", "application/json").replace(
            b"Content-Length: 0", b"Content-Length: 10"
        ),
    )
    assert status == 408
    assert json_of(headers, body)["errors"][0]["code"] == "too_slow"
    assert time.monotonic() - started < 10


def test_a_post_to_the_api_docs_answers_json_not_a_form_page(server: Server) -> None:
    for path in ("/api/v1/", "/api/v1/openapi.json", "/api/v1/docs"):
        status, headers, body = raw(server, post(path, b"{}", "application/json"))
        assert status in (403, 404, 405), (path, status)
        assert json_of(headers, body)["errors"], path


def test_uapi_refuses_too_many_fields_and_a_broken_multipart_body_in_json(
    server: Server, token: str
) -> None:
    auth = f"Authorization: Bearer {token}\r\n"
    fields = b"&".join([b"a="] * 1001)  # 1,001 fields in under 4 KB
    status, headers, body = raw(
        server, post("/execute/Email/list_mxs", fields, "application/x-www-form-urlencoded", auth)
    )
    assert status == 413, body
    assert "more parameters than this server takes" in json_of(headers, body)["errors"][0]
    status, headers, body = raw(
        server, post("/execute/Email/list_mxs", b"--x\r\n", "multipart/form-data", auth)
    )
    assert status == 200
    answer = json_of(headers, body)
    assert answer["status"] == 0 and "not valid multipart form data" in answer["errors"][0]
    # API 2 reads the same body the same way: refused, not run with the query alone.
    status, headers, body = raw(
        server,
        post(
            "/json-api/cpanel?cpanel_jsonapi_module=Email&cpanel_jsonapi_func=listmxs"
            "&cpanel_jsonapi_apiversion=2",
            b"--x\r\n",
            "multipart/form-data",
            auth,
        ),
    )
    result = json_of(headers, body)["cpanelresult"]
    assert status == 200 and "not valid multipart form data" in result["error"]


def test_a_json_object_naming_a_field_twice_is_refused(server: Server, token: str) -> None:
    body = b'{"priority": 10, "exchanger": "mx1.shop.example", "priority": 99}'
    auth = f"Authorization: Bearer {token}\r\n"
    status, headers, answer = raw(
        server, post("/api/v1/domains/shop.example/mx", body, "application/json", auth)
    )
    assert status == 400
    assert json_of(headers, answer)["errors"][0] == {
        "code": "duplicate_field",
        "field": "priority",
        "message": "The request body sends the field 'priority' more than once; send each "
        "field once.",
    }


def test_unknown_paths_under_a_door_answer_its_json(server: Server) -> None:
    for path, check in [
        ("/execute/Email", lambda a: a["status"] == 0),
        ("/json-api/", lambda a: a["cpanelresult"]["event"]["result"] == 0),
        ("/api/v1/nothing", lambda a: a["errors"][0]["code"] == "no_endpoint"),
    ]:
        status, headers, body = raw(
            server, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        assert status == 404
        assert check(json_of(headers, body)), body


# Last of the tests on the shared server: it leaves 127.0.0.1 throttled.
def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(server: Server) -> None:
    statuses = []
    for i in range(25):
        response, _ = server.request(
            "GET",
            "/api/v1/domains",
            headers={"Authorization": "Bearer wrong", "X-Forwarded-For": f"198.51.100.{i}"},
        )
        statuses.append(response.status)
    # Every failure counts against the real peer (127.0.0.1): throttled after 20.
    assert statuses[:20] == [401] * 20
    assert 429 in statuses[20:]


def test_a_database_failure_during_authentication_is_json_503() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-dbfail-"))
    try:
        cli = Mxroute(home, {})
        cli.ok("init")
        cli.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
        secret = json.loads(cli.ok("token", "create", "boss", "--name", "t", "--json"))["token"]
        with serving(cli) as server:
            with contextlib.closing(sqlite3.connect(home / "mxroute.sqlite3")) as db:
                tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master")]
                db.execute(f"DROP TABLE {next(t for t in tables if t.endswith('apitoken'))}")
                db.commit()
            headers = {"Authorization": f"Bearer {secret}"}
            response, body = server.request("GET", "/execute/Email/list_mxs", headers=headers)
            assert response.status == 503
            assert json.loads(body)["errors"] == [
                "mxroute cannot reach its database right now; try again shortly."
            ]
            response, body = server.request(
                "GET",
                "/json-api/cpanel?cpanel_jsonapi_module=Email&cpanel_jsonapi_func=listmxs"
                "&cpanel_jsonapi_apiversion=2",
                headers=headers,
            )
            assert response.status == 503
            assert json.loads(body)["cpanelresult"]["event"]["result"] == 0
            response, body = server.request("GET", "/api/v1/domains", headers=headers)
            assert response.status == 503
            assert json.loads(body)["errors"][0]["code"] == "database_unavailable"
    finally:
        shutil.rmtree(home, ignore_errors=True)
