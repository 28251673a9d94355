"""Zone snapshots are reused only while the file is provably the same file."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mxroute.core.records import MXRecord, MXSet
from mxroute.dns.zonefile import ZoneFileBackend

ZONE = "cache.test"
TEXT = "$TTL 300\n@ IN SOA ns1.x.test. h.x.test. 1 3600 900 1209600 300\n@ IN NS ns1.x.test.\n"


def _backend(tmp_path: Path, exchanger: str) -> tuple[ZoneFileBackend, Path]:
    (tmp_path / "zones").mkdir(exist_ok=True)
    path = tmp_path / "zones" / f"{ZONE}.zone"
    path.write_text(TEXT + f"@ IN MX 10 {exchanger}.\n")
    return ZoneFileBackend(tmp_path / "zones", tmp_path / "locks"), path


def _rewrite_in_place(path: Path, exchanger: str) -> None:
    with path.open("r+") as handle:  # same inode, same size
        handle.write(TEXT + f"@ IN MX 10 {exchanger}.\n")


def test_a_settled_file_rewritten_in_place_is_read_again(tmp_path: Path) -> None:
    backend, path = _backend(tmp_path, "mxa.x.test")
    hour_ago = time.time() - 3600
    os.utime(path, (hour_ago, hour_ago))
    assert backend.read(ZONE).mx == MXSet.of([MXRecord(10, "mxa.x.test")])
    _rewrite_in_place(path, "mxb.x.test")
    assert backend.read(ZONE).mx == MXSet.of([MXRecord(10, "mxb.x.test")])


def test_a_file_changed_within_one_clock_tick_is_never_taken_from_the_cache(
    tmp_path: Path,
) -> None:
    backend, path = _backend(tmp_path, "mxa.x.test")
    assert backend.read(ZONE).mx == MXSet.of([MXRecord(10, "mxa.x.test")])
    stamp = path.stat().st_mtime_ns
    _rewrite_in_place(path, "mxb.x.test")
    os.utime(path, ns=(stamp, stamp))  # a coarse clock: the same modification time
    assert backend.read(ZONE).mx == MXSet.of([MXRecord(10, "mxb.x.test")])


def test_two_zones_whose_files_are_one_file_never_write_it_at_once(tmp_path: Path) -> None:
    import threading

    from mxroute.errors import Conflict

    zones = tmp_path / "zones"
    zones.mkdir()
    shared = zones / "shared.file"
    shared.write_text(TEXT + "@ IN MX 10 mx0.x.test.\n")
    for zone in ("a.test", "b.test"):
        (zones / f"{zone}.zone").symlink_to(shared)
    # The check is slow, so both writers would be inside the write at once.
    backend = ZoneFileBackend(zones, tmp_path / "locks", check_command="sleep 0.5")
    snaps = {zone: backend.read(zone) for zone in ("a.test", "b.test")}
    outcomes: dict[str, object] = {}

    def write(zone: str) -> None:
        mx = MXSet.of([MXRecord(10, f"mx-{zone}")])
        try:
            outcomes[zone] = backend.write(zone, mx, expected=snaps[zone])
        except Conflict as exc:
            outcomes[zone] = exc

    threads = [threading.Thread(target=write, args=(z,)) for z in ("a.test", "b.test")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    won = [z for z, o in outcomes.items() if not isinstance(o, Conflict)]
    assert len(won) == 1, outcomes
    assert f"mx-{won[0]}." in shared.read_text()


def test_a_link_planted_at_the_temp_name_is_never_written_through(tmp_path: Path) -> None:
    backend, path = _backend(tmp_path, "mxa.x.test")
    victim = tmp_path / "victim"
    victim.write_text("secret")
    victim.chmod(0o600)
    os.link(victim, path.with_name(f".{path.name}.mxroute.tmp"))
    backend.write(ZONE, MXSet.of([MXRecord(20, "mxc.x.test")]), expected=backend.read(ZONE))
    assert victim.read_text() == "secret"
    assert victim.stat().st_mode & 0o777 == 0o600
    assert "mxc.x.test." in path.read_text()
