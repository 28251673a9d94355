"""Replacing a file that a server reads, so that it sees the old or the new file, never a part.

The recipe (ARCHITECTURE.md): write a temp file in the same directory, fsync it, give it
its mode and owner, rename it over the target, fsync the directory. A crash at any point
leaves either the old file or the new one under the target's name, and a stray
``.<name>.*.tmp`` at worst.

Errors are the operating system's :class:`OSError`: each caller knows which step of
which change failed and turns it into its own :class:`mxroute.errors.StepFailed`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_MODE = 0o644  # servers run as their own user and must read what mxroute writes


def write_atomically(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    owner: tuple[int, int] | None = None,
    keep_existing: bool = True,
    locked: bool = False,
) -> None:
    """Replace (or create) ``path`` with ``data``, atomically and durably.

    ``mode`` (default 0644) and ``owner`` (uid, gid; default: the process's) are for a
    new file; with ``keep_existing`` an existing file's mode and owner are kept instead.
    The directory must exist. Raises OSError, leaving ``path`` as it was when the
    failure came before the rename.
    """
    with staged(path, data, mode=mode, owner=owner, keep_existing=keep_existing, locked=locked):
        pass


@contextlib.contextmanager
def staged(
    path: Path,
    data: bytes,
    *,
    mode: int | None = None,
    owner: tuple[int, int] | None = None,
    keep_existing: bool = True,
    exclusive: bool = False,
    locked: bool = False,
) -> Iterator[Path]:
    """Yield the temp file that will become ``path``; install it when the block ends.

    The temp file is beside ``path``, already holds ``data`` (fsynced) with its final
    mode and owner (as for :func:`write_atomically`), so a check command can read it.
    When the block ends normally, the temp file is renamed over ``path`` (with
    ``exclusive``, hard-linked to it instead, so a file created meanwhile is never
    replaced: FileExistsError) and the directory is fsynced. When the block raises,
    ``path`` is not touched. Either way no temp file is left behind.

    ``locked`` says the caller holds the lock that serialises the writers of ``path``:
    the temp file then has one fixed name, so a temp file that a killed writer left is
    removed by the next writer (no scan of a large directory for strays). Whatever is
    at that name is removed first and the file is created anew (O_EXCL), so a link
    planted there is never written through.
    """
    mode, owner = _mode_and_owner(path, mode, owner, keep_existing)
    if locked:
        temp = path.with_name(f".{path.name}.mxroute.tmp")
        temp.unlink(missing_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        fd = os.open(temp, flags, 0o600)
    else:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if owner is not None:
                try:
                    os.fchown(handle.fileno(), *owner)
                except PermissionError:
                    # Only root may give a file away; the mode alone must then do.
                    log.warning("cannot give %s the owner %d:%d", path, *owner)
            os.fchmod(handle.fileno(), mode)  # after chown, which may clear set-id bits
            os.fsync(handle.fileno())
        yield temp
        if exclusive:
            os.link(temp, path)
        else:
            os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make renames and removals in ``directory`` durable: fsync the directory itself."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _mode_and_owner(
    path: Path, mode: int | None, owner: tuple[int, int] | None, keep_existing: bool
) -> tuple[int, tuple[int, int] | None]:
    if keep_existing:
        try:
            info = path.stat()
        except FileNotFoundError:
            pass
        else:
            return info.st_mode & 0o7777, (info.st_uid, info.st_gid)
    return (DEFAULT_MODE if mode is None else mode), owner


@contextlib.contextmanager
def flocked(
    path: Path, *, shared: bool = False, failure: Callable[[OSError], Exception]
) -> Iterator[None]:
    """Hold an flock on ``path`` (created if absent) for the block, across processes.

    flock belongs to the open file, so two threads of one process that each enter this
    exclude each other too; never nest it on one path (it would deadlock). An OSError
    while taking the lock is raised as ``failure(exc)``; errors of the block pass as
    they are.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise failure(exc) from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        except OSError as exc:
            raise failure(exc) from exc
        yield
    finally:
        os.close(fd)  # closing the file releases the lock
