"""The default SQLite store under concurrent writers (the CLI and the web at once)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("store_worker.py")
WRITES = 50


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MXROUTE_HOME": str(home),
        "MXROUTE_DATABASE_URL": "",  # the SQLite file, whatever the environment says
        "DJANGO_SETTINGS_MODULE": "mxroute.settings",
    }


def test_two_processes_writing_at_once_both_succeed(tmp_path: Path) -> None:
    env = _env(tmp_path)
    subprocess.run([sys.executable, str(WORKER), "migrate"], env=env, check=True, timeout=60)
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, str(WORKER), "write", name, str(WRITES), str(go)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    deadline = time.monotonic() + 30
    while not all(Path(f"{go}.{name}.ready").exists() for name in ("one", "two")):
        assert time.monotonic() < deadline, "the writers did not start"
        assert all(w.poll() is None for w in writers), "a writer died before the start"
        time.sleep(0.01)
    go.touch()
    errors = [w.communicate(timeout=60)[1] for w in writers]

    assert [w.returncode for w in writers] == [0, 0], "\n".join(errors)
    with sqlite3.connect(tmp_path / "mxroute.sqlite3") as db:
        rows = db.execute("SELECT actor, count(*) FROM store_change GROUP BY actor").fetchall()
    assert sorted(rows) == [("cli:one", WRITES), ("cli:two", WRITES)]


def test_the_sqlite_file_is_in_wal_mode_after_migrating(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(WORKER), "migrate"], env=_env(tmp_path), check=True, timeout=60
    )
    with sqlite3.connect(tmp_path / "mxroute.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
