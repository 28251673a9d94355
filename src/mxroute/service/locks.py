"""One lock per domain: changes to one domain queue, changes to others never wait.

The lock is an flock on ``locks/domain-<zone>.lock`` (the kernel drops it when its
process dies, so a ``kill -9`` never leaves a domain locked), plus, on PostgreSQL, a
session advisory lock keyed by the domain, so that mail servers sharing one database
queue too. It is never a store write lock: reads, log-ins and other domains go on.
A writer that waits longer than ``wait_seconds`` is refused as busy.

Every holder of a domain's lock also holds ``locks/writers.lock`` shared: a backup
takes it alone (:meth:`DomainLocks.pause_writers`), so it never copies a change halfway.

The lock is re-entrant within a thread, so a use-case may hold it across planning
and applying while :meth:`DomainLocks.hold` is entered again by apply.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from mxroute.errors import Busy, StepFailed

log = logging.getLogger(__name__)

_POLL_FIRST, _POLL_MAX = 0.005, 0.1
_held = threading.local()
WRITERS_LOCK = "writers.lock"
_paused = (
    "A backup of this data directory has held changes back for more than {seconds:g} s, so "
    "this one was not made; try again in a minute."
)
_running = (
    "Changes kept running for more than {seconds:g} s, so no backup was taken; try again "
    "when the server is quieter."
)


def _advisory_key(zone: str) -> int:
    """A signed 64-bit key for pg_advisory_lock, stable across processes and servers."""
    digest = hashlib.sha256(b"mxroute-domain:" + zone.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class DomainLocks:
    """The per-domain locks of one data directory."""

    def __init__(self, locks_dir: Path, wait_seconds: float = 60.0) -> None:
        self.locks_dir = Path(locks_dir)
        self.wait_seconds = wait_seconds

    @contextlib.contextmanager
    def hold(self, zone: str, *, wait: bool = True) -> Iterator[bool]:
        """Hold the lock of ``zone`` for the block; yields False when ``wait`` is False
        and another process holds it. Busy after ``wait_seconds``."""
        counts: dict[str, int] = _held.__dict__.setdefault("counts", {})
        if counts.get(zone):
            counts[zone] += 1
            try:
                yield True
            finally:
                counts[zone] -= 1
            return
        with self._writing():
            fd = self._open(zone)
            try:
                if not self._acquire(zone, fd, wait):
                    yield False
                    return
                counts[zone] = 1
                try:
                    yield True
                finally:
                    counts.pop(zone, None)
                    self._release_advisory(zone)
            finally:
                os.close(fd)  # closing the file releases the flock

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The writers' lock, shared, for as long as this thread holds any domain's lock:
        a backup (:meth:`pause_writers`) takes it alone, so it copies no change halfway."""
        if getattr(_held, "writing", 0):
            _held.writing += 1
            try:
                yield
            finally:
                _held.writing -= 1
            return
        fd = self._open_named(WRITERS_LOCK, "all domains")
        try:
            self._flock(fd, fcntl.LOCK_SH, self.wait_seconds, _paused)
            _held.writing = 1
            try:
                yield
            finally:
                _held.writing = 0
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def pause_writers(self, wait_seconds: float) -> Iterator[None]:
        """No change of any domain runs in this data directory during the block: it waits
        for those running to finish, and new ones wait for it (Busy after their limit)."""
        fd = self._open_named(WRITERS_LOCK, "all domains")
        try:
            self._flock(fd, fcntl.LOCK_EX, wait_seconds, _running)
            yield
        finally:
            os.close(fd)

    @staticmethod
    def _flock(fd: int, how: int, wait_seconds: float, busy: str) -> None:
        deadline = time.monotonic() + wait_seconds
        pause = _POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, how | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(busy.format(seconds=wait_seconds), code="busy") from None
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)

    def _open(self, zone: str) -> int:
        return self._open_named(f"domain-{zone}.lock", f"the domain {zone}")

    def _open_named(self, name: str, what: str) -> int:
        path = self.locks_dir / name
        try:
            try:
                return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except FileNotFoundError:  # the first lock of a new data directory
                self.locks_dir.mkdir(parents=True, exist_ok=True)
                return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StepFailed(
                "lock",
                f"Could not lock {what} with {path} ({exc.strerror or exc}); check "
                f"that {self.locks_dir} is a directory mxroute may write to.",
            ) from exc

    def _acquire(self, zone: str, fd: int, wait: bool) -> bool:
        deadline = time.monotonic() + self.wait_seconds
        pause = _POLL_FIRST
        have_flock = False
        while True:
            if not have_flock:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    have_flock = True
                except BlockingIOError:
                    pass
            if have_flock and self._try_advisory(zone):
                return True
            if not wait:
                return False
            if time.monotonic() >= deadline:
                raise Busy(
                    f"Another change to {zone} has been running for more than "
                    f"{self.wait_seconds:g} s, so this one was not made; try again in a "
                    "minute.",
                    code="busy",
                )
            time.sleep(pause)
            pause = min(pause * 2, _POLL_MAX)

    @staticmethod
    def _try_advisory(zone: str) -> bool:
        from django.db import connection

        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key(zone)])
            row = cursor.fetchone()
        return bool(row and row[0])

    @staticmethod
    def _release_advisory(zone: str) -> None:
        from django.db import connection

        if connection.vendor != "postgresql" or connection.connection is None:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_advisory_key(zone)])
        except Exception:  # the session may be gone; its locks went with it
            log.warning("could not release the advisory lock of %s", zone, exc_info=True)
