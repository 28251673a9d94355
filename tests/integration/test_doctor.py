"""``mxroute doctor`` on a data directory seeded with each kind of drift, with a real named
serving its zones: every kind is reported (CLI ``--json`` and ``GET /api/v1/doctor``),
``--fix`` repairs each, and a second run is clean.

The drifts, one domain each:

- edited.test: its zone file's MX set edited by hand (and reloaded), so its records
  changed without a history entry, and its detected mode is stale with them;
- stale.test: its exchanger's address edited by hand, so the stored detected mode is
  stale while the MX set is not;
- lists.test: taken out of ``localdomains`` and put in ``remotedomains`` by hand, and an
  unmanaged ``stray.test`` added to ``localdomains``;
- pending.test: a change whose writer died, left pending in the store;
- older.test: its file edited (a new serial) but named never reloaded it.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.components import require
from tests.docblocks import block_after
from tests.integration.bind import NamedServer, bind_readable_dir, named_available
from tests.integration.cli import Mxroute
from tests.integration.test_serve import Server, serving

SERIAL = 2026010101
ZONE_TEXT = """\
$TTL 300
@\tIN SOA\tns.self.test. hostmaster.self.test. {serial} 3600 600 86400 300
@\tIN NS\tns.self.test.
@\tIN MX\t10 mail.{zone}.
mail\tIN A\t127.0.0.1
other\tIN A\t192.0.2.50
"""
ZONES = ("edited.test", "lists.test", "older.test", "pending.test", "quiet.test", "stale.test")
PASSWORD = "Plum-kettle-49-orbit"
EXPECTED = {
    "edited.test": ["external_change", "detected_mode_stale"],
    "lists.test": ["routing_lists_disagree"],
    "older.test": ["served_serial_differs"],
    "pending.test": ["pending_intent"],
    "stale.test": ["detected_mode_stale"],
}


@pytest.fixture
def site() -> Iterator[tuple[Mxroute, NamedServer]]:
    """A data directory of six local domains (mail.ZONE is 127.0.0.1, this server), their
    zones served by named, changes checked and reloaded through it."""
    require(named_available(), "BIND (named)")
    home = bind_readable_dir("mxroute-doctor-")
    zones = home / "zones"
    zones.mkdir(mode=0o755)
    server = NamedServer(zones, list(ZONES))
    mxroute = Mxroute(
        home,
        {
            "MXROUTE_DNS_CHECK_COMMAND": "named-checkzone -q -i local {zone} {file}",
            "MXROUTE_SERVER_NAMES": "mx.self.test",
            "MXROUTE_SERVER_ADDRESSES": "127.0.0.1",
            "MXROUTE_RESOLVER_SERVER": "127.0.0.1",
            "MXROUTE_RESOLVER_PORT": str(server.port),
            "MXROUTE_RESOLVER_TIMEOUT": "2",
            # The server's own settling of killed commands' changes waits its longest:
            # the pending change seeded here must still be pending when REST is asked.
            "MXROUTE_CHANGES_SETTLE_SECONDS": "60",
        },
    )
    mxroute.ok("init")
    for zone in ZONES:
        (zones / f"{zone}.zone").write_text(ZONE_TEXT.format(serial=SERIAL, zone=zone))
        (zones / f"{zone}.zone").chmod(0o644)
        mxroute.ok("domain", "add", zone)
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = server.reload_command
    mxroute.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    server.start()
    try:
        yield mxroute, server
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _edit(server: NamedServer, zone: str, old: str, new: str, *, reload: bool = True) -> int:
    """Edit a zone file by hand, with a new serial; reload it unless told not to."""
    path = server.zone_file(zone)
    text = path.read_text()
    serial = int(text.split("SOA")[1].split()[2]) + 1
    assert old in text
    path.write_text(text.replace(old, new).replace(f" {serial - 1} ", f" {serial} "))
    if reload:
        server.rndc("reload", zone)
        server.wait_serial(zone, serial)
    return serial


def _seed(mxroute: Mxroute, server: NamedServer) -> int:
    """Every kind of drift; the serial older.test's file has, which named does not serve."""
    _edit(server, "edited.test", "10 mail.edited.test.", "10 other.edited.test.")
    _edit(server, "stale.test", "mail\tIN A\t127.0.0.1", "mail\tIN A\t192.0.2.60")
    lists = mxroute.home / "lists"
    local = (lists / "localdomains").read_text().replace("lists.test\n", "")
    (lists / "localdomains").write_text(local + "stray.test\n")
    (lists / "remotedomains").write_text("lists.test\n")
    with sqlite3.connect(mxroute.home / "mxroute.sqlite3") as db:
        plan = {"action": "set_mode", "domain": "pending.test", "summary": "Set routing to remote."}
        db.execute(
            "INSERT INTO store_intent (domain_name, action, state, plan, created_at) "
            "VALUES (?, ?, 'pending', ?, ?)",
            (
                "pending.test",
                "set_mode",
                json.dumps(plan),
                f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S}",
            ),
        )
    older = _edit(
        server, "older.test", "other\tIN A\t192.0.2.50", "other\tIN A\t192.0.2.51", reload=False
    )
    assert server.query_serial("older.test") == SERIAL
    return older


def _codes(report: dict[str, Any]) -> dict[str, list[str]]:
    found = {d["domain"]: [f["code"] for f in d["findings"]] for d in report["domains"]}
    if report["findings"]:
        found[""] = [f["code"] for f in report["findings"]]
    return found


def _rest(server: Server, token: str, path: str) -> Any:
    answer, body = server.request(
        "GET", "/api/v1" + path, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status == 200, body
    return json.loads(body)


def _rest_doctor(server: Server, token: str) -> dict[str, Any]:
    return _rest(server, token, "/doctor")  # type: ignore[no-any-return]


def test_doctor_reports_each_kind_of_drift_and_fix_repairs_it(
    site: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, named = site
    assert json.loads(mxroute.ok("doctor", "--json"))["clean"] is True
    token = json.loads(mxroute.ok("token", "create", "boss", "--name", "doc", "--json"))["token"]
    with serving(mxroute) as server:
        older = _seed(mxroute, named)

        found = mxroute.run("doctor", "--json")
        assert found.returncode == 1, found.stderr
        report = json.loads(found.stdout)
        assert (report["clean"], report["checked"], report["fix"]) == (False, 6, False)
        assert _codes(report) == {**EXPECTED, "": ["routing_lists_unmanaged"]}
        assert _codes(_rest_doctor(server, token)) == _codes(report)

        # Through REST: any command settles interrupted changes at its start.
        flagged = _rest(server, token, "/domains?with_findings=true")["domains"]
        assert [d["domain"] for d in flagged] == sorted(EXPECTED)

        human = mxroute.run("doctor", "older.test")
        assert human.returncode == 1
        assert "served_serial_differs" in human.stdout and f"serial {older}" in human.stdout

        fixed = mxroute.run("doctor", "--all", "--fix", "--json")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        repaired = json.loads(fixed.stdout)
        assert repaired["clean"] and repaired["fix"]
        assert _codes(repaired) == _codes(report)
        assert all(f["fixed"] for d in repaired["domains"] for f in d["findings"])
        assert all(f["fixed"] for f in repaired["findings"])

        # What the repairs did, as the operator would check it.
        history = mxroute.json("history", "edited.test")
        external = next(h for h in history if h["action"] == "external_change")
        assert (external["actor"], external["interface"]) == ("doctor", "cli")
        assert external["mx_before"] == [{"priority": 10, "exchanger": "mail.edited.test"}]
        assert external["mx_after"] == [{"priority": 10, "exchanger": "other.edited.test"}]
        assert history[0]["action"] == "detect"  # detected again after it was recorded
        lists = mxroute.home / "lists"
        local = (lists / "localdomains").read_text().split()
        assert "lists.test" in local and "stray.test" not in local
        assert "edited.test" not in local and "stale.test" not in local
        assert set((lists / "remotedomains").read_text().split()) == {"edited.test", "stale.test"}
        named.wait_serial("older.test", older)  # rndc reload only queues the load

        again = mxroute.run("doctor", "--fix", "--json")
        assert again.returncode == 0, again.stdout
        assert json.loads(again.stdout) == {
            "clean": True,
            "checked": 6,
            "fix": True,
            "domains": [],
            "findings": [],
            "fix_errors": [],
        }
        assert mxroute.json("history", "edited.test") == history  # nothing recorded twice
        assert _rest_doctor(server, token)["clean"] is True
        assert mxroute.json("domain", "list", "--with-findings") == []
        clean = mxroute.run("doctor")
        assert clean.returncode == 0 and "Checked 6 domains: nothing wrong." in clean.stdout


def test_a_domain_named_server_does_not_serve_is_reported(
    site: tuple[Mxroute, NamedServer], tmp_path: Path
) -> None:
    mxroute, named = site
    zone = named.zones_dir / "unserved.test.zone"
    zone.write_text(ZONE_TEXT.format(serial=SERIAL, zone="unserved.test"))
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = ""
    mxroute.ok("domain", "add", "unserved.test")
    done = mxroute.run("doctor", "unserved.test", "--json")
    assert done.returncode == 1
    (finding,) = json.loads(done.stdout)["domains"][0]["findings"]
    assert finding["code"] == "served_not_authoritative"
    assert "it refused to answer for it" in finding["message"]


def test_the_readme_doctor_run_is_what_mxroute_prints(site: tuple[Mxroute, NamedServer]) -> None:
    mxroute, named = site
    _edit(named, "edited.test", "10 mail.edited.test.", "10 other.edited.test.")
    local = mxroute.home / "lists" / "localdomains"
    local.write_text(local.read_text().replace("lists.test\n", ""))
    shown: list[tuple[list[str], list[str]]] = []
    for line in block_after("../README.md", "doctor").splitlines():
        if line.startswith("$ "):
            shown.append((shlex.split(line[2:])[1:], []))
        else:
            shown[-1][1].append(line)
    assert len(shown) == 3
    for argv, output in shown:
        done = mxroute.run(*argv)
        assert done.stdout.splitlines() == output, done.stderr
