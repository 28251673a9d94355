"""Atomic file replacement: temp file beside the target, fsync, mode and owner, rename."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from mxroute.atomic import staged, write_atomically


def no_space_after(
    monkeypatch: pytest.MonkeyPatch, call: str, successes: int = 0, failures: int = 1000
) -> None:
    """Make ``os.<call>`` in mxroute.atomic fail with ENOSPC after ``successes`` calls.

    It fails ``failures`` times (a disk that stays full, by default), then works again.
    """
    real = getattr(os, call)
    calls = 0

    def full(*args: object) -> object:
        nonlocal calls
        calls += 1
        if successes < calls <= successes + failures:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args)

    monkeypatch.setattr(f"mxroute.atomic.os.{call}", full)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_a_new_file_is_0644_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomically(tmp_path / "list", b"a\n")
    finally:
        os.umask(old)
    assert (tmp_path / "list").read_bytes() == b"a\n"
    assert mode_of(tmp_path / "list") == 0o644


def test_a_new_file_takes_the_mode_it_is_given(tmp_path: Path) -> None:
    write_atomically(tmp_path / "secret", b"x", mode=0o600)
    assert mode_of(tmp_path / "secret") == 0o600


def test_a_replaced_file_keeps_its_mode_and_owner(tmp_path: Path) -> None:
    target = tmp_path / "zone"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    if os.geteuid() == 0:
        shutil.chown(target, "nobody", "nogroup")
    before = target.stat()
    write_atomically(target, b"new\n", mode=0o600)
    after = target.stat()
    assert target.read_bytes() == b"new\n"
    assert after.st_ino != before.st_ino  # a new file was renamed into place
    assert (after.st_mode, after.st_uid, after.st_gid) == (
        before.st_mode,
        before.st_uid,
        before.st_gid,
    )
    write_atomically(target, b"newer\n", mode=0o600, keep_existing=False)
    assert mode_of(target) == 0o600


def test_a_reader_of_the_old_file_never_sees_the_new_one(tmp_path: Path) -> None:
    target = tmp_path / "list"
    write_atomically(target, b"old\n")
    with target.open("rb") as reader:
        write_atomically(target, b"new\n")
        assert reader.read() == b"old\n"
    assert target.read_bytes() == b"new\n"
    assert leftovers(tmp_path) == []


def test_the_staged_file_is_ready_before_it_is_installed(tmp_path: Path) -> None:
    target = tmp_path / "zone"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    with staged(target, b"new\n") as temp:
        assert temp.parent == tmp_path and temp.name.startswith(".zone.")
        assert temp.read_bytes() == b"new\n"
        assert mode_of(temp) == 0o640
        assert target.read_bytes() == b"old\n"
    assert target.read_bytes() == b"new\n"
    assert leftovers(tmp_path) == []


def test_a_failure_in_the_block_leaves_the_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "zone"
    target.write_bytes(b"old\n")
    with pytest.raises(RuntimeError, match="check failed"), staged(target, b"new\n"):
        raise RuntimeError("check failed")
    assert target.read_bytes() == b"old\n"
    assert leftovers(tmp_path) == []


def test_exclusive_never_replaces_a_file_made_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "fresh.zone"
    with pytest.raises(FileExistsError), staged(target, b"mine\n", exclusive=True):
        target.write_bytes(b"theirs\n")
    assert target.read_bytes() == b"theirs\n"
    assert leftovers(tmp_path) == []
    other = tmp_path / "other.zone"
    with staged(other, b"mine\n", exclusive=True):
        pass
    assert other.read_bytes() == b"mine\n"
    assert leftovers(tmp_path) == []


def test_a_full_disk_is_an_oserror_that_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "list"
    target.write_bytes(b"old\n")
    no_space_after(monkeypatch, "fsync")
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, b"new\n")
    assert target.read_bytes() == b"old\n"
    assert leftovers(tmp_path) == []
