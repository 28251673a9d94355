"""A reader of the routing lists never sees a domain in no list, nor in a wrong mode.

A thread reads the three list files with no lock, as Exim does, while the domain's
mode is flipped 100 times through local, backup, remote and auto. Each sample is the
state of the files at one instant: a read during which a file was replaced (its
inode changed) is discarded, as no reader can tell it from a read at one moment.
Every sample must give the mode before the flip or the mode after it.
"""

from __future__ import annotations

import threading

from mxroute.core.routing import Mode
from mxroute.mta.lists import FILES, parse
from mxroute.service import Service
from tests.service.conftest import ACTOR, ZONE

FLIPS = 100
ORDER = ("local", "backup", "remote", "auto")


def test_the_lists_never_flicker_during_mode_flips(service: Service) -> None:
    directory = service.settings.lists_dir
    # A more preferred exchanger makes this server a backup, so that every mode of the
    # cycle is one a domain may have (none of them is refused as stopping mail).
    service.add_mx(ZONE, 5, "mx1.example.test", actor=ACTOR)
    # During flip i the lists may give effective[i - 1] or effective[i].
    effective: list[Mode] = [service.show(ZONE).effective]
    flip = [0]
    stop = threading.Event()
    bad: list[str] = []
    reads = [0]

    def reader() -> None:
        while not stop.is_set():
            index = flip[0]
            inodes = _inodes(directory)
            seen = parse({name: _read(directory / name) for name in FILES}).get(ZONE)
            if flip[0] != index or len(effective) <= index or _inodes(directory) != inodes:
                continue  # the flip moved on while this read ran: no verdict
            allowed = {effective[index - 1], effective[index]} if index else {effective[0]}
            reads[0] += 1
            if seen not in allowed:
                bad.append(f"flip {index}: saw {seen}, allowed {sorted(map(str, allowed))}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(1, FLIPS + 1):
            chosen = ORDER[(i - 1) % len(ORDER)]
            # The mode this flip ends in, published before the flip starts.
            after = Mode.BACKUP if chosen == "auto" else Mode(chosen)
            effective.append(after)
            flip[0] = i
            result = service.set_mode(ZONE, chosen, actor=ACTOR)
            assert result.effective_after is after
    finally:
        stop.set()
        thread.join()
    assert reads[0] > FLIPS
    assert bad == []


def _read(path) -> bytes:  # type: ignore[no-untyped-def]
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _inodes(directory) -> list[int]:  # type: ignore[no-untyped-def]
    found = []
    for name in FILES:
        try:
            found.append((directory / name).stat().st_ino)
        except FileNotFoundError:
            found.append(0)
    return found
