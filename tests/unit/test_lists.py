"""The routing lists: cPanel's three files, replaced atomically, reloaded, undone."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import threading
from pathlib import Path

import pytest

from mxroute.core.routing import Mode
from mxroute.errors import StepFailed
from mxroute.mta.lists import FILES, RoutingLists
from tests.components import require
from tests.unit.test_atomic import no_space_after

MODES = {
    "local.example": Mode.LOCAL,
    "backup.example": Mode.BACKUP,
    "remote.example": Mode.REMOTE,
}


def _lists(tmp_path: Path, reload_command: str = "") -> RoutingLists:
    return RoutingLists(tmp_path / "lists", tmp_path / "locks", reload_command)


def _files(routing: RoutingLists) -> dict[str, str | None]:
    """Each list file's text, None when it does not exist."""
    paths = {name: routing.directory / name for name in FILES}
    return {name: path.read_text() if path.exists() else None for name, path in paths.items()}


def _counting_reload(tmp_path: Path) -> tuple[str, Path]:
    """A reload command that appends the new localdomains to a log file each time it runs."""
    log = tmp_path / "reloads.log"
    script = f"cat {{lists_dir}}/localdomains >> {shlex.quote(str(log))}; echo --- >> {log}"
    return f"sh -c {shlex.quote(script)}", log


def _reload_count(log: Path) -> int:
    return log.read_text().count("---\n") if log.exists() else 0


@pytest.mark.parametrize(
    ("mode", "listed_in"),
    [
        (Mode.LOCAL, {"localdomains"}),
        (Mode.BACKUP, {"secondarymx", "remotedomains"}),
        (Mode.REMOTE, {"remotedomains"}),
    ],
)
def test_each_mode_is_listed_in_the_files_of_cpanels_table(
    tmp_path: Path, mode: Mode, listed_in: set[str]
) -> None:
    routing = _lists(tmp_path)
    routing.write({"example.com": mode})
    files = _files(routing)
    assert {name for name, text in files.items() if text == "example.com\n"} == listed_in
    assert {name for name, text in files.items() if text == ""} == set(FILES) - listed_in


def test_files_hold_one_domain_per_line_sorted(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.write({"b.example": Mode.LOCAL, "a.example": Mode.LOCAL, "c.example": Mode.BACKUP})
    assert _files(routing) == {
        "localdomains": "a.example\nb.example\n",
        "secondarymx": "c.example\n",
        "remotedomains": "c.example\n",
    }


def test_read_gives_back_the_modes_that_were_written(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.write(MODES)
    assert routing.read() == MODES


def test_missing_files_read_as_empty(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    assert routing.read() == {}
    routing.directory.mkdir()
    (routing.directory / "localdomains").write_text("only.example\n")
    assert routing.read() == {"only.example": Mode.LOCAL}


def test_read_skips_blank_lines_and_comments_and_prefers_local(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.directory.mkdir()
    (routing.directory / "localdomains").write_text("# hand edit\n\nBoth.example\n")
    (routing.directory / "secondarymx").write_text("both.example\nrelay.example\n")
    assert routing.read() == {"both.example": Mode.LOCAL, "relay.example": Mode.BACKUP}


def test_auto_is_refused_because_the_lists_take_effective_modes(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    with pytest.raises(ValueError, match="effective mode"):
        routing.write({"example.com": Mode.AUTO})
    assert _files(routing) == dict.fromkeys(FILES)


@pytest.mark.parametrize("domain", ["a.example\nevil.example", "A.example", "a.example.", ""])
def test_a_domain_that_is_not_a_normalised_name_is_refused(tmp_path: Path, domain: str) -> None:
    with pytest.raises(ValueError, match="not a normalised domain name"):
        _lists(tmp_path).write({domain: Mode.LOCAL})


def test_empty_lists_are_written_too_because_exim_fails_on_a_missing_file(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    assert routing.write({})
    assert _files(routing) == dict.fromkeys(FILES, "")


def test_new_files_are_readable_by_the_mail_server_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        _lists(tmp_path).write(MODES)
    finally:
        os.umask(old)
    for name in FILES:
        assert stat.S_IMODE((tmp_path / "lists" / name).stat().st_mode) == 0o644


def test_a_replaced_file_keeps_the_operators_mode(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.write(MODES)
    (routing.directory / "localdomains").chmod(0o640)
    routing.write({**MODES, "new.example": Mode.LOCAL})
    assert stat.S_IMODE((routing.directory / "localdomains").stat().st_mode) == 0o640


def test_a_file_is_replaced_whole_so_a_reader_never_sees_a_mix(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.write({"old.example": Mode.LOCAL})
    with (routing.directory / "localdomains").open() as reader:
        routing.write({"new.example": Mode.LOCAL})
        # The reader that opened the old file still reads all of it, the name the new one.
        assert reader.read() == "old.example\n"
    assert (routing.directory / "localdomains").read_text() == "new.example\n"
    # Only the three lists in the directory: no temporary or lock file left behind.
    assert sorted(p.name for p in routing.directory.iterdir()) == sorted(FILES)


def test_unchanged_content_is_neither_rewritten_nor_reloaded(tmp_path: Path) -> None:
    command, log = _counting_reload(tmp_path)
    routing = _lists(tmp_path, command)
    assert routing.write(MODES)
    inodes = {name: (routing.directory / name).stat().st_ino for name in FILES}

    assert not routing.write(dict(reversed(MODES.items())))

    assert {name: (routing.directory / name).stat().st_ino for name in FILES} == inodes
    assert _reload_count(log) == 1


def test_the_reload_runs_once_after_the_new_files_are_in_place(tmp_path: Path) -> None:
    command, log = _counting_reload(tmp_path)
    routing = _lists(tmp_path, command)
    routing.write(MODES)
    routing.write({**MODES, "another.example": Mode.LOCAL})
    assert log.read_text() == "local.example\n---\nanother.example\nlocal.example\n---\n"


def test_a_failed_reload_puts_the_previous_files_back(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.write(MODES)
    before = _files(routing)

    failing = _lists(tmp_path, "sh -c 'echo mail server says no >&2; exit 3'")
    with pytest.raises(StepFailed, match="mail server says no") as failed:
        failing.write({"other.example": Mode.LOCAL})

    assert failed.value.code == "lists_reload_failed"
    assert _files(routing) == before
    assert routing.read() == MODES


def test_a_failed_first_reload_leaves_no_files(tmp_path: Path) -> None:
    routing = _lists(tmp_path, "false")
    with pytest.raises(StepFailed):
        routing.write(MODES)
    assert _files(routing) == dict.fromkeys(FILES)


def test_a_directory_that_cannot_be_used_is_a_step_failure(tmp_path: Path) -> None:
    (tmp_path / "not-a-dir").write_text("")
    routing = RoutingLists(tmp_path / "not-a-dir" / "lists", tmp_path / "locks")
    with pytest.raises(StepFailed, match="Could not read the routing lists") as failed:
        routing.write(MODES)
    assert failed.value.code == "lists_failed"


def test_restore_puts_back_a_snapshot_and_reloads(tmp_path: Path) -> None:
    command, log = _counting_reload(tmp_path)
    routing = _lists(tmp_path, command)
    routing.write(MODES)
    snapshot = routing.snapshot()
    before = _files(routing)

    routing.write({"changed.example": Mode.BACKUP})
    assert routing.restore(snapshot)

    assert _files(routing) == before
    assert _reload_count(log) == 3
    assert not routing.restore(snapshot)  # nothing to change: no reload either
    assert _reload_count(log) == 3


def test_restoring_a_snapshot_of_no_files_removes_them(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    empty = routing.snapshot()
    routing.write(MODES)
    assert empty == {}
    assert routing.restore(empty)
    assert _files(routing) == dict.fromkeys(FILES)


def test_restore_keeps_the_restored_files_when_the_reload_fails(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    routing.write(MODES)
    snapshot = routing.snapshot()
    routing.write({"changed.example": Mode.LOCAL})

    with pytest.raises(StepFailed):
        _lists(tmp_path, "false").restore(snapshot)
    assert routing.read() == MODES


def test_restore_refuses_a_snapshot_of_other_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a routing list"):
        _lists(tmp_path).restore({"../passwd": b"x"})


def test_concurrent_writers_and_readers_never_see_half_a_change(tmp_path: Path) -> None:
    # Two complete states; a reader must always see one of them, never a mix.
    a = {f"d{i}.example": Mode.LOCAL for i in range(20)}
    b = {f"d{i}.example": Mode.BACKUP for i in range(20)}
    errors: list[str] = []

    def writer(modes: dict[str, Mode]) -> None:
        routing = _lists(tmp_path)
        for _ in range(40):
            routing.write(modes)

    def reader() -> None:
        routing = _lists(tmp_path)
        for _ in range(80):
            seen = routing.read()
            if seen and seen not in (a, b):
                errors.append(f"mixed state: {sorted(set(seen.values()))}")

    threads = [threading.Thread(target=f, args=x) for f, x in ((writer, (a,)), (writer, (b,)))]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _lists(tmp_path).read() in (a, b)


def test_a_replaced_file_keeps_the_operators_owner(tmp_path: Path) -> None:
    require(None if os.geteuid() == 0 else "not running as root", "Root (to give a file away)")
    routing = _lists(tmp_path)
    routing.write(MODES)
    target = routing.directory / "localdomains"
    shutil.chown(target, "nobody", "nogroup")
    owner = (target.stat().st_uid, target.stat().st_gid)
    routing.write({**MODES, "new.example": Mode.LOCAL})
    assert (target.stat().st_uid, target.stat().st_gid) == owner


def test_a_list_file_that_is_a_directory_is_a_step_failure_naming_it(tmp_path: Path) -> None:
    routing = _lists(tmp_path)
    (routing.directory / "secondarymx").mkdir(parents=True)
    with pytest.raises(StepFailed, match=r"Could not read the routing lists \(.*secondarymx: "):
        routing.write(MODES)
    with pytest.raises(StepFailed, match="secondarymx"):
        routing.read()


def test_a_locks_directory_that_is_a_file_is_a_step_failure(tmp_path: Path) -> None:
    (tmp_path / "locks").write_text("")
    with pytest.raises(StepFailed, match=r"Could not lock the routing lists .*locks") as failed:
        _lists(tmp_path).write(MODES)
    assert failed.value.code == "lists_failed"


@pytest.mark.parametrize(
    ("call", "successes", "failures"),
    [
        pytest.param("replace", 0, 1000, id="before-any-file-changed"),
        pytest.param("fsync", 1, 1, id="after-one-file-changed-so-it-is-put-back"),
    ],
)
def test_a_full_disk_leaves_the_previous_files_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, successes: int, failures: int
) -> None:
    routing = _lists(tmp_path)
    routing.write(MODES)
    before = _files(routing)
    no_space_after(monkeypatch, call, successes, failures)
    with pytest.raises(StepFailed, match=r"No space left.*so nothing was changed"):
        routing.write({"other.example": Mode.LOCAL, "relay.example": Mode.BACKUP})
    monkeypatch.undo()
    assert _files(routing) == before
    assert sorted(p.name for p in routing.directory.iterdir()) == sorted(FILES)


def test_a_failed_put_back_is_said_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    routing = _lists(tmp_path)
    routing.write(MODES)
    no_space_after(monkeypatch, "replace", 1)  # the first file goes in, nothing after
    with pytest.raises(StepFailed, match="could not be put back, so check them by hand"):
        routing.write({"other.example": Mode.LOCAL})
