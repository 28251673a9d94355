"""``mxroute undo`` against a real named: what DNS serves after an undo is the set the
undone change found, under a newer serial."""

from __future__ import annotations

from tests.integration.bind import NamedServer
from tests.integration.cli import Mxroute

ZONE = "example.test"


def test_undo_round_trips_through_named(served: tuple[Mxroute, NamedServer]) -> None:
    mxroute, server = served
    original, _ = server.query_mx(ZONE)
    assert original == {(10, "mx1.example.test")}

    added = mxroute.json("mx", "add", ZONE, "20", "mx2.example.test")
    server.wait_serial(ZONE, added["serial_after"])
    assert server.query_mx(ZONE)[0] == original | {(20, "mx2.example.test")}
    [entry, *_] = mxroute.json("history", ZONE)
    assert entry["action"] == "add_mx"
    change = str(entry["id"])
    assert change in mxroute.ok("history", ZONE)  # the table shows the id to undo

    preview = mxroute.ok("undo", change, "--dry-run")
    assert preview.startswith(f"Dry run, nothing was changed. {ZONE}:")
    assert "- @ IN MX 20 mx2.example.test." in preview
    assert server.query_mx(ZONE) == (
        original | {(20, "mx2.example.test")},
        added["serial_after"],
    )

    undone = mxroute.json("undo", change)
    assert undone["action"] == "undo"
    assert undone["summary"].startswith(f"Undid change {change}: removed MX 20 mx2.example.test.")
    assert undone["serial_after"] > added["serial_after"]
    server.wait_serial(ZONE, undone["serial_after"])
    assert server.query_mx(ZONE) == (original, undone["serial_after"])

    [entry, *_] = mxroute.json("history", ZONE)
    assert (entry["action"], entry["undoes"]) == ("undo", int(change))
    assert entry["serial_after"] == undone["serial_after"]


def test_a_refused_undo_leaves_dns_and_the_file_as_they_were(
    served: tuple[Mxroute, NamedServer],
) -> None:
    mxroute, server = served
    mxroute.ok("mx", "add", ZONE, "20", "mx2.example.test")
    first = str(mxroute.json("history", ZONE)[0]["id"])
    mxroute.ok("mx", "add", ZONE, "30", "mx3.example.test")
    newer = mxroute.json("history", ZONE)[0]["id"]
    before = server.query_mx(ZONE)
    text = server.zone_file(ZONE).read_bytes()

    done = mxroute.run("undo", first)
    assert done.returncode == 1
    assert done.stderr.startswith(f"mxroute: Change {first} cannot be undone: the MX records")
    assert f"undo change {newer} first" in done.stderr
    assert "Traceback" not in done.stderr
    assert server.zone_file(ZONE).read_bytes() == text
    assert server.query_mx(ZONE) == before

    done = mxroute.run("undo", "nonsense")
    assert (done.returncode, done.stderr.strip()) == (
        1,
        "mxroute: 'nonsense' is not a change id; give the number the history shows for the change.",
    )
