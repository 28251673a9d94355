"""``kill -9`` at random points of CLI writes against a real named: nothing is lost.

Each round starts one change (adding or deleting this server's MX, which also moves
the domain between the local and remote lists) and kills it after a random delay.
The next command settles what the killed one left (its pending intent). After each
round: the zone is exactly the old or the new set and named-checkzone loads it, the
history has the change exactly when the zone holds it, no intent is pending, and the
routing lists say what the store says. At the end, a write succeeds and named serves it.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from mxroute.mta.lists import FILES, parse
from tests.integration.bind import NamedServer
from tests.integration.cli import MXROUTE, Mxroute

ZONE = "example.test"
# 150 kills of CLI writes and 50 of server writes: 200 in all.
KILLS = int(os.environ.get("MXROUTE_CRASH_KILLS", "150"))
SELF = (5, "mx.self.test")
OTHER = {(10, "mx1.example.test")}


def _mx_in_file(path: Path) -> set[tuple[int, str]]:
    import dns.zone

    zone = dns.zone.from_file(str(path), origin=ZONE, relativize=False)
    rdataset = zone.find_rdataset(ZONE + ".", "MX")
    return {(r.preference, r.exchange.to_text().rstrip(".")) for r in rdataset}


def _history(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "mxroute.sqlite3") as db:
        return list(
            db.execute("SELECT action, mx_after FROM store_change WHERE domain_name = ?", [ZONE])
        )


def _pending(home: Path) -> int:
    with sqlite3.connect(home / "mxroute.sqlite3") as db:
        return int(
            db.execute("SELECT count(*) FROM store_intent WHERE state='pending'").fetchone()[0]
        )


def _store_mode(home: Path) -> tuple[str, str | None]:
    with sqlite3.connect(home / "mxroute.sqlite3") as db:
        mode, detected = db.execute(
            "SELECT mode, detected_mode FROM store_domain WHERE name = ?", [ZONE]
        ).fetchone()
    return mode, detected


def _settled(
    mxroute: Mxroute,
    server: NamedServer,
    zone_file: Path,
    before: set[tuple[int, str]],
    after: set[tuple[int, str]],
    history_before: int,
    round_: int,
) -> bool:
    """Run the next command (it settles what the killed one left) and check everything
    agrees; True when the killed change had reached the zone."""
    home = mxroute.home
    listed = mxroute.json("mx", "list", ZONE)
    now = _mx_in_file(zone_file)
    assert now in (before, after), f"round {round_}: the zone holds {now}"
    subprocess.run(["named-checkzone", "-q", ZONE, str(zone_file)], check=True, timeout=30)
    assert {(r["priority"], r["exchanger"]) for r in listed["mx"]} == now
    history = _history(home)
    if now == after:
        assert len(history) == history_before + 1, f"round {round_}: no history row"
    else:
        assert len(history) == history_before, f"round {round_}: a history row too many"
    assert _pending(home) == 0
    # named serves what the file and the history say (a writer killed between its
    # rename and its reload is reloaded when settled).
    server.wait_serial(ZONE, int(listed["serial"]))
    lists = parse({n: (home / "lists" / n).read_bytes() for n in FILES})
    mode, detected = _store_mode(home)
    effective = detected if mode == "auto" else mode
    assert lists.get(ZONE) is not None and lists[ZONE].value == effective, (
        f"round {round_}: lists say {lists.get(ZONE)}, the store {effective}"
    )
    wanted = "local" if SELF in now else "remote"
    assert effective == wanted, f"round {round_}: {effective} for records {now}"
    return now == after


def _with_mx1_address(server: NamedServer) -> Path:
    """The zone file, with an address for mx1: without this server the domain is then
    detected remote (an exchanger without an address would keep the last mode)."""
    zone_file = server.zone_file(ZONE)
    with zone_file.open("a") as out:
        out.write("mx1 IN A 192.0.2.50\n")
    return zone_file


def _toggled(before: set[tuple[int, str]]) -> tuple[bool, set[tuple[int, str]]]:
    """Whether this round deletes this server's MX (else it adds it), and the set after."""
    if SELF in before:
        return True, before - {SELF}
    return False, before | {SELF}


def _start(mxroute: Mxroute, *args: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXROUTE_")}
    env.pop("DATABASE_URL", None)
    env.update(mxroute.env, MXROUTE_HOME=str(mxroute.home))
    return subprocess.Popen(
        [str(MXROUTE), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_kill_9_at_random_points_of_cli_writes_loses_nothing(
    served: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, server = served
    home = mxroute.home
    zone_file = _with_mx1_address(server)
    rng = random.Random(4711)
    # How long one write takes here, so that kills land all over it.
    started = time.monotonic()
    mxroute.ok("mx", "add", ZONE, str(SELF[0]), SELF[1])
    mxroute.ok("mx", "delete", ZONE, str(SELF[0]), SELF[1])
    span = (time.monotonic() - started) / 2
    landed = 0
    for round_ in range(KILLS):
        before = _mx_in_file(zone_file)
        history_before = len(_history(home))
        deleting, after = _toggled(before)
        args = ("mx", "delete" if deleting else "add", ZONE, str(SELF[0]), SELF[1])
        process = _start(mxroute, *args)
        time.sleep(rng.uniform(0, span * 1.2))
        process.send_signal(signal.SIGKILL)
        process.wait()
        landed += _settled(mxroute, server, zone_file, before, after, history_before, round_)
    # Some kills landed before the zone write and some after: both paths were taken.
    assert 0 < landed < KILLS
    mxroute.ok("mx", "add", ZONE, "30", "mx3.example.test")
    records, _ = server.query_mx(ZONE)
    assert (30, "mx3.example.test") in records
    leftovers = [p.name for p in (home / "zones").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_kill_9_of_the_server_during_writes_loses_nothing(
    served: tuple[Mxroute, NamedServer],
) -> None:
    """The same through ``mxroute serve``: killed mid-request, restarted, settled."""
    import json as jsonlib

    from tests.integration.test_serve import PASSWORD, serving

    mxroute, server = served
    home = mxroute.home
    zone_file = _with_mx1_address(server)
    mxroute.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    token = jsonlib.loads(mxroute.ok("token", "create", "boss", "--name", "k", "--json"))["token"]
    rng = random.Random(815)
    rounds = max(1, KILLS // 3)
    landed = 0
    for round_ in range(rounds):
        before = _mx_in_file(zone_file)
        history_before = len(_history(home))
        deleting, after = _toggled(before)
        if deleting:
            method, path = "DELETE", f"/api/v1/domains/{ZONE}/mx/{SELF[0]}/{SELF[1]}"
            payload = None
        else:
            method, path = "POST", f"/api/v1/domains/{ZONE}/mx"
            payload = jsonlib.dumps({"priority": SELF[0], "exchanger": SELF[1]})
        with serving(mxroute) as live:
            import http.client

            connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=30)
            connection.request(
                method,
                path,
                body=payload,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            time.sleep(rng.uniform(0, 0.4))
            _kill_server(live.port)
            connection.close()
        landed += _settled(mxroute, server, zone_file, before, after, history_before, round_)
    assert landed > 0
    mxroute.ok("mx", "add", ZONE, "30", "mx3.example.test")
    assert (30, "mx3.example.test") in server.query_mx(ZONE)[0]


def test_a_writer_killed_before_its_reload_is_reloaded_when_settled(
    served: tuple[Mxroute, NamedServer], tmp_path: Path
) -> None:
    mxroute, server = served
    reload_command = mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"]
    marker = tmp_path / "reloading"
    # The zone file is in place when the reload starts: kill the writer right there.
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = f"sh -c 'touch {marker}; sleep 60'"
    _killed_at(marker, mxroute, "mx", "add", ZONE, "30", "mx3.example.test")
    assert (30, "mx3.example.test") not in server.query_mx(ZONE)[0]  # named has the old zone
    mxroute.env["MXROUTE_DNS_RELOAD_COMMAND"] = reload_command
    done = mxroute.run("mx", "list", ZONE, "--json")
    assert "had reached its zone, so it was completed" in done.stderr
    server.wait_serial(ZONE, int(json.loads(done.stdout)["serial"]))
    assert (30, "mx3.example.test") in server.query_mx(ZONE)[0]


def _killed_at(marker: Path, mxroute: Mxroute, *args: str) -> None:
    """Run ``mxroute ARGS`` and kill -9 it as soon as its reload touches ``marker``."""
    process = _start(mxroute, *args)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()


def _kill_server(port: int) -> None:
    """SIGKILL the ``mxroute serve`` listening on ``port`` (found through /proc)."""
    out = subprocess.run(
        ["pgrep", "-f", f"mxroute serve --port {port}"], capture_output=True, text=True
    )
    for pid in out.stdout.split():
        os.kill(int(pid), signal.SIGKILL)


def test_a_running_server_settles_a_killed_commands_change(tmp_path: Path) -> None:
    from tests.integration.test_serve import serving

    home = tmp_path / "data"
    marker = tmp_path / "reloading"
    mxroute = Mxroute(
        home,
        {
            "MXROUTE_SERVER_NAMES": "mx.self.test",
            "MXROUTE_SERVER_ADDRESSES": "192.0.2.1",
            "MXROUTE_CHANGES_SETTLE_SECONDS": "1",
        },
    )
    mxroute.ok("init")
    mxroute.add_domain_with_hosts(ZONE, "10 mx.self.test")
    with serving(mxroute):
        # Killed during its lists reload: the lists say remote, the store local.
        mxroute.env["MXROUTE_MTA_RELOAD_COMMAND"] = f"sh -c 'touch {marker}; sleep 60'"
        _killed_at(marker, mxroute, "routing", "set", ZONE, "remote", "--force")
        assert _pending(home) == 1
        # No command runs now: the server alone settles it.
        deadline = time.monotonic() + 20
        while _pending(home):
            assert time.monotonic() < deadline, "the server did not settle the change"
            time.sleep(0.2)
        lists = parse({n: (home / "lists" / n).read_bytes() for n in FILES})
        assert lists[ZONE].value == "local" == _store_mode(home)[1]
