"""32 clients add distinct records to one domain at the same moment, through REST,
UAPI and API 2, none of them sending a serial: every add succeeds.

On SQLite with one ``mxroute serve``, and on PostgreSQL with two ``mxroute serve``
instances sharing the database. Afterwards every record is in the zone and served
by a real named, each has its history row, and no answer was a 5xx.
"""

from __future__ import annotations

import http.client
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.components import require
from tests.integration.bind import NamedServer, bind_readable_dir, named_available
from tests.integration.cli import Mxroute
from tests.integration.test_serve import PASSWORD, serving

ZONE = "race.test"
CLIENTS = 32
DOORS = ("rest", "uapi", "api2")


@pytest.fixture
def named_home() -> Iterator[tuple[Path, NamedServer]]:
    require(named_available(), "BIND (named)")
    home = bind_readable_dir("mxroute-races-")
    zones = home / "zones"
    zones.mkdir(mode=0o755)
    server = NamedServer(zones, [])
    try:
        yield home, server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _mxroute(home: Path, server: NamedServer, database_url: str) -> Mxroute:
    env = {
        "MXROUTE_DNS_CHECK_COMMAND": "named-checkzone -q -i local {zone} {file}",
        "MXROUTE_SERVER_NAMES": "mx.self.test",
        "MXROUTE_SERVER_ADDRESSES": "192.0.2.1",
        "MXROUTE_CHANGES_MAX_MX_RECORDS": "40",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    mxroute = Mxroute(home, env)
    mxroute.ok("init")
    mxroute.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    mxroute.add_domain_with_hosts(ZONE, "10 mx.self.test")
    server.zones.append(ZONE)
    server.start()
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = server.reload_command
    mxroute.env["MXROUTE_DNS_VERIFY_SERVERS"] = f"{server.address}:{server.port}"
    return mxroute


def _add(port: int, token: str, n: int) -> tuple[int, bool, str]:
    """One add through door ``n % 3``: (HTTP status, succeeded, body)."""
    door = DOORS[n % len(DOORS)]
    exchanger = f"c{n}.{ZONE}"
    headers = {"Authorization": f"cpanel boss:{token}"}
    if door == "rest":
        path = f"/api/v1/domains/{ZONE}/mx"
        body = json.dumps({"priority": 20 + n, "exchanger": exchanger})
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    elif door == "uapi":
        path = "/execute/Email/add_mx"
        body = urlencode({"domain": ZONE, "exchanger": exchanger, "priority": 20 + n})
    else:
        path = "/json-api/cpanel"
        body = urlencode(
            {
                "cpanel_jsonapi_apiversion": "2",
                "cpanel_jsonapi_module": "Email",
                "cpanel_jsonapi_func": "addmx",
                "domain": ZONE,
                "exchanger": exchanger,
                "priority": 20 + n,
            }
        )
    if door != "rest":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        text = answer.read().decode()
    finally:
        connection.close()
    data: Any = json.loads(text) if text.startswith("{") else {}
    if door == "rest":
        succeeded = answer.status == 201
    elif door == "uapi":
        succeeded = data.get("status") == 1
    else:
        succeeded = data.get("cpanelresult", {}).get("event", {}).get("result") == 1
    return answer.status, succeeded, text


def _race(mxroute: Mxroute, server: NamedServer, instances: int) -> None:
    token = json.loads(mxroute.ok("token", "create", "boss", "--name", "race", "--json"))["token"]
    with ExitStack() as stack:
        ports = [stack.enter_context(serving(mxroute)).port for _ in range(instances)]
        barrier = threading.Barrier(CLIENTS)
        outcomes: dict[int, tuple[int, bool, str]] = {}

        def client(n: int) -> None:
            barrier.wait(timeout=60)
            outcomes[n] = _add(ports[n % instances], token, n)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    failed = {n: o for n, o in outcomes.items() if not o[1] or o[0] >= 500}
    assert len(outcomes) == CLIENTS and failed == {}
    wanted = {(20 + n, f"c{n}.{ZONE}") for n in range(CLIENTS)} | {(10, "mx.self.test")}
    listed = mxroute.json("mx", "list", ZONE)
    got = {(r["priority"], r["exchanger"]) for r in listed["mx"]}
    assert got == wanted, (sorted(wanted - got), sorted(got - wanted), outcomes)
    server.wait_serial(ZONE, int(listed["serial"]))
    assert server.query_mx(ZONE)[0] == wanted
    history = mxroute.json("history", ZONE, "--limit", "1000")
    added = sorted(h["summary"].split()[3].rstrip(".") for h in history if h["action"] == "add_mx")
    assert added == sorted(f"c{n}.{ZONE}" for n in range(CLIENTS))


def test_32_clients_add_at_once_on_sqlite(named_home: tuple[Path, NamedServer]) -> None:
    home, server = named_home
    _race(_mxroute(home, server, ""), server, instances=1)


def test_32_clients_add_at_once_through_two_servers_on_postgresql(
    named_home: tuple[Path, NamedServer], fresh_postgres_url: str
) -> None:
    home, server = named_home
    _race(_mxroute(home, server, fresh_postgres_url), server, instances=2)
