"""The README's tour works exactly as written, on a fresh data directory."""

from __future__ import annotations

import shlex
import shutil
import tempfile
from pathlib import Path

from tests.docblocks import block_after
from tests.integration.cli import Mxroute


def _commands(marker: str) -> list[list[str]]:
    lines = block_after("../README.md", marker).splitlines()
    return [shlex.split(line.removeprefix("$ "), comments=True) for line in lines if line.strip()]


def test_every_tour_command_runs_as_written() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-tour-"))
    try:
        mxroute = Mxroute(home / "demo-data", {})
        for argv in _commands("tour"):
            assert argv[0] == "mxroute"
            done = mxroute.run(*argv[1:])
            assert done.returncode == 0, f"{shlex.join(argv)}: {done.stderr}"
            assert "Traceback" not in done.stderr
        # What the tour promises: the demo covers every mode, and the edits left no trace.
        listed = {d["domain"]: d["effective_mode"] for d in mxroute.json("domain", "list")}
        assert listed["shop.example"] == "local"
        assert listed["partner.example"] == "backup"
        assert listed["elsewhere.example"] == "remote"
        assert listed["nomail.example"] == "remote"
        shop = mxroute.json("mx", "list", "shop.example")
        assert [(r["priority"], r["exchanger"]) for r in shop["mx"]] == [(10, "mail.shop.example")]
        history = mxroute.json("history", "shop.example")
        assert [h["action"] for h in history][:4] == [
            "set_owner",
            "delete_mx",
            "change_mx",
            "add_mx",
        ]
        users = {u["username"]: u for u in mxroute.json("user", "list")}
        assert users["alice"]["domains"] == 1 and users["alice"]["tokens"] == 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_refusal_shown_is_what_mxroute_prints() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-tour-"))
    try:
        mxroute = Mxroute(home, {})
        mxroute.ok("init", "--demo")
        block = block_after("../README.md", "refusal").splitlines()
        argv = shlex.split(block[0].removeprefix("$ "))
        before = (home / "zones" / "shop.example.zone").read_bytes()
        done = mxroute.run(*argv[1:])
        assert done.returncode == 1
        assert done.stderr.strip() == block[1]
        assert (home / "zones" / "shop.example.zone").read_bytes() == before
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_risky_change_shown_is_refused_and_previewed_as_printed() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-tour-"))
    try:
        mxroute = Mxroute(home, {"COLUMNS": "400"})
        mxroute.ok("init", "--demo")
        lines = block_after("../README.md", "risky").splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
        zone = home / "zones" / "shop.example.zone"
        before = (zone.read_bytes(), (home / "lists" / "localdomains").read_bytes())
        outputs = []
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
            done = mxroute.run(*shlex.split(lines[start].removeprefix("$ "))[1:])
            assert done.returncode == 1, done.stderr
            outputs.append((done.stdout + done.stderr).strip())
            assert outputs[-1].splitlines() == lines[start + 1 : end]
        assert (zone.read_bytes(), (home / "lists" / "localdomains").read_bytes()) == before
        forced = mxroute.json("routing", "set", "shop.example", "remote", "--force")
        assert forced["effective_mode"] == "remote" and forced["forced"] is True
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_undo_example_runs_with_the_id_the_history_shows() -> None:
    home = Path(tempfile.mkdtemp(prefix="mxroute-tour-"))
    try:
        mxroute = Mxroute(home, {})
        mxroute.ok("init", "--demo")
        shop = home / "zones" / "shop.example.zone"
        original = mxroute.json("mx", "list", "shop.example")["mx"]
        change = ""
        for argv in _commands("undo"):
            assert argv[0] == "mxroute"
            if argv[1] == "undo":
                assert argv[2] == "42"  # the README's stand-in for the id
                argv[2] = change
            said = mxroute.ok(*argv[1:])
            if argv[1] == "history":
                change = str(mxroute.json(*argv[1:])[0]["id"])
                assert f"│ {change} " in said
        assert "mx1.partner.example" not in shop.read_text()
        assert mxroute.json("mx", "list", "shop.example")["mx"] == original
        assert mxroute.json("history", "shop.example")[0]["undoes"] == int(change)
    finally:
        shutil.rmtree(home, ignore_errors=True)
