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
import shutil
import sqlite3
import tarfile
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mxroute import __version__, privacy
from mxroute.atomic import write_atomically
from mxroute.config import CONFIG_FILE, Settings, load
from mxroute.core.names import shown
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
# What a restore unpacks at most: a member, and the whole archive.
MEMBER_LIMIT = 1 << 30
ARCHIVE_LIMIT = 16 << 30


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
    resolved = target.resolve()
    own = {path.resolve() for path in privacy.private_files(settings)}
    places = (settings.zones_dir, settings.lists_dir, settings.locks_dir)
    if resolved in own or any(resolved.is_relative_to(p.resolve()) for p in places):
        raise ConfigError(
            f"{target} is one of the files mxroute itself keeps, which the backup would "
            "replace; write the backup to a file of its own, outside those directories."
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
    """Recreate the data directory ``home`` (absent or empty) from the archive ``source``.

    Everything is unpacked beside ``home`` and checked first (the manifest, the settings,
    the store's integrity, each zone file belonging to a domain of that store); only
    then does the directory take its place, so a refused archive leaves nothing behind.
    Zones and lists that the settings keep outside the data directory are written last.
    """
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise ConfigError(
            f"{home} is not empty; restore into a new data directory (set MXROUTE_HOME), or "
            "move this one away first."
        )
    home.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}.unpacking-"))
    staging = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}.restoring-"))
    try:
        members = _extract(source, scratch)
        manifest = _manifest(source, members.pop(MANIFEST))
        for name in (*SECRETS, STORE):
            if name in members:
                target = staging / ("mxroute.sqlite3" if name == STORE else name)
                members.pop(name).rename(target)
                target.chmod(privacy.PRIVATE_FILE)
        settings = load(staging)
        domains = _domains_in(source, staging / "mxroute.sqlite3")
        outside = _place(source, members, settings, domains, staging)
        if home.exists():
            home.rmdir()
        staging.rename(home)
        for data, target in outside:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(target, data.read_bytes(), keep_existing=False)
        privacy.repair(load(home))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(staging, ignore_errors=True)
    zones = sum(1 for name in members if name.startswith("zones/"))
    return Summary(int(manifest["domains"]), zones, len(members) - zones)


def _extract(source: Path, into: Path) -> dict[str, Path]:
    """Each member of the archive, streamed to its own file in ``into``; ConfigError for
    anything that is not an mxroute backup's (a name twice, an unknown name, too big)."""
    found: dict[str, Path] = {}
    total = 0
    try:
        with tarfile.open(source, mode="r:gz") as archive:
            for member in archive:
                if not member.isfile() or not _expected(member.name) or member.name in found:
                    raise _foreign(source, member.name)
                total += member.size
                if member.size > MEMBER_LIMIT or total > ARCHIVE_LIMIT:
                    raise ConfigError(
                        f"{source} unpacks to more than any mxroute backup holds ('{member.name}' "
                        f"is {member.size} bytes); restore only archives written by 'mxroute "
                        "backup'."
                    )
                handle = archive.extractfile(member)
                assert handle is not None  # a regular file
                path = into / str(len(found))
                with handle, path.open("wb") as out:
                    shutil.copyfileobj(handle, out)
                found[member.name] = path
    except (OSError, tarfile.TarError, EOFError, zlib.error) as exc:
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


def _manifest(source: Path, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not (
        isinstance(manifest, dict)
        and isinstance(manifest.get("domains"), int)
        and not isinstance(manifest.get("domains"), bool)
    ):
        raise ConfigError(
            f"{source} has a manifest mxroute cannot read, so it is no backup 'mxroute "
            "backup' wrote; restore another one."
        )
    if manifest.get("format") != FORMAT:
        raise ConfigError(
            f"{source} was written in a backup format this mxroute does not read "
            f"({shown(str(manifest.get('format')))}); restore it with the mxroute that wrote "
            "it."
        )
    return manifest


def _domains_in(source: Path, store: Path) -> set[str]:
    """The domains of the archived store, after SQLite's integrity check."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
            (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(verdict)
            return {name for (name,) in db.execute("SELECT name FROM store_domain")}
    except sqlite3.Error as exc:
        raise ConfigError(
            f"The store in {source} is damaged or is no mxroute store ({exc}); restore "
            "another backup."
        ) from None


def _place(
    source: Path, members: dict[str, Path], settings: Settings, domains: set[str], staging: Path
) -> list[tuple[Path, Path]]:
    """Move the zone and list files into their directories under ``staging``; those the
    settings keep outside the data directory are returned as (unpacked file, target)."""
    zone_files = {settings.zone_file.format(zone=d) for d in domains}
    outside: list[tuple[Path, Path]] = []
    for name, data in members.items():
        kind, _, rest = name.partition("/")
        if kind == "zones" and rest not in zone_files:
            raise ConfigError(
                f"{source} holds the zone file '{shown(rest)}', which belongs to none of its "
                "domains; restore only archives written by 'mxroute backup'."
            )
        directory = settings.zones_dir if kind == "zones" else settings.lists_dir
        if directory.is_relative_to(staging):
            directory.mkdir(parents=True, exist_ok=True)
            data.rename(directory / rest)
            (directory / rest).chmod(0o644)
        else:
            outside.append((data, directory / rest))
    return outside


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


def _foreign(source: Path, name: str) -> ConfigError:
    return ConfigError(
        f"{source} holds '{shown(name)}', which no mxroute backup holds; restore only "
        "archives written by 'mxroute backup'."
    )


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
