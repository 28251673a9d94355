"""A backup holds every change back, and waits for the changes running (writers' lock)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mxroute.errors import Busy
from mxroute.service.locks import DomainLocks


def test_a_change_waits_for_a_backup_then_is_refused_as_busy(tmp_path: Path, db: None) -> None:
    locks = DomainLocks(tmp_path, wait_seconds=0.3)
    refused = pytest.raises(Busy, match="A backup of this data directory")
    with locks.pause_writers(1), refused, locks.hold("example.test"):
        pass
    with locks.hold("example.test"):  # after the backup: at once
        pass


def test_a_backup_waits_for_the_change_running(tmp_path: Path, db: None) -> None:
    locks = DomainLocks(tmp_path, wait_seconds=5)
    holding, release = threading.Event(), threading.Event()

    def change() -> None:
        with locks.hold("example.test"), locks.hold("other.test"):
            holding.set()
            release.wait(5)

    worker = threading.Thread(target=change)
    worker.start()
    holding.wait(5)
    with pytest.raises(Busy, match="no backup was taken"), locks.pause_writers(0.2):
        pass
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    with locks.pause_writers(5):
        assert time.monotonic() - started >= 0.2  # it waited for the change to end
    worker.join()
