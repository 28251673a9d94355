"""The CLI against a real named: every MX change is what DNS then answers."""

from __future__ import annotations

import subprocess

from tests.integration.bind import NamedServer
from tests.integration.cli import Mxroute

ZONE = "example.test"


def _file_serial(mxroute: Mxroute) -> int:
    return int(mxroute.json("mx", "list", ZONE)["serial"])


def test_add_edit_and_delete_are_what_named_then_serves(
    served: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, server = served
    assert server.query_mx(ZONE) == ({(10, "mx1.example.test")}, _file_serial(mxroute))

    added = mxroute.json("mx", "add", ZONE, "20", "MX2.Example.Test.")
    assert added["serial_after"] != added["serial_before"]
    server.wait_serial(ZONE, added["serial_after"])
    assert server.query_mx(ZONE) == (
        {(10, "mx1.example.test"), (20, "mx2.example.test")},
        added["serial_after"],
    )

    edited = mxroute.json("mx", "edit", ZONE, "20", "mx2.example.test", "--priority", "5")
    server.wait_serial(ZONE, edited["serial_after"])
    assert server.query_mx(ZONE) == (
        {(10, "mx1.example.test"), (5, "mx2.example.test")},
        edited["serial_after"],
    )

    deleted = mxroute.json("mx", "delete", ZONE, "10", "mx1.example.test")
    server.wait_serial(ZONE, deleted["serial_after"])
    assert server.query_mx(ZONE) == ({(5, "mx2.example.test")}, deleted["serial_after"])
    assert deleted["serial_after"] == _file_serial(mxroute)


def test_a_refused_change_leaves_dns_and_the_file_as_they_were(
    served: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, server = served
    before = server.query_mx(ZONE)
    zone_file = server.zone_file(ZONE)
    text = zone_file.read_bytes()

    done = mxroute.run("mx", "add", ZONE, "10", "192.0.2.7")
    assert done.returncode == 1
    assert "is an IP address" in done.stderr
    done = mxroute.run("mx", "add", ZONE, "5", "mx0.example.test", "--serial", "1")
    assert done.returncode == 1
    assert "changed since you read" in done.stderr

    assert zone_file.read_bytes() == text
    assert server.query_mx(ZONE) == before


def test_a_failing_check_command_keeps_the_served_zone(
    served: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, server = served
    before = server.query_mx(ZONE)
    mxroute.env["MXROUTE_DNS_CHECK_COMMAND"] = "sh -c 'echo zone rejected by policy >&2; exit 1'"
    done = mxroute.run("mx", "add", ZONE, "30", "mx3.example.test")
    assert done.returncode == 1
    assert "zone rejected by policy" in done.stderr
    assert server.query_mx(ZONE) == before


def test_every_zone_mxroute_writes_passes_named_checkzone(
    served: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, server = served
    for priority in ("15", "25", "35"):
        mxroute.ok("mx", "add", ZONE, priority, f"mx{priority}.example.test")
        checked = subprocess.run(
            ["named-checkzone", "-i", "local", ZONE, str(server.zone_file(ZONE))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
