"""A reload that takes 35 s for one domain holds up nobody else.

While ``mxroute serve`` waits on that reload, a change to another domain, a log-in,
a REST read of the slow domain itself and a token check each finish within a
generous bound (2 s; the reload takes 35).
"""

from __future__ import annotations

import http.client
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli import Mxroute
from tests.integration.test_serve import PASSWORD, Server, _log_in, serving

SLOW_SECONDS = 35
BOUND_SECONDS = 2.0


@pytest.fixture
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-slow-"))
    cli = Mxroute(
        home,
        {"MXROUTE_SERVER_NAMES": "mx.self.test", "MXROUTE_SERVER_ADDRESSES": "192.0.2.1"},
    )
    cli.ok("init")
    cli.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    for zone in ("slow.test", "fast.test"):
        cli.add_domain_with_hosts(zone, "10 mx.self.test")
    cli.env["MXROUTE_DNS_RELOAD_COMMAND"] = (
        f"sh -c 'if [ {{zone}} = slow.test ]; then sleep {SLOW_SECONDS}; fi'"
    )
    # A stand-in for a slow reload: no name server loads anything, so none is asked.
    cli.env["MXROUTE_DNS_VERIFY"] = "false"
    yield cli
    shutil.rmtree(home, ignore_errors=True)


def _rest(
    server: Server, token: str, method: str, path: str, body: object = None, timeout: float = 30
) -> int:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(method, path, body=payload, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    action()
    return time.monotonic() - start


def test_a_slow_reload_of_one_domain_holds_up_no_other_request(mxroute: Mxroute) -> None:
    token = json.loads(mxroute.ok("token", "create", "boss", "--name", "t", "--json"))["token"]
    with serving(mxroute) as server:
        slow: list[int] = []
        started = time.monotonic()
        writer = threading.Thread(
            target=lambda: slow.append(
                _rest(
                    server,
                    token,
                    "POST",
                    "/api/v1/domains/slow.test/mx",
                    {"priority": 20, "exchanger": "mx2.slow.test"},
                    timeout=SLOW_SECONDS * 3,
                )
            )
        )
        writer.start()
        time.sleep(2)  # the slow change is now waiting on its reload
        assert writer.is_alive()
        times = {
            "change of another domain": _timed(
                lambda: (
                    _rest(
                        server,
                        token,
                        "POST",
                        "/api/v1/domains/fast.test/mx",
                        {"priority": 20, "exchanger": "mx2.fast.test"},
                    )
                    == 201
                    or pytest.fail("the change of fast.test failed")
                )
            ),
            "log-in": _timed(lambda: _log_in(server, "csrftoken", "sessionid")),
            "REST read of the slow domain": _timed(
                lambda: (
                    _rest(server, token, "GET", "/api/v1/domains/slow.test/mx") == 200
                    or pytest.fail("the read failed")
                )
            ),
            "token check": _timed(
                lambda: (
                    _rest(server, token, "GET", "/api/v1/domains") == 200
                    or pytest.fail("the list failed")
                )
            ),
        }
        assert writer.is_alive(), "the slow reload ended early: the test proves nothing"
        writer.join(timeout=SLOW_SECONDS + 30)
        assert slow == [201]
        assert time.monotonic() - started >= SLOW_SECONDS
    slow_all = {name: t for name, t in times.items() if t > BOUND_SECONDS}
    assert slow_all == {}, f"held up behind the slow reload: {slow_all}"
