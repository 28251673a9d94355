"""``mxroute backup FILE`` and ``mxroute restore FILE``: a data directory in one archive.

The archive (tar, gzip, mode 0600: it holds the sessions and the secret key) has the
store (a consistent copy made with SQLite's backup API), ``mxroute.toml``, the secret
key, each managed domain's zone file and the routing lists, and a manifest. It is
taken while no change runs: a backup holds the writers' lock alone (every change
holds it shared, :meth:`DomainLocks.pause_writers`), so zones, lists and store agree.

A restore goes into a new data directory: the files come back byte for byte (secrets
0600, zones and lists 0644, see :mod:`mxroute.privacy`), then the store is migrated
(a backup of an older mxroute is upgraded) and anything half-done is settled.

With PostgreSQL the store is the database server's to back up (``pg_dump``): backup
refuses, saying so, rather than write an archive that restores without it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mxroute import __version__, privacy
from mxroute.atomic import write_atomically
from mxroute.config import CONFIG_FILE, Settings, load
from mxroute.errors import ConfigError
from mxroute.mta.lists import FILES as LIST_FILES

if TYPE_CHECKING:
    from mxroute.service import Service

FORMAT = 1
MANIFEST = "manifest.json"
STORE = "store.sqlite3"
SECRETS = (CONFIG_FILE, privacy.SECRET_KEY_FILE)
# How long a backup waits for running changes to finish.
PAUSE_SECONDS = 120.0


@dataclass(frozen=True)
class Summary:
    """What an archive holds."""

    domains: int
    zone_files: int
    lists: int


def backup(settings: Settings, target: Path) -> Summary:
    """Write the archive of ``settings``' data directory to ``target`` (replaced atomically)."""
    from mxroute.service import Service

    if settings.database_url:
        raise ConfigError(
            "mxroute backup copies the SQLite store, and this data directory uses a database "
            "server; back the database up with its own tool (pg_dump), and this directory's "
            "files with yours."
        )
    service = Service(settings)
    # Written beside the target and renamed over it: memory stays small whatever the
    # number of zones, and a failed backup never replaces a good one.
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")  # 0600
    except OSError as exc:
        raise _unwritable(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            with (
                service.locks.pause_writers(PAUSE_SECONDS),
                tarfile.open(fileobj=handle, mode="w:gz") as archive,
            ):
                names, zones, lists = _write(archive, settings, service)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except OSError as exc:
        raise _unwritable(target, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    return Summary(len(names), zones, len(lists))


def _write(
    archive: tarfile.TarFile, settings: Settings, service: Service
) -> tuple[list[str], int, dict[str, bytes]]:
    """Add everything to ``archive``; the domains, the zone files added, the lists."""
    from mxroute.dns.zonefile import ZoneFileBackend
    from mxroute.mta.lists import RoutingLists
    from mxroute.store.models import Domain

    names = sorted(Domain.objects.values_list("name", flat=True))
    zones = 0
    if isinstance(service.zones, ZoneFileBackend):
        for name in names:
            path = service.zones.path(name)
            if path.is_file():
                relative = service.zones.file_template.format(zone=name)
                _add(archive, f"zones/{relative}", path.read_bytes())
                zones += 1
    lists = service.routing.snapshot() if isinstance(service.routing, RoutingLists) else {}
    for name, data in sorted(lists.items()):
        _add(archive, f"lists/{name}", data)
    for name in SECRETS:
        path = settings.home / name
        if path.is_file():
            _add(archive, name, path.read_bytes())
    _add(archive, STORE, _store_copy(settings.database_path))
    manifest = {
        "format": FORMAT,
        "mxroute": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "domains": len(names),
    }
    _add(archive, MANIFEST, json.dumps(manifest, indent=2).encode())
    return names, zones, lists


def _unwritable(target: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"Cannot write the backup to {target} ({exc.strerror or exc}); choose a file in a "
        "directory this user may write to."
    )


def restore(source: Path, home: Path) -> Summary:
    """Put the archive ``source`` back as the data directory ``home`` (which must be new or
    empty); the store is then migrated and anything half-done settled."""
    members = _read(source)
    if (home / CONFIG_FILE).exists() or (home / "mxroute.sqlite3").exists():
        raise ConfigError(
            f"{home} already holds an mxroute data directory; restore into a new one (set "
            "MXROUTE_HOME), or move this one away first."
        )
    manifest = json.loads(members.pop(MANIFEST))
    if manifest.get("format") != FORMAT:
        raise ConfigError(
            f"{source} was written in a backup format this mxroute does not read "
            f"({manifest.get('format')}); restore it with the mxroute that wrote it."
        )
    home.mkdir(parents=True, exist_ok=True, mode=privacy.PRIVATE_DIR)
    for name in SECRETS:
        if name in members:
            write_atomically(home / name, members.pop(name), mode=privacy.PRIVATE_FILE)
    write_atomically(home / "mxroute.sqlite3", members.pop(STORE), mode=privacy.PRIVATE_FILE)
    settings = load(home)
    zones = lists = 0
    for name, data in sorted(members.items()):
        kind, _, rest = name.partition("/")
        directory = settings.zones_dir if kind == "zones" else settings.lists_dir
        directory.mkdir(parents=True, exist_ok=True)
        write_atomically(directory / rest, data, keep_existing=False)
        zones += kind == "zones"
        lists += kind == "lists"
    privacy.repair(settings)
    return Summary(int(manifest.get("domains", 0)), zones, lists)


def _store_copy(database: Path) -> bytes:
    """A consistent copy of the SQLite store (SQLite's online backup), as bytes."""
    with tempfile.TemporaryDirectory(prefix="mxroute-backup-") as scratch:
        copy = Path(scratch) / STORE
        source = sqlite3.connect(database)
        try:
            target = sqlite3.connect(copy)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
        return copy.read_bytes()


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _read(source: Path) -> dict[str, bytes]:
    """The archive's files by name; ConfigError for anything that is not one of ours."""
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            found: dict[str, bytes] = {}
            for member in archive.getmembers():
                if not member.isfile() or not _expected(member.name):
                    raise ConfigError(
                        f"{source} holds '{member.name}', which no mxroute backup holds; "
                        "restore only archives written by 'mxroute backup'."
                    )
                handle = archive.extractfile(member)
                assert handle is not None  # a regular file
                found[member.name] = handle.read()
    except (OSError, tarfile.TarError) as exc:
        raise ConfigError(
            f"Cannot read the backup {source} ({getattr(exc, 'strerror', None) or exc}); "
            "check the file name, and that it was written by 'mxroute backup'."
        ) from None
    missing = {MANIFEST, STORE} - set(found)
    if missing:
        raise ConfigError(
            f"{source} has no {' and no '.join(sorted(missing))}, so it is no complete "
            "mxroute backup; restore another one."
        )
    return found


def _expected(name: str) -> bool:
    """Only plain names at the top, or one level down in zones/ or lists/."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or os.sep in path.name:
        return False
    if len(path.parts) == 1:
        return name in (MANIFEST, STORE, *SECRETS)
    if len(path.parts) != 2 or path.name[:1] == ".":
        return False
    return path.parts[0] == "zones" or (path.parts[0] == "lists" and path.name in LIST_FILES)
