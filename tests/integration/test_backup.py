"""Backup, wipe, restore: the panel, the API tokens, the history, the zones and the
routing lists come back exactly, with private modes; a change waits for a backup."""

from __future__ import annotations

import io
import json
import shutil
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli import Mxroute
from tests.integration.test_serve import PASSWORD, _log_in, serving

pytestmark = pytest.mark.integration


@pytest.fixture
def place() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="mxroute-backup-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_backup_wipe_restore_gives_everything_back(place: Path) -> None:
    mxroute = Mxroute(place / "data", {})
    mxroute.ok("init", "--demo")
    mxroute.ok("user", "add", "boss", "--admin", "--password", PASSWORD)
    token = json.loads(mxroute.ok("token", "create", "boss", "--name", "kept", "--json"))["token"]
    mxroute.ok("mx", "add", "shop.example", "30", "mx3.shop.example")
    zones, lists = files(mxroute.home / "zones"), files(mxroute.home / "lists")
    history = mxroute.json("history")
    tokens = mxroute.json("token", "list")

    archive = place / "mxroute.tar.gz"
    said = mxroute.ok("backup", str(archive))
    assert said.startswith("Backed up 6 domain(s), 6 zone file(s), 3 routing list(s)")
    assert mode(archive) == 0o600
    with tarfile.open(archive) as opened:
        assert "store.sqlite3" in opened.getnames()

    shutil.rmtree(mxroute.home)
    said = mxroute.ok("restore", str(archive))
    assert "Restored 6 domain(s), 6 zone file(s) and 3 routing list(s)" in said
    assert files(mxroute.home / "zones") == zones
    assert files(mxroute.home / "lists") == lists
    assert mxroute.json("history") == history
    assert mxroute.json("token", "list") == tokens
    for name in ("mxroute.sqlite3", "mxroute.toml", "secret_key"):
        assert mode(mxroute.home / name) == 0o600, name
    assert mode(mxroute.home / "zones" / "shop.example.zone") == 0o644

    with serving(mxroute) as server:
        _log_in(server, "csrftoken", "sessionid")  # the panel, with the same password
        answer, body = server.request(
            "GET", "/api/v1/domains/shop.example/mx", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status == 200, body
        assert "mx3.shop.example" in body


def test_restore_refuses_a_directory_in_use_and_a_foreign_archive(place: Path) -> None:
    mxroute = Mxroute(place / "data", {})
    mxroute.ok("init")
    archive = place / "backup.tar.gz"
    mxroute.ok("backup", str(archive))
    done = mxroute.run("restore", str(archive))
    assert done.returncode == 1
    assert "is not empty; restore into a new data directory" in done.stderr
    hostile = place / "hostile.tar.gz"
    with tarfile.open(hostile, "w:gz") as writing:
        writing.add(archive, arcname="../../etc/evil")
    other = Mxroute(place / "other", {})
    done = other.run("restore", str(hostile))
    assert done.returncode == 1
    assert "which no mxroute backup holds" in done.stderr
    assert not (place / "other" / "mxroute.toml").exists()


def _archive_with(place: Path, name: str, members: dict[str, bytes]) -> Path:
    """A copy of a real backup with ``members`` added (or replacing theirs)."""
    source = Mxroute(place / f"{name}-source", {})
    source.ok("init", "--demo")
    real = place / f"{name}-real.tar.gz"
    source.ok("backup", str(real))
    forged = place / f"{name}.tar.gz"
    with tarfile.open(real) as reading, tarfile.open(forged, "w:gz") as writing:
        for member in reading:
            if member.name not in members:
                writing.addfile(member, reading.extractfile(member))
        for member_name, data in members.items():
            info = tarfile.TarInfo(member_name)
            info.size = len(data)
            writing.addfile(info, io.BytesIO(data))
    return forged


@pytest.mark.parametrize(
    ("members", "said"),
    [
        ({"manifest.json": b"[1, 2"}, "has a manifest mxroute cannot read"),
        ({"manifest.json": b'{"format": 1, "domains": "6"}'}, "manifest mxroute cannot read"),
        ({"store.sqlite3": b"not a database at all"}, "is damaged or is no mxroute store"),
        ({"mxroute.toml": b"[dns\n"}, "mxroute.toml"),
        # Settings that point the zones elsewhere, and a file no domain of the store has.
        (
            {
                "mxroute.toml": b'[dns]\nzones_dir = "/tmp/mxroute-victim"\n',
                "zones/authorized_keys": b"ssh-ed25519 AAAA attacker\n",
            },
            "belongs to none of its domains",
        ),
    ],
)
def test_a_forged_archive_is_refused_and_leaves_nothing_behind(
    place: Path, members: dict[str, bytes], said: str
) -> None:
    forged = _archive_with(place, "forged", members)
    target = Mxroute(place / "restored", {})
    done = target.run("restore", str(forged))
    assert done.returncode == 1, done.stderr
    assert said in done.stderr
    assert sorted(p.name for p in place.iterdir() if "restored" in p.name) == []
    assert not Path("/tmp/mxroute-victim/authorized_keys").exists()


def test_a_member_twice_is_refused(place: Path) -> None:
    forged = _archive_with(place, "twice", {})
    with tarfile.open(forged) as reading:
        manifest = reading.extractfile("manifest.json")
        assert manifest is not None
        data = manifest.read()
    doubled = place / "doubled.tar.gz"
    with tarfile.open(forged) as reading, tarfile.open(doubled, "w:gz") as writing:
        for member in reading:
            writing.addfile(member, reading.extractfile(member))
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        writing.addfile(info, io.BytesIO(data))
    done = Mxroute(place / "restored", {}).run("restore", str(doubled))
    assert done.returncode == 1 and "which no mxroute backup holds" in done.stderr


def test_a_backup_never_replaces_mxroutes_own_files(place: Path) -> None:
    mxroute = Mxroute(place / "data", {})
    mxroute.ok("init")
    store = mxroute.home / "mxroute.sqlite3"
    before = store.read_bytes()
    done = mxroute.run("backup", str(store))
    assert done.returncode == 1 and "one of the files mxroute itself keeps" in done.stderr
    assert store.read_bytes() == before
    mxroute.ok("domain", "list")
