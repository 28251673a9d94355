"""The data directory is private: the modes after init, after changes, the repair by
init, and ``serve`` refusing a database that other users can read."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli import MXROUTE, Mxroute

pytestmark = pytest.mark.integration

SECRETS = ("mxroute.sqlite3", "mxroute.sqlite3-wal", "mxroute.sqlite3-shm", "mxroute.toml")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def mxroute() -> Iterator[Mxroute]:
    home = Path(tempfile.mkdtemp(prefix="mxroute-privacy-"))
    home.chmod(0o755)
    yield Mxroute(home / "data", {})
    shutil.rmtree(home, ignore_errors=True)


def test_init_makes_the_secrets_private_and_leaves_zones_and_lists_readable(
    mxroute: Mxroute,
) -> None:
    mxroute.ok("init", "--demo")
    home = mxroute.home
    # SQLite removes its -wal and -shm files with the last connection: keep one open.
    with contextlib.closing(sqlite3.connect(home / "mxroute.sqlite3")) as reader:
        reader.execute("SELECT count(*) FROM store_domain").fetchone()
        mxroute.ok("mx", "add", "shop.example", "30", "mx3.shop.example")
        for name in SECRETS:
            assert mode(home / name) == 0o600, name
    for name in (*SECRETS[:1], "mxroute.toml", "secret_key"):
        assert mode(home / name) == 0o600, name
    # The name server and the MTA must reach zones/ and lists/ inside it: passage only.
    assert mode(home) == 0o711
    assert mode(home / "zones") & 0o755 == 0o755
    assert mode(home / "zones" / "shop.example.zone") == 0o644
    assert mode(home / "lists" / "localdomains") == 0o644


def test_a_data_directory_without_zones_or_lists_inside_is_0700(mxroute: Mxroute) -> None:
    outside = mxroute.home.parent
    mxroute.env.update(
        MXROUTE_DNS_ZONES_DIR=str(outside / "zones"), MXROUTE_MTA_LISTS_DIR=str(outside / "lists")
    )
    mxroute.ok("init")
    assert mode(mxroute.home) == 0o700


def test_init_repairs_an_existing_directory_and_says_what_it_fixed(mxroute: Mxroute) -> None:
    mxroute.ok("init", "--demo")
    home = mxroute.home
    home.chmod(0o755)
    for name in ("mxroute.sqlite3", "mxroute.toml", "secret_key"):
        (home / name).chmod(0o644)
    said = mxroute.ok("init")
    assert f"Made private: {home / 'mxroute.sqlite3'} was mode 644; it is now 600." in said
    assert f"Made private: {home} was mode 755; it is now 711." in said
    for name in ("mxroute.sqlite3", "mxroute.toml", "secret_key"):
        assert mode(home / name) == 0o600, name
    assert "Made private" not in mxroute.ok("init")  # nothing left to fix


def test_serve_refuses_a_database_others_can_read(mxroute: Mxroute) -> None:
    mxroute.ok("init")
    (mxroute.home / "mxroute.sqlite3").chmod(0o644)
    done = mxroute.run("serve", "--port", "1")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"mxroute: {mxroute.home / 'mxroute.sqlite3'} can be read by other users of this "
        "machine (mode 644), who could log in with its sessions; run 'mxroute init' to make "
        "it private (0600), then start again."
    ]


def test_the_log_is_private_and_init_under_umask_0_leaves_nothing_writable_by_others(
    mxroute: Mxroute,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXROUTE_")}
    env["MXROUTE_HOME"] = str(mxroute.home)
    subprocess.run(
        ["sh", "-c", f"umask 000; exec {MXROUTE} init --demo"], env=env, check=True, timeout=120
    )
    for name in ("zones", "lists"):
        assert mode(mxroute.home / name) & 0o022 == 0, name
    assert mode(mxroute.home / "locks") == 0o700
    log = mxroute.home / "mxroute.log"
    log.write_text("")
    log.chmod(0o644)
    said = mxroute.ok("init")
    assert f"Made private: {log} was mode 644; it is now 600." in said
