"""Who may read the data directory: private by default, repaired by ``mxroute init``.

The database (and SQLite's ``-wal``, ``-shm`` and ``-journal`` files beside it),
``mxroute.toml`` and the secret key hold log-in sessions, password hashes, token digests
and perhaps a database password: they are 0600 and the data directory 0700. Zone files
and routing lists are no secret, and the name server and the MTA read them as their own
users (files 0644, directories 0755): when either lives inside the data directory, the
directory is 0711 instead, so those servers can reach them by name while nobody else
can list it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from mxroute.config import Settings
from mxroute.errors import ConfigError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PASSAGE_DIR = 0o711  # others may pass through to a named file, not list or read
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
SECRET_KEY_FILE = "secret_key"
LOG_FILE = "mxroute.log"
# Directories others may read (the servers do) but never write: a zone or a list
# replaced by another local user would route mail anywhere.
NO_WRITE_BY_OTHERS = 0o022


def home_mode(settings: Settings) -> int:
    """The data directory's mode: 0711 when the servers must reach zones or lists in it."""
    inside = any(_within(path, settings.home) for path in (settings.zones_dir, settings.lists_dir))
    return PASSAGE_DIR if inside else PRIVATE_DIR


def private_files(settings: Settings) -> list[Path]:
    """The secret files of the data directory (those that exist or may)."""
    files = [settings.config_path, settings.home / SECRET_KEY_FILE, settings.home / LOG_FILE]
    if not settings.database_url:
        files.append(settings.database_path)
        files += [Path(f"{settings.database_path}{end}") for end in SQLITE_COMPANIONS]
    return files


def create_database_file(settings: Settings) -> None:
    """Create the SQLite file 0600 before SQLite does (it would use the umask, often
    0644); SQLite gives its journal files the database file's mode."""
    if settings.database_url:
        return
    try:
        fd = os.open(settings.database_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def repair(settings: Settings) -> list[str]:
    """Take away what others may do with the data directory's secrets; what was fixed,
    one sentence each."""
    fixed: list[str] = []
    wanted = {settings.home: home_mode(settings), settings.locks_dir: PRIVATE_DIR}
    wanted.update(dict.fromkeys(private_files(settings), PRIVATE_FILE))
    for directory in (settings.zones_dir, settings.lists_dir):
        with contextlib.suppress(OSError):
            wanted[directory] = stat.S_IMODE(directory.stat().st_mode) & ~NO_WRITE_BY_OTHERS
    for path, mode in wanted.items():
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(info.st_mode):
            continue  # the operator's own arrangement: its target keeps its mode
        now = stat.S_IMODE(info.st_mode)
        if now & ~mode & 0o077:
            try:
                path.chmod(mode)
            except OSError as exc:
                raise ConfigError(
                    f"Cannot make {path} private ({exc.strerror or exc}); run "
                    f"'chmod {mode:o} {path}' as its owner."
                ) from None
            fixed.append(f"{path} was mode {now:o}; it is now {mode:o}.")
    return fixed


def exposed(settings: Settings) -> Path | None:
    """A secret file of the data directory that other users may read, if any."""
    for path in private_files(settings):
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if mode & (stat.S_IRWXO | stat.S_IRWXG):
            return path
    return None


def refuse_exposed(settings: Settings) -> None:
    """ConfigError, in one sentence, when :func:`exposed` finds a readable secret."""
    path = exposed(settings)
    if path is not None:
        raise ConfigError(
            f"{path} can be read by other users of this machine (mode "
            f"{stat.S_IMODE(path.stat().st_mode):o}), who could log in with its sessions; "
            "run 'mxroute init' to make it private (0600), then start again."
        )


def _within(path: Path, home: Path) -> bool:
    try:
        return path.resolve().is_relative_to(home.resolve())
    except OSError:
        return False
