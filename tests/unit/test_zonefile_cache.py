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
